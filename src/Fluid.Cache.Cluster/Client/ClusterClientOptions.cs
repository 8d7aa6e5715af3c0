using Fluid.Cache.Cluster.Ring;
using Fluid.Cache.Cluster.Security;
using Fluid.Cache.Cluster.Worker;

namespace Fluid.Cache.Cluster.Client;

/// <summary>Settings of a cluster client (the FUSE mount's or the CLI's view of the workers).</summary>
public sealed record ClusterClientOptions
{
    /// <summary>The dataset identity the workers serve ("namespace/name"); credentials are bound to it.</summary>
    public required string Dataset { get; init; }

    /// <summary>The runtime's secret.</summary>
    public required ClusterToken Token { get; init; }

    /// <summary>This client's node; workers on the same node are read directly (short-circuit).</summary>
    public string NodeName { get; init; } = WorkerOptions.DefaultNodeName();

    /// <summary>Ring points per worker (every client of a runtime must use the same value).</summary>
    public int VirtualNodes { get; init; } = HashRing.DefaultVirtualNodes;

    /// <summary>Which files are owned whole and how larger ones are cut (every client must agree).</summary>
    public PlacementOptions Placement { get; init; } = new();

    /// <summary>Longest wait for a TCP connection to a worker.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait for one worker request; past it the worker is marked down and the next one asked.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Workers tried for one page (the owner, then its ring successors) before reading the source (1–4).</summary>
    public int MaxWorkerAttempts { get; init; } = 2;

    /// <summary>Most connections (and requests in flight) per worker.</summary>
    public int MaxConnectionsPerWorker { get; init; } = 32;

    /// <summary>First back-off of a worker marked down; doubles on each failed probe.</summary>
    public TimeSpan MinDownBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest back-off of a worker marked down.</summary>
    public TimeSpan MaxDownBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often workers that are down and due are probed.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Read a co-located worker's fully cached blobs directly instead of over TCP.</summary>
    public bool ShortCircuit { get; init; } = true;

    /// <summary>A short-circuit blob unused for this long is given back to its worker.</summary>
    public TimeSpan ShortCircuitIdle { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A load sends a worker at most this many file pieces per request.</summary>
    public int LoadBatchPieces { get; init; } = 256;

    /// <summary>A load sends a worker at most this many bytes per request.</summary>
    public long LoadBatchBytes { get; init; } = 1L << 30;

    /// <summary>A load request that sends no progress line for this long is abandoned.</summary>
    public TimeSpan LoadIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate(int pageSize)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Dataset))
        {
            errors.Add("dataset: is empty");
        }

        if (Token is null)
        {
            errors.Add("token: is required");
        }

        if (VirtualNodes < 1)
        {
            errors.Add($"virtualNodes: {VirtualNodes} must be at least 1");
        }

        errors.AddRange((Placement ?? new PlacementOptions()).Validate(pageSize).Select(e => "placement." + e));
        if (ConnectTimeout <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add("connectTimeout, requestTimeout: must be positive");
        }

        if (MaxWorkerAttempts is < 1 or > CandidateList.Capacity)
        {
            errors.Add($"maxWorkerAttempts: {MaxWorkerAttempts} must be between 1 and {CandidateList.Capacity}");
        }

        if (MaxConnectionsPerWorker < 1)
        {
            errors.Add($"maxConnectionsPerWorker: {MaxConnectionsPerWorker} must be at least 1");
        }

        if (MinDownBackoff <= TimeSpan.Zero || MaxDownBackoff < MinDownBackoff)
        {
            errors.Add("minDownBackoff, maxDownBackoff: need 0 < min <= max");
        }

        if (ProbeInterval <= TimeSpan.Zero)
        {
            errors.Add("probeInterval: must be positive");
        }

        if (LoadBatchPieces < 1 || LoadBatchBytes < 1)
        {
            errors.Add("loadBatchPieces, loadBatchBytes: must be positive");
        }

        return errors;
    }
}
