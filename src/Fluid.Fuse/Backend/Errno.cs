namespace Fluid.Fuse.Backend;

/// <summary>Linux errno values the file system answers with (the kernel receives them negated).</summary>
#pragma warning disable CA1707, CA1008 // errno names are the contract users recognise; 0 means success
public enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EBUSY = 16,
    EXDEV = 18,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    EMFILE = 24,
    ETXTBSY = 26,
    ENOSPC = 28,
    EROFS = 30,
    ERANGE = 34,
    ENAMETOOLONG = 36,
    ENOSYS = 38,
    ELOOP = 40,
    ENODATA = 61,
    EOPNOTSUPP = 95,
    ECONNABORTED = 103,
    ENOTCONN = 107,
    ETIMEDOUT = 110,
    ESTALE = 116,
}
#pragma warning restore CA1707, CA1008
