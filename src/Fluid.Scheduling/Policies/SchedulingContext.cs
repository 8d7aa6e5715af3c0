using Fluid.Scheduling.Model;
using Fluid.Scheduling.Simulation;
using Fluid.Scheduling.Traces;

namespace Fluid.Scheduling.Policies;

/// <summary>What a policy may look at when it decides: time, queue, free resources and cache contents.</summary>
public sealed class SchedulingContext
{
    private readonly bool[] _pendingDatasets;
    private readonly bool[] _activeDatasets;

    internal SchedulingContext(ClusterState resources, CacheState cache, IReadOnlyList<DatasetSpec> datasets, List<JobInfo> pending, bool[] pendingDatasets, bool[] activeDatasets, DeterministicRandom random)
    {
        Resources = resources;
        Cache = cache;
        Datasets = datasets;
        Pending = pending;
        _pendingDatasets = pendingDatasets;
        _activeDatasets = activeDatasets;
        Random = random;
    }

    /// <summary>Current simulated time in seconds.</summary>
    public double Now { get; internal set; }

    /// <summary>The cluster.</summary>
    public ClusterSpec Cluster => Resources.Cluster;

    /// <summary>Free and used resources per node.</summary>
    public ClusterState Resources { get; }

    /// <summary>Cache contents per node.</summary>
    public CacheState Cache { get; }

    /// <summary>Datasets of the trace.</summary>
    public IReadOnlyList<DatasetSpec> Datasets { get; }

    /// <summary>Queued jobs in arrival order.</summary>
    public IReadOnlyList<JobInfo> Pending { get; }

    /// <summary>Seeded source for tie-breaks (the default scheduler picks among equal nodes at random).</summary>
    public DeterministicRandom Random { get; }

    /// <summary>Whether a queued job reads the dataset.</summary>
    public bool HasPendingJobs(int dataset) => _pendingDatasets[dataset];

    /// <summary>Whether a running job reads the dataset.</summary>
    public bool HasRunningJobs(int dataset) => _activeDatasets[dataset];
}
