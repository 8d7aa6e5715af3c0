namespace Fluid.Storage;

/// <summary>A file or directory as an under file system reports it.</summary>
/// <param name="Path">Relative to the mount root, '/'-separated, no leading or trailing slash; "" is the root.</param>
/// <param name="IsDirectory">True for a directory (or an S3/HTTP prefix).</param>
/// <param name="Length">Size in bytes; 0 for directories.</param>
/// <param name="LastModified">Modification time reported by the source.</param>
/// <param name="Version">Opaque token that changes whenever the content changes (ETag, or size+mtime for local files).</param>
public sealed record UfsEntry(string Path, bool IsDirectory, long Length, DateTimeOffset LastModified, string Version)
{
    /// <summary>The last path segment ("" for the root).</summary>
    public string Name => Path.Length == 0 ? string.Empty : Path[(Path.LastIndexOf('/') + 1)..];
}
