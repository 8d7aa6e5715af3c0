namespace Fluid.Cache;

/// <summary>
/// A fully cached file's local blob, kept whole while the lease is open: no page of it is
/// evicted until <see cref="Dispose"/>. Used for FUSE passthrough and same-node short-circuit reads.
/// </summary>
public sealed class LocalFileLease : IDisposable
{
    private Action? _release;

    /// <summary>A lease on <paramref name="path"/>; <paramref name="release"/> runs once, on the first dispose.</summary>
    public LocalFileLease(string path, long length, Action release)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(release);
        Path = path;
        Length = length;
        _release = release;
    }

    /// <summary>A local regular file whose bytes equal the source file's bytes.</summary>
    public string Path { get; }

    public long Length { get; }

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
