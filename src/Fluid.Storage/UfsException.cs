namespace Fluid.Storage;

/// <summary>What went wrong in an under file system call; the FUSE layer maps it to an errno.</summary>
public enum UfsErrorKind
{
    NotFound,
    NotADirectory,
    IsADirectory,
    InvalidPath,
    PermissionDenied,
    VersionMismatch,
    Timeout,
    Unavailable,
    InvalidConfiguration,
}

/// <summary>An under file system failure naming the mount, the path and the operation (never credentials).</summary>
public sealed class UfsException : Exception
{
    public UfsException(UfsErrorKind kind, string mount, string path, string operation, string detail, Exception? inner = null)
        : base($"{mount}: {operation} \"{path}\": {detail}", inner)
    {
        Kind = kind;
        Mount = mount;
        Path = path;
        Operation = operation;
    }

    public UfsException()
        : this(UfsErrorKind.Unavailable, string.Empty, string.Empty, string.Empty, string.Empty)
    {
    }

    public UfsException(string message)
        : base(message)
    {
        Mount = Path = Operation = string.Empty;
    }

    public UfsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Mount = Path = Operation = string.Empty;
    }

    public UfsErrorKind Kind { get; }

    public string Mount { get; }

    public string Path { get; }

    public string Operation { get; }
}
