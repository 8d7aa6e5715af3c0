using Fluid.Scheduling.Model;

namespace Fluid.Scheduling.Simulation;

/// <summary>A dataset's cache entry on one node, as seen by an eviction order.</summary>
/// <param name="Dataset">Index of the dataset in the trace.</param>
/// <param name="LastAccessSeconds">Simulated time of the last read or write of this entry.</param>
/// <param name="HasPendingJobs">Whether a queued job will read the dataset.</param>
public readonly record struct EvictionCandidate(int Dataset, double LastAccessSeconds, bool HasPendingJobs);

/// <summary>
/// The contents of every node's cache, at dataset granularity: how many bytes of each dataset a node holds and
/// when they were last used. Inserts go to the reader's node first and overflow to other nodes with free space
/// (Alluxio's LocalFirst write policy); only when no node has room are whole datasets evicted, in the order
/// the policy gives, starting on the reader's node.
/// Datasets that a running job reads are never evicted: they are the most recently used ones, and dropping
/// them would make the reader's hit ratio a fiction.
/// </summary>
public sealed class CacheState
{
    private readonly ClusterSpec _cluster;
    private readonly IReadOnlyList<DatasetSpec> _datasets;
    private readonly double[,] _bytes;
    private readonly double[,] _lastAccess;
    private readonly double[] _used;
    private readonly double[] _total;

    internal CacheState(ClusterSpec cluster, IReadOnlyList<DatasetSpec> datasets)
    {
        _cluster = cluster;
        _datasets = datasets;
        _bytes = new double[cluster.Nodes.Count, datasets.Count];
        _lastAccess = new double[cluster.Nodes.Count, datasets.Count];
        _used = new double[cluster.Nodes.Count];
        _total = new double[datasets.Count];
    }

    /// <summary>Bytes of a dataset cached on a node.</summary>
    public double CachedBytes(int node, int dataset) => _bytes[node, dataset];

    /// <summary>Bytes of a dataset cached anywhere.</summary>
    public double TotalCached(int dataset) => _total[dataset];

    /// <summary>Bytes in use in a node's cache.</summary>
    public double UsedBytes(int node) => _used[node];

    /// <summary>Number of datasets evicted (node, dataset entries dropped) so far.</summary>
    public int Evictions { get; private set; }

    internal void Touch(int node, int dataset, double now)
    {
        if (_bytes[node, dataset] > 0)
        {
            _lastAccess[node, dataset] = now;
        }
    }

    /// <summary>
    /// Caches <paramref name="bytes"/> newly read bytes of <paramref name="dataset"/> read by a pod on
    /// <paramref name="node"/>, adding what each node stored to <paramref name="storedPerNode"/>. Returns the
    /// bytes that found room.
    /// </summary>
    internal double Insert(int node, int dataset, double bytes, double now, Func<EvictionCandidate, EvictionCandidate, int> evictionOrder, bool[] activeDatasets, bool[] pendingDatasets, double[] storedPerNode)
    {
        var room = _datasets[dataset].SizeBytes - _total[dataset];
        var remaining = Math.Min(bytes, Math.Max(0, room));
        if (remaining <= 0)
        {
            return 0;
        }

        // LocalFirst: the reader's node, then the other workers emptiest first (index breaks ties); eviction only
        // when no worker has free space left, again starting with the reader's node.
        var order = new int[_cluster.Nodes.Count];
        order[0] = node;
        var k = 1;
        for (var i = 0; i < _cluster.Nodes.Count; i++)
        {
            if (i != node)
            {
                order[k++] = i;
            }
        }

        Array.Sort(order, 1, order.Length - 1, Comparer<int>.Create((a, b) =>
        {
            var fa = _cluster.Nodes[a].CacheBytes - _used[a];
            var fb = _cluster.Nodes[b].CacheBytes - _used[b];
            return fa != fb ? fb.CompareTo(fa) : a.CompareTo(b);
        }));

        var stored = 0.0;
        foreach (var evict in (ReadOnlySpan<bool>)[false, true])
        {
            foreach (var target in order)
            {
                if (remaining <= 0)
                {
                    return stored;
                }

                var s = InsertOn(target, dataset, remaining, now, evict ? evictionOrder : null, activeDatasets, pendingDatasets);
                storedPerNode[target] += s;
                stored += s;
                remaining -= s;
            }
        }

        return stored;
    }

    private double InsertOn(int node, int dataset, double bytes, double now, Func<EvictionCandidate, EvictionCandidate, int>? evictionOrder, bool[] activeDatasets, bool[] pendingDatasets)
    {
        var capacity = _cluster.Nodes[node].CacheBytes;
        var free = capacity - _used[node];
        if (free < bytes && evictionOrder is not null)
        {
            var candidates = new List<EvictionCandidate>();
            for (var d = 0; d < _datasets.Count; d++)
            {
                if (d != dataset && _bytes[node, d] > 0 && !activeDatasets[d])
                {
                    candidates.Add(new EvictionCandidate(d, _lastAccess[node, d], pendingDatasets[d]));
                }
            }

            candidates.Sort((a, b) =>
            {
                var c = evictionOrder(a, b);

                // Names, not indices, break ties so that the order of datasets in a trace file does not matter.
                return c != 0 ? c : string.CompareOrdinal(_datasets[a.Dataset].Name, _datasets[b.Dataset].Name);
            });
            foreach (var victim in candidates)
            {
                if (free >= bytes)
                {
                    break;
                }

                var dropped = _bytes[node, victim.Dataset];
                _bytes[node, victim.Dataset] = 0;
                _total[victim.Dataset] = Math.Max(0, _total[victim.Dataset] - dropped);
                _used[node] -= dropped;
                free += dropped;
                Evictions++;
            }
        }

        var stored = Math.Min(bytes, Math.Max(0, free));
        if (stored <= 0)
        {
            return 0;
        }

        _bytes[node, dataset] += stored;
        _total[dataset] += stored;
        _used[node] += stored;
        _lastAccess[node, dataset] = now;
        return stored;
    }
}
