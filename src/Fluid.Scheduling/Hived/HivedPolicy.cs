using Fluid.Scheduling.Model;
using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Hived;

/// <summary>
/// A simplified but faithful HiveD (Zhao et al., OSDI'20; microsoft/hivedscheduler): each virtual cluster (VC)
/// owns a quota of node-level cells; a VC cell is bound to a physical node cell by buddy allocation when a
/// job first needs it and released (merging buddies) when its last job ends. Inside a VC, jobs are placed
/// all-or-nothing (gang), packing pods onto the VC's busiest nodes first, and inside a node on the GPUs with
/// the lowest common cell (best affinity). Queue order is the default scheduler's; caches are ignored.
/// Not modelled: opportunistic jobs, preemption, cell health, quotas above the node level.
/// </summary>
public sealed class HivedPolicy : ISchedulingPolicy
{
    private readonly ClusterSpec _cluster;
    private readonly CellTree _tree;
    private readonly BuddyAllocator _allocator;
    private readonly VirtualCluster[] _vcs;
    private readonly Dictionary<string, int> _vcIndex = new(StringComparer.Ordinal);
    private readonly bool[][] _gpuUsed;
    private readonly int[] _nodeVc;

    /// <summary>Creates the policy for <paramref name="cluster"/>.</summary>
    public HivedPolicy(ClusterSpec cluster, PolicyParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(parameters);
        _cluster = cluster;
        _tree = CellTree.Build(cluster, parameters.HivedCellSplits, parameters.HivedNodesPerRack);
        _allocator = new BuddyAllocator(_tree);
        var quotas = parameters.HivedVirtualClusters.Count > 0
            ? parameters.HivedVirtualClusters
            : [new VirtualClusterQuota("default", cluster.Nodes.Count)];
        var total = 0;
        _vcs = new VirtualCluster[quotas.Count];
        for (var i = 0; i < quotas.Count; i++)
        {
            if (quotas[i].Nodes <= 0)
            {
                throw new ArgumentException($"policy.hived.vcs[{i}]: '{quotas[i].Name}' needs at least one node (got {quotas[i].Nodes})");
            }

            if (!_vcIndex.TryAdd(quotas[i].Name, i))
            {
                throw new ArgumentException($"policy.hived.vcs[{i}]: '{quotas[i].Name}' is defined twice");
            }

            _vcs[i] = new VirtualCluster(quotas[i].Name, quotas[i].Nodes);
            total += quotas[i].Nodes;
        }

        if (total > cluster.Nodes.Count)
        {
            throw new ArgumentException($"policy.hived.vcs: quotas add up to {total} nodes but the cluster has {cluster.Nodes.Count}");
        }

        _gpuUsed = new bool[cluster.Nodes.Count][];
        for (var n = 0; n < _gpuUsed.Length; n++)
        {
            _gpuUsed[n] = new bool[cluster.Nodes[n].Gpus];
        }

        _nodeVc = new int[cluster.Nodes.Count];
        Array.Fill(_nodeVc, -1);
    }

    /// <inheritdoc />
    public string Name => "hived";

    /// <summary>The buddy allocator of physical cells (exposed for inspection).</summary>
    public BuddyAllocator Allocator => _allocator;

    /// <summary>Physical nodes currently bound to a virtual cluster.</summary>
    public IReadOnlyList<int> BoundNodes(string virtualCluster) => _vcs[_vcIndex[virtualCluster]].Bound;

    /// <inheritdoc />
    public IReadOnlyList<QueueEntry> Order(SchedulingContext context) => QueueOrders.PriorityThenFifo(context.Pending);

    /// <inheritdoc />
    public Placement? TryPlace(JobInfo job, SchedulingContext context, NodePreference? preference)
    {
        var spec = job.Spec;
        if (!_vcIndex.TryGetValue(spec.VirtualCluster, out var vcIndex))
        {
            throw new ArgumentException($"job {spec.Id}: virtual cluster '{spec.VirtualCluster}' is not defined for hived (known: {string.Join(", ", _vcIndex.Keys)})");
        }

        var vc = _vcs[vcIndex];
        var podGpus = spec.GpusPerWorker;
        var podCpu = spec.CpuCores / spec.Workers;
        var podMemory = spec.MemoryBytes / spec.Workers;
        Func<Cell, int>? score = preference is null ? null : c => preference.Scores[c.Node];

        // The VC's nodes as HiveD's topology-aware scheduler sorts them: preferred first (when a layer above
        // asks), then most used GPUs (packing), then address; unbound quota cells count as empty nodes.
        var bound = new List<int>(vc.Bound);
        bound.Sort((a, b) =>
        {
            if (preference is not null && preference.Scores[a] != preference.Scores[b])
            {
                return preference.Scores[b].CompareTo(preference.Scores[a]);
            }

            var c = context.Resources.UsedGpus(b).CompareTo(context.Resources.UsedGpus(a));
            return c != 0 ? c : a.CompareTo(b);
        });
        var unbound = vc.Quota - vc.Bound.Count;
        var unboundScore = int.MinValue;
        if (unbound > 0 && preference is not null)
        {
            var best = _allocator.Choose(_tree.NodeLevel, score);
            unboundScore = best is null ? int.MinValue : preference.Scores[best.Node];
        }

        var slots = new List<int>(bound.Count + unbound);
        var insertedUnbound = false;
        foreach (var node in bound)
        {
            if (!insertedUnbound && preference is not null && unboundScore > preference.Scores[node])
            {
                AddUnbound();
            }

            slots.Add(node);
        }

        if (!insertedUnbound)
        {
            AddUnbound();
        }

        BuddyAllocator? plan = null;
        var bindings = new List<Cell>();
        var pods = new PodPlacement[spec.Workers];
        var taken = new Dictionary<int, bool[]>();
        var extraGpus = new int[_cluster.Nodes.Count];
        var extraCpu = new double[_cluster.Nodes.Count];
        var extraMemory = new double[_cluster.Nodes.Count];
        var pod = 0;
        for (var s = 0; s < slots.Count && pod < spec.Workers;)
        {
            var node = slots[s];
            if (node < 0)
            {
                plan ??= _allocator.Clone();
                var cell = plan.Allocate(_tree.NodeLevel, score);
                if (cell is null)
                {
                    s++;
                    continue;
                }

                bindings.Add(cell);
                node = cell.Node;
                slots[s] = node;
            }

            if (!context.Resources.Fits(node, podGpus, podCpu, podMemory, extraGpus[node], extraCpu[node], extraMemory[node]))
            {
                s++;
                continue;
            }

            if (!taken.TryGetValue(node, out var used))
            {
                used = (bool[])_gpuUsed[node].Clone();
                taken[node] = used;
            }

            var gpus = PickGpus(node, podGpus, used);
            if (gpus is null)
            {
                s++;
                continue;
            }

            extraGpus[node] += podGpus;
            extraCpu[node] += podCpu;
            extraMemory[node] += podMemory;
            pods[pod++] = new PodPlacement { Node = node, Gpus = podGpus, CpuCores = podCpu, MemoryBytes = podMemory, GpuIndices = gpus };
        }

        if (pod < spec.Workers)
        {
            return null;
        }

        return new Placement { Pods = pods, PolicyState = new Plan(vcIndex, bindings) };

        void AddUnbound()
        {
            for (var u = 0; u < unbound; u++)
            {
                slots.Add(-1);
            }

            insertedUnbound = true;
        }
    }

