using Fluid.Scheduling.Model;
using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Policies;

/// <summary>
/// Fluid's cache-sharing-aware scheduling on top of a base policy. Queue: jobs that share a dataset form a
/// group; groups whose dataset is already cached go first, then groups with smaller datasets, then the group
/// with the earliest arrival; inside a group, priority then FIFO. Placement: the base policy's, with Fluid's
/// webhook node affinity (a node holding the dataset's cache weighs 100, a node in such a zone 50, in such
/// a region 20). Eviction: datasets no queued job reads go first, then least recently used.
/// Starvation guard: a job queued for longer than the age bound jumps to the front (oldest first) and, while
/// it does not fit, no later job starts, so no job waits more than the bound plus one drain of the cluster.
/// </summary>
public sealed class FluidPolicy : ISchedulingPolicy
{
    private readonly ISchedulingPolicy _base;
    private readonly PolicyParameters _parameters;

    /// <summary>Layers Fluid on <paramref name="basePolicy"/> under the registry name <paramref name="name"/>.</summary>
    public FluidPolicy(ISchedulingPolicy basePolicy, PolicyParameters parameters, string name)
    {
        _base = basePolicy;
        _parameters = parameters;
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyList<QueueEntry> Order(SchedulingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var datasets = context.Datasets.Count;
        var firstArrival = new double[datasets];
        Array.Fill(firstArrival, double.PositiveInfinity);
        foreach (var job in context.Pending)
        {
            firstArrival[job.DatasetIndex] = Math.Min(firstArrival[job.DatasetIndex], job.Spec.ArrivalSeconds);
        }

        var cached = new bool[datasets];
        var totalCache = context.Cluster.TotalCacheBytes;
        for (var d = 0; d < datasets; d++)
        {
            var reachable = Math.Min(context.Datasets[d].SizeBytes, totalCache);
            cached[d] = reachable > 0 && context.Cache.TotalCached(d) >= _parameters.CachedThreshold * reachable;
        }

        var ageBound = _parameters.AgeBoundHours * 3600;
        var list = new List<JobInfo>(context.Pending);
        bool Aged(JobInfo j) => context.Now - j.Spec.ArrivalSeconds >= ageBound;
        list.Sort((x, y) =>
        {
            var ax = Aged(x);
            var ay = Aged(y);
            if (ax != ay)
            {
                return ax ? -1 : 1;
            }

            if (ax)
            {
                return QueueOrders.ComparePriorityThenArrival(x, y);
            }

            var c = y.Spec.Priority.CompareTo(x.Spec.Priority);
            if (c != 0)
            {
                return c;
            }

            if (x.DatasetIndex != y.DatasetIndex)
            {
                c = cached[y.DatasetIndex].CompareTo(cached[x.DatasetIndex]);
                if (c != 0)
                {
                    return c;
                }

                c = x.Dataset.SizeBytes.CompareTo(y.Dataset.SizeBytes);
                if (c != 0)
                {
                    return c;
                }

                c = firstArrival[x.DatasetIndex].CompareTo(firstArrival[y.DatasetIndex]);
                return c != 0 ? c : string.CompareOrdinal(x.Dataset.Name, y.Dataset.Name);
            }

            return QueueOrders.ComparePriorityThenArrival(x, y);
        });

        var entries = new QueueEntry[list.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new QueueEntry(list[i], Blocking: Aged(list[i]));
        }

        return entries;
    }

    /// <inheritdoc />
    public Placement? TryPlace(JobInfo job, SchedulingContext context, NodePreference? preference) =>
        _base.TryPlace(job, context, CacheAffinity(job, context));

    /// <summary>
    /// The preferred node-affinity terms Fluid's webhook adds for the job's dataset, scored per node as the
    /// sum of matched term weights; null when no node holds any of the dataset.
    /// </summary>
    public NodePreference? CacheAffinity(JobInfo job, SchedulingContext context)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(context);
        var nodes = context.Cluster.Nodes;
        var zones = new HashSet<string>(StringComparer.Ordinal);
        var regions = new HashSet<string>(StringComparer.Ordinal);
        var holds = new bool[nodes.Count];
        for (var n = 0; n < nodes.Count; n++)
        {
            if (context.Cache.CachedBytes(n, job.DatasetIndex) > 0)
            {
                holds[n] = true;
                zones.Add(nodes[n].Zone);
                regions.Add(nodes[n].Region);
            }
        }

        if (zones.Count == 0)
        {
            return null;
        }

        var scores = new int[nodes.Count];
        for (var n = 0; n < nodes.Count; n++)
        {
            scores[n] = (holds[n] ? _parameters.CacheNodeWeight : 0)
                + (zones.Contains(nodes[n].Zone) ? _parameters.CacheZoneWeight : 0)
                + (regions.Contains(nodes[n].Region) ? _parameters.CacheRegionWeight : 0);
        }

        return new NodePreference(scores);
    }

    /// <inheritdoc />
    public void OnStarted(JobInfo job, Placement placement) => _base.OnStarted(job, placement);

    /// <inheritdoc />
    public void OnFinished(JobInfo job, Placement placement, SchedulingContext context) => _base.OnFinished(job, placement, context);

    /// <inheritdoc />
    public int CompareForEviction(EvictionCandidate x, EvictionCandidate y)
    {
        if (x.HasPendingJobs != y.HasPendingJobs)
        {
            return x.HasPendingJobs ? 1 : -1;
        }

        return QueueOrders.LeastRecentlyUsed(x, y);
    }
}
