using System.Net;
using Fluid.Cache.Cluster.Security;
using Fluid.Storage.Mounts;

namespace Fluid.Cache.Cluster.Worker;

/// <summary>Everything a cache worker needs, however it was configured (CLI flags, runtime YAML, tests).</summary>
public sealed record WorkerOptions
{
    /// <summary>Default data port (binary page protocol).</summary>
    public const int DefaultDataPort = 7520;

    /// <summary>Default control port (HTTP: health, summary, metrics, load).</summary>
    public const int DefaultHttpPort = 7521;

    /// <summary>This worker's id in the ring; clients must know it by the same name (pod name in Kubernetes).</summary>
    public required string WorkerId { get; init; }

    /// <summary>The node this worker runs on; clients on the same node may read its blobs directly.</summary>
    public string NodeName { get; init; } = DefaultNodeName();

    /// <summary>The dataset identity credentials are bound to ("namespace/name"); defaults to <see cref="CacheOptions.Name"/>.</summary>
    public string? Dataset { get; init; }

    /// <summary>This worker's own cache: page size, tiers and quotas.</summary>
    public required CacheOptions Cache { get; init; }

    /// <summary>The dataset's mounts; the worker reads misses from them.</summary>
    public required IReadOnlyList<UfsMount> Mounts { get; init; }

    /// <summary>The runtime's secret.</summary>
    public required ClusterToken Token { get; init; }

    /// <summary>Where the data port listens (port 0: any free port).</summary>
    public IPEndPoint DataEndpoint { get; init; } = new(IPAddress.Any, DefaultDataPort);

    /// <summary>Where the HTTP control port listens; null for none.</summary>
    public IPEndPoint? HttpEndpoint { get; init; } = new(IPAddress.Any, DefaultHttpPort);

    /// <summary>How long a short-circuit lease lives without renewal.</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most leases held at once; more are refused (the client reads over the network instead).</summary>
    public int MaxLeases { get; init; } = 65_536;

    /// <summary>A data-port connection with no request for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>On shutdown, requests in flight get this long to finish.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Settings for the connectors (PVC root, logging, retries).</summary>
    public UfsRegistryOptions? Registry { get; init; }

    /// <summary>Which workers walk the sources once after start for the Dataset's <c>ufsTotal</c> and <c>fileNum</c> (reported in the summary).</summary>
    public TotalsWalk Totals { get; init; } = TotalsWalk.Always;

    /// <summary>Whether this worker walks the sources, from <see cref="Totals"/> and its id.</summary>
    public bool WalksTotals => Totals switch
    {
        TotalsWalk.Always => true,
        TotalsWalk.FirstReplica => IsFirstReplica(WorkerId),
        _ => false,
    };

    /// <summary>A StatefulSet pod's name ends with <c>-ORDINAL</c>; the first replica's with <c>-0</c>.</summary>
    public static bool IsFirstReplica(string workerId) => workerId.EndsWith("-0", StringComparison.Ordinal);

    /// <summary>The identity credentials are bound to.</summary>
    public string DatasetIdentity => string.IsNullOrEmpty(Dataset) ? Cache.Name : Dataset;

    /// <summary><c>$NODE_NAME</c> (the Kubernetes downward API's <c>spec.nodeName</c>), else the host name.</summary>
    public static string DefaultNodeName() =>
        Environment.GetEnvironmentVariable("NODE_NAME") is { Length: > 0 } node ? node : Environment.MachineName;

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate() => Validate(mountsRequired: true);

    /// <summary>Like <see cref="Validate()"/>; <paramref name="mountsRequired"/> is false when the caller brings its own mounts.</summary>
    internal IReadOnlyList<string> Validate(bool mountsRequired)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(WorkerId))
        {
            errors.Add("workerId: is empty");
        }

        if (string.IsNullOrWhiteSpace(NodeName))
        {
            errors.Add("nodeName: is empty");
        }

        if (Cache is null)
        {
            errors.Add("cache: is null");
        }
        else
        {
            errors.AddRange(Cache.Validate().Select(e => "cache." + e));
            if (Cache.Tiers.Count == 0)
            {
                errors.Add("cache.tiers: a worker needs at least one tier (MEM, SSD or HDD) to cache anything");
            }
        }

        if (mountsRequired && (Mounts is null || Mounts.Count == 0))
        {
            errors.Add("mounts: at least one mount is required");
        }

        if (Token is null)
        {
            errors.Add("token: is required (a file or the FLUID_TOKEN environment variable)");
        }

        if (DataEndpoint is null)
        {
            errors.Add("dataEndpoint: is null");
        }

        if (LeaseTtl < TimeSpan.FromSeconds(1))
        {
            errors.Add($"leaseTtl: {LeaseTtl} is shorter than 1 s");
        }

        if (MaxLeases < 0)
        {
            errors.Add($"maxLeases: {MaxLeases} is negative");
        }

        if (IdleTimeout <= TimeSpan.Zero)
        {
            errors.Add($"idleTimeout: {IdleTimeout} must be positive");
        }

        if (ShutdownGrace < TimeSpan.Zero)
        {
            errors.Add($"shutdownGrace: {ShutdownGrace} is negative");
        }

        return errors;
    }
}

/// <summary>Which workers of a Dataset walk its sources for <c>ufsTotal</c> and <c>fileNum</c>.</summary>
public enum TotalsWalk
{
    /// <summary>Every worker (one process alone, or a test).</summary>
    Always,

    /// <summary>None: a client walks them itself (<c>fluid up --workers</c>).</summary>
    Never,

    /// <summary>Only the first replica of the StatefulSet (id ending in <c>-0</c>), so N workers list the source once, not N times.</summary>
    FirstReplica,
}