    /// <inheritdoc />
    public void OnStarted(JobInfo job, Placement placement)
    {
        ArgumentNullException.ThrowIfNull(placement);
        var plan = placement.PolicyState as Plan ?? throw new InvalidOperationException($"job {job.Spec.Id}: placement was not made by hived");
        var vc = _vcs[plan.VirtualCluster];
        foreach (var cell in plan.Bindings)
        {
            _allocator.AllocateSpecific(cell);
            vc.Bound.Add(cell.Node);
            _nodeVc[cell.Node] = plan.VirtualCluster;
        }

        foreach (var pod in placement.Pods)
        {
            if (_nodeVc[pod.Node] != plan.VirtualCluster)
            {
                throw new InvalidOperationException($"job {job.Spec.Id}: node {pod.Node} is not bound to virtual cluster {vc.Name}");
            }

            foreach (var g in pod.GpuIndices)
            {
                if (_gpuUsed[pod.Node][g])
                {
                    throw new InvalidOperationException($"job {job.Spec.Id}: GPU {g} of node {pod.Node} is already in use");
                }

                _gpuUsed[pod.Node][g] = true;
            }
        }
    }

    /// <inheritdoc />
    public void OnFinished(JobInfo job, Placement placement, SchedulingContext context)
    {
        ArgumentNullException.ThrowIfNull(placement);
        foreach (var pod in placement.Pods)
        {
            foreach (var g in pod.GpuIndices)
            {
                _gpuUsed[pod.Node][g] = false;
            }
        }

        foreach (var pod in placement.Pods)
        {
            var node = pod.Node;
            if (_nodeVc[node] < 0 || Array.IndexOf(_gpuUsed[node], true) >= 0)
            {
                continue;
            }

            // The VC cell is idle: unbind it so the buddy allocator can merge it back.
            _vcs[_nodeVc[node]].Bound.Remove(node);
            _nodeVc[node] = -1;
            _allocator.Release(_tree.NodeCell(node));
        }
    }

    /// <inheritdoc />
    public int CompareForEviction(EvictionCandidate x, EvictionCandidate y) => QueueOrders.LeastRecentlyUsed(x, y);

    /// <summary>
    /// GPUs for a pod inside a node, as HiveD's findGpusInNode aims for: the lowest cell holding enough free GPUs
    /// (fewest free GPUs on ties, to keep larger buddies whole), then its free GPUs in order.
    /// </summary>
    private int[]? PickGpus(int node, int count, bool[] used)
    {
        Cell? best = null;
        var bestFree = int.MaxValue;
        for (var level = 1; level <= _tree.NodeLevel && best is null; level++)
        {
            foreach (var cell in Below(_tree.NodeCell(node), level))
            {
                var free = 0;
                for (var g = cell.FirstGpu; g < cell.FirstGpu + cell.GpuCount; g++)
                {
                    if (!used[g])
                    {
                        free++;
                    }
                }

                if (free >= count && free < bestFree)
                {
                    best = cell;
                    bestFree = free;
                }
            }
        }

        if (best is null)
        {
            return null;
        }

        var picked = new int[count];
        var k = 0;
        for (var g = best.FirstGpu; g < best.FirstGpu + best.GpuCount && k < count; g++)
        {
            if (!used[g])
            {
                used[g] = true;
                picked[k++] = g;
            }
        }

        return picked;
    }

    private static IEnumerable<Cell> Below(Cell cell, int level)
    {
        if (cell.Level == level)
        {
            yield return cell;
            yield break;
        }

        foreach (var child in cell.Children)
        {
            foreach (var c in Below(child, level))
            {
                yield return c;
            }
        }
    }

    private sealed class VirtualCluster(string name, int quota)
    {
        public string Name { get; } = name;

        public int Quota { get; } = quota;

        public List<int> Bound { get; } = [];
    }

    private sealed record Plan(int VirtualCluster, IReadOnlyList<Cell> Bindings);
}
