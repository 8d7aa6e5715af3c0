using Fluid.Storage;

namespace Fluid.Cache;

/// <summary>
/// Where a <see cref="DatasetCache"/> gets the bytes of pages it does not hold. The default reads
/// each mount's under file system; a cluster client plugs in a source that asks the worker owning
/// the page first. The cache keeps its own metadata, readahead, single-flight and tiers either way.
/// </summary>
public interface IPageSource
{
    /// <summary>
    /// Reads up to <c>destination.Length</c> bytes of <paramref name="file"/> (the version it names)
    /// from <paramref name="offset"/>, filling the buffer unless the file ends first. Throws
    /// <see cref="UfsException"/> (<see cref="UfsErrorKind.VersionMismatch"/> when that version is gone).
    /// </summary>
    ValueTask<int> ReadAsync(DatasetMount mount, UfsEntry file, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// A local file holding every byte of <paramref name="file"/>, kept whole until the lease is
    /// disposed, or null when this source has none (the default never has one).
    /// </summary>
    ValueTask<LocalFileLease?> LeaseLocalFileAsync(DatasetMount mount, UfsEntry file, CancellationToken cancellationToken) =>
        ValueTask.FromResult<LocalFileLease?>(null);
}

/// <summary>The default page source: each mount's own under file system.</summary>
public sealed class UnderFileSystemPageSource : IPageSource
{
    /// <summary>The shared instance (it holds no state).</summary>
    public static UnderFileSystemPageSource Instance { get; } = new();

    private UnderFileSystemPageSource()
    {
    }

    public ValueTask<int> ReadAsync(DatasetMount mount, UfsEntry file, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mount);
        return mount.Source.ReadAsync(file, offset, destination, cancellationToken);
    }
}
