using Fluid.Cache;
using Fluid.Engine.Configuration;

namespace Fluid.Engine.Cluster;

/// <summary>How the cache workers of a dataset and their clients name it, and what the client keeps itself.</summary>
public static class ClusterIdentity
{
    /// <summary>Default memory of a client's own cache in front of the workers.</summary>
    public const long DefaultClientCacheBytes = 256L << 20;

    /// <summary>
    /// "namespace/name" always (the default namespace included): worker credentials are derived from it,
    /// so the workers and every client must agree on it.
    /// </summary>
    public static string Of(EngineConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.Namespace + "/" + configuration.Name;
    }

    /// <summary>
    /// The configuration of a client of the workers: the same dataset, page size and metadata TTL, with a
    /// small cache in memory of its own (0: none) instead of the runtime's tiers, which the workers hold.
    /// </summary>
    public static EngineConfiguration ForClient(EngineConfiguration workers, long clientCacheBytes)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentOutOfRangeException.ThrowIfNegative(clientCacheBytes);
        var tiers = clientCacheBytes == 0
            ? Array.Empty<TierOptions>()
            : [new TierOptions { Medium = MediumType.Mem, Quota = clientCacheBytes }];
        return workers with { Cache = workers.Cache with { Tiers = tiers } };
    }
}
