namespace Fluid.Scheduling.Settings;

/// <summary>Knobs of the scheduling policies; each default names its source.</summary>
public sealed record PolicyParameters
{
    /// <summary>
    /// Weight of the NodeResourcesFit (least-allocated) score: 1, kube-scheduler's default plugin weight
    /// (pkg/scheduler/apis/config/v1/default_plugins.go).
    /// </summary>
    public int FitWeight { get; init; } = 1;

    /// <summary>Weight of NodeResourcesBalancedAllocation: 1 (same source).</summary>
    public int BalancedWeight { get; init; } = 1;

    /// <summary>Weight of NodeAffinity: 2 (same source); it carries Fluid's cache affinity terms.</summary>
    public int AffinityWeight { get; init; } = 2;

    /// <summary>Preferred-term weight for a node that holds the dataset's cache: 100 (Fluid webhook, NodeAffinityWithCache).</summary>
    public int CacheNodeWeight { get; init; } = 100;

    /// <summary>Preferred-term weight for a node in a zone that holds the cache: 50 (same).</summary>
    public int CacheZoneWeight { get; init; } = 50;

    /// <summary>Preferred-term weight for a node in a region that holds the cache: 20 (same).</summary>
    public int CacheRegionWeight { get; init; } = 20;

    /// <summary>
    /// Starvation guard of the fluid ordering, in hours: a job queued this long goes to the front of the queue in
    /// arrival order and holds back every later job until it starts. Assumption: 12 h; see the sensitivity table.
    /// </summary>
    public double AgeBoundHours { get; init; } = 12;

    /// <summary>
    /// A dataset counts as "already cached" when the cache holds at least this share of what it could hold
    /// (its size, or the cluster's whole cache if smaller). Assumption: 0.5.
    /// </summary>
    public double CachedThreshold { get; init; } = 0.5;

    /// <summary>
    /// HiveD cell chain below the node, from the GPU up: 2 GPUs per PCIe switch, 2 switches per CPU socket,
    /// 2 sockets per node (the DGX-1-style 8-GPU layout).
    /// </summary>
    public IReadOnlyList<int> HivedCellSplits { get; init; } = [2, 2, 2];

    /// <summary>Nodes per HiveD top-level (rack) cell. Assumption: 2.</summary>
    public int HivedNodesPerRack { get; init; } = 2;

    /// <summary>
    /// HiveD virtual clusters as (name, node-level cells). Default: one virtual cluster owning every node, so the
    /// baseline is not handicapped by quotas the paper does not describe.
    /// </summary>
    public IReadOnlyList<VirtualClusterQuota> HivedVirtualClusters { get; init; } = [];
}

/// <summary>A HiveD virtual cluster's quota in node-level cells.</summary>
/// <param name="Name">Virtual cluster name that jobs refer to.</param>
/// <param name="Nodes">Node-level cells guaranteed to it.</param>
public sealed record VirtualClusterQuota(string Name, int Nodes);
