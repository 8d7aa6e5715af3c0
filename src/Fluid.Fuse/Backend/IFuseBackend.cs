using Microsoft.Win32.SafeHandles;

namespace Fluid.Fuse.Backend;

/// <summary>
/// The read-only namespace a FUSE mount serves: the seam between the kernel protocol and whatever holds
/// the bytes (a local directory, the dataset cache engine). Paths are relative to the mount root,
/// '/'-separated, without leading or trailing slash; "" is the root. Implementations are thread-safe,
/// honour the cancellation token (the file system cancels it on timeout and on interrupt), and report
/// failures as an <see cref="Errno"/> rather than by throwing. Calls that can answer at once should
/// complete synchronously: the file system then replies from the reader thread without a hop.
/// </summary>
public interface IFuseBackend
{
    /// <summary>Stats a path; <see cref="Errno.ENOENT"/> when it does not exist.</summary>
    ValueTask<FsResult<FsEntry>> StatAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Streams the direct children of a directory (names only, no "." or ".."), in a stable order.
    /// Failures surface as <see cref="FsException"/> from the enumerator (ENOENT, ENOTDIR, EIO...).
    /// </summary>
    IAsyncEnumerable<FsEntry> ListAsync(string path, CancellationToken cancellationToken);

    /// <summary>Opens a regular file for reading; the handle is disposed when the kernel releases it.</summary>
    ValueTask<FsResult<IFuseFile>> OpenAsync(string path, CancellationToken cancellationToken);

    /// <summary>Capacity figures for statfs (for the cache engine: cache capacity and use).</summary>
    ValueTask<FsResult<FsCapacity>> StatFsAsync(CancellationToken cancellationToken);
}

/// <summary>An open file of a <see cref="IFuseBackend"/>; disposing it releases it.</summary>
public interface IFuseFile : IDisposable
{
    /// <summary>
    /// A local regular file holding exactly this file's bytes, opened for reading, or null. When set, the
    /// file system may hand it to the kernel (FUSE passthrough) so reads never reach user space. The
    /// handle stays owned by this object; the kernel takes its own reference.
    /// </summary>
    SafeFileHandle? BackingFile { get; }

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; fewer only at the end of the file.</summary>
    ValueTask<FsResult<int>> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>What a directory entry is.</summary>
public enum FsEntryKind
{
    File,
    Directory,
}

/// <summary>A file or directory as the backend reports it.</summary>
/// <param name="Name">Last path segment ("" for the root).</param>
/// <param name="Kind">File or directory.</param>
/// <param name="Length">Size in bytes (0 for directories).</param>
/// <param name="LastModified">Modification time from the source.</param>
/// <param name="Version">Token that changes whenever the content changes (ETag, size+mtime); null if unknown.</param>
public readonly record struct FsEntry(string Name, FsEntryKind Kind, long Length, DateTimeOffset LastModified, string? Version = null)
{
    public bool IsDirectory => Kind == FsEntryKind.Directory;
}

/// <summary>Capacity figures reported through statfs.</summary>
/// <param name="CapacityBytes">Total bytes (the cache capacity for a cache engine).</param>
/// <param name="UsedBytes">Bytes in use.</param>
/// <param name="Files">Number of files known, or 0.</param>
public readonly record struct FsCapacity(long CapacityBytes, long UsedBytes, long Files);

/// <summary>A value or an errno, without exceptions on the hot path.</summary>
public readonly struct FsResult<T>
{
    private readonly T? _value;

    private FsResult(T? value, Errno error)
    {
        _value = value;
        Error = error;
    }

    public Errno Error { get; }

    public bool IsSuccess => Error == Errno.None;

    /// <summary>The value; only meaningful when <see cref="IsSuccess"/>.</summary>
    public T Value => IsSuccess ? _value! : throw new InvalidOperationException($"The result is an error ({Error}).");

    public static FsResult<T> Ok(T value) => new(value, Errno.None);

    public static FsResult<T> Fail(Errno error) =>
        error == Errno.None ? throw new ArgumentException("A failure needs an errno.", nameof(error)) : new(default, error);

    public static implicit operator FsResult<T>(T value) => Ok(value);

    public static implicit operator FsResult<T>(Errno error) => Fail(error);
}

/// <summary>A backend failure carrying the errno the kernel should see (used where a stream cannot return a result).</summary>
public sealed class FsException : Exception
{
    public FsException(Errno error, string message)
        : base(message)
    {
        Error = error;
    }

    public FsException()
        : this(Errno.EIO, "I/O error")
    {
    }

    public FsException(string message)
        : this(Errno.EIO, message)
    {
    }

    public FsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = Errno.EIO;
    }

    public Errno Error { get; }
}
