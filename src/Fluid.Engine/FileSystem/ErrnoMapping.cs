using Fluid.Fuse.Backend;
using Fluid.Storage;

namespace Fluid.Engine.FileSystem;

/// <summary>Which errno a failure of the cache or of a source becomes at the FUSE mount.</summary>
public static class ErrnoMapping
{
    /// <summary>
    /// NotFound → ENOENT, NotADirectory → ENOTDIR, IsADirectory → EISDIR, PermissionDenied → EACCES,
    /// VersionMismatch → ESTALE (the file changed at the source under an open handle), a path the
    /// source cannot name → ENOENT, and timeouts, unreachable sources and configuration errors → EIO
    /// (ETIMEDOUT is not a file error programs expect from read(2)). Cancellation (a request the kernel
    /// interrupted or gave up) → EINTR.
    /// </summary>
    public static Errno ToErrno(Exception exception) => exception switch
    {
        UfsException ufs => ufs.Kind switch
        {
            UfsErrorKind.NotFound => Errno.ENOENT,
            UfsErrorKind.NotADirectory => Errno.ENOTDIR,
            UfsErrorKind.IsADirectory => Errno.EISDIR,
            UfsErrorKind.InvalidPath => Errno.ENOENT,
            UfsErrorKind.PermissionDenied => Errno.EACCES,
            UfsErrorKind.VersionMismatch => Errno.ESTALE,
            _ => Errno.EIO,
        },
        ArgumentOutOfRangeException => Errno.EINVAL,
        ArgumentException => Errno.ENOENT, // a path the cache refuses can never exist
        OperationCanceledException => Errno.EINTR,
        FsException fs => fs.Error,
        _ => Errno.EIO,
    };

    /// <summary>True for failures worth a warning (the source or the cache failed), false for answers such as ENOENT.</summary>
    public static bool IsFailure(Errno errno) => errno is Errno.EIO or Errno.ESTALE or Errno.EACCES;
}
