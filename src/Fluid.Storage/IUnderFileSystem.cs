namespace Fluid.Storage;

/// <summary>
/// A source of dataset files (local directory, PVC, S3 bucket, HTTP server) behind one small,
/// read-only interface. Implementations are thread-safe, bound every call with a timeout and a
/// bounded retry, and throw <see cref="UfsException"/> naming the mount, path and operation.
/// </summary>
public interface IUnderFileSystem : IAsyncDisposable
{
    /// <summary>A description safe to log or show (never contains credentials), e.g. "s3://bucket/prefix".</summary>
    string DisplayName { get; }

    /// <summary>Stats a path relative to the mount root; returns null when it does not exist.</summary>
    Task<UfsEntry?> StatAsync(string path, CancellationToken cancellationToken);

    /// <summary>Streams the direct children of a directory without materialising the whole listing.</summary>
    IAsyncEnumerable<UfsEntry> ListAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Reads up to <c>buffer.Length</c> bytes of <paramref name="file"/> starting at <paramref name="offset"/>.
    /// Fills the buffer unless the end of the file is reached; returns the number of bytes read.
    /// Throws <see cref="UfsException"/> with <see cref="UfsErrorKind.VersionMismatch"/> when the
    /// source no longer holds <c>file.Version</c>, so old and new bytes are never mixed.
    /// </summary>
    ValueTask<int> ReadAsync(UfsEntry file, long offset, Memory<byte> buffer, CancellationToken cancellationToken);
}
