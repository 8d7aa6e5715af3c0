using Fluid.Scheduling.Model;
using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Policies;

/// <summary>
/// A job scheduling policy: the order in which queued jobs are tried, where a job goes, and which cached
/// datasets are evicted first. The simulator (and later the operator) drives it; it does no I/O.
/// </summary>
public interface ISchedulingPolicy
{
    /// <summary>Registry name, e.g. <c>kubernetes</c>.</summary>
    string Name { get; }

    /// <summary>The queued jobs in the order to try them now.</summary>
    IReadOnlyList<QueueEntry> Order(SchedulingContext context);

    /// <summary>
    /// A placement for every pod of <paramref name="job"/> on the current free resources, or null when the
    /// job cannot start now. Must not change the policy's state; <see cref="OnStarted"/> commits it.
    /// </summary>
    /// <param name="job">The job to place.</param>
    /// <param name="context">Cluster, cache and queue state.</param>
    /// <param name="preference">Extra node preference from a policy layered on top (Fluid's cache affinity), or null.</param>
    Placement? TryPlace(JobInfo job, SchedulingContext context, NodePreference? preference);

    /// <summary>The job was started with <paramref name="placement"/> (returned by <see cref="TryPlace"/> in this round).</summary>
    void OnStarted(JobInfo job, Placement placement);

    /// <summary>The job finished and its resources were returned to the cluster.</summary>
    void OnFinished(JobInfo job, Placement placement, SchedulingContext context);

    /// <summary>Eviction order of two cache entries on one node: negative when <paramref name="x"/> goes first.</summary>
    int CompareForEviction(EvictionCandidate x, EvictionCandidate y);
}

/// <summary>A queued job and whether the round stops when it cannot be placed (a reservation).</summary>
/// <param name="Job">The job.</param>
/// <param name="Blocking">When true and the job does not fit, no later job starts in this round.</param>
public readonly record struct QueueEntry(JobInfo Job, bool Blocking);

/// <summary>A job of the trace with its resolved indices.</summary>
public sealed class JobInfo
{
    internal JobInfo(JobSpec spec, int index, int datasetIndex, DatasetSpec dataset)
    {
        Spec = spec;
        Index = index;
        DatasetIndex = datasetIndex;
        Dataset = dataset;
    }

    /// <summary>The job as the trace gives it.</summary>
    public JobSpec Spec { get; }

    /// <summary>Position of the job in the trace (stable tie-breaker).</summary>
    public int Index { get; }

    /// <summary>Index of the job's dataset in the trace.</summary>
    public int DatasetIndex { get; }

    /// <summary>The job's dataset.</summary>
    public DatasetSpec Dataset { get; }
}

/// <summary>Raw preference per node (higher is better), e.g. the sum of matched node-affinity term weights.</summary>
public sealed class NodePreference
{
    /// <summary>Creates a preference from one score per node.</summary>
    public NodePreference(IReadOnlyList<int> scores) => Scores = scores;

    /// <summary>One score per node index.</summary>
    public IReadOnlyList<int> Scores { get; }
}
