using Fluid.Cache;
using Fluid.Cache.Cluster.Client;
using Fluid.Fuse;
using Fluid.Storage.Mounts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Engine.Hosting;

/// <summary>
/// Opens the cache of a dataset. The default opens an in-process <see cref="DatasetCache"/>; a
/// distributed setup passes one whose misses go to remote workers.
/// </summary>
public delegate Task<DatasetCache> DatasetCacheFactory(CacheOptions options, IReadOnlyList<DatasetMount> mounts, ILoggerFactory loggerFactory, CancellationToken cancellationToken);

/// <summary>How an <see cref="EngineHost"/> runs a dataset: where to mount it, where its control socket goes, and the parts it uses.</summary>
public sealed record EngineHostOptions
{
    /// <summary>The in-process cache.</summary>
    public static readonly DatasetCacheFactory InProcessCache =
        (options, mounts, loggerFactory, cancellationToken) => DatasetCache.OpenAsync(options, mounts, loggerFactory, null, cancellationToken);

    /// <summary>Directory to mount the dataset at (created when missing); null runs without a FUSE mount.</summary>
    public string? MountPoint { get; init; }

    /// <summary>Directory of control sockets; null runs without a control endpoint.</summary>
    public string? RunDirectory { get; init; }

    public DatasetCacheFactory CacheFactory { get; init; } = InProcessCache;

    /// <summary>
    /// The dataset's cache workers: when set, misses go to the worker owning each page, loads run on the
    /// workers, and status shows one row per worker. The host takes ownership and disposes the client on
    /// shutdown; <see cref="CacheFactory"/> is not used.
    /// </summary>
    public ClusterClient? Cluster { get; init; }

    /// <summary>
    /// Passthrough is off unless asked for: measured on warm reads after a load (docs/fuse.md), zero-message
    /// opens serve small files at 0.94-1.52 of local reads and large ones from the page cache at 0.81-1.33,
    /// while passthrough costs an OPEN and a RELEASE round trip per open and left small files at 0.25-0.32
    /// with one reader. Passthrough pays when cached files no longer fit in memory and come from the disk tier.
    /// </summary>
    public const PassthroughMode DefaultPassthrough = PassthroughMode.Off;

    /// <summary>FUSE settings; the metadata TTL and the request timeout are always taken from the configuration.</summary>
    public FuseOptions Fuse { get; init; } = new() { Passthrough = DefaultPassthrough };

    /// <summary>Creates the sources; null uses the built-in schemes with the configuration's source policy.</summary>
    public UfsRegistry? Registry { get; init; }

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Walk the sources in the background for <c>ufsTotal</c> and <c>fileNum</c>.</summary>
    public bool ComputeTotals { get; init; } = true;
}
