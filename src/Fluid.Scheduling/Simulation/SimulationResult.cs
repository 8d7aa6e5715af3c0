namespace Fluid.Scheduling.Simulation;

/// <summary>Knobs of the simulator itself (not of the cluster, the workload or the policy).</summary>
public sealed record SimulatorOptions
{
    /// <summary>
    /// Per-GPU speed of a job with more than one worker, relative to one node: 0.57. Fluid's ResNet-50 benchmark
    /// ran 21,329 images/s on 4 x 8 V100 against 9,301.6 on 1 x 8, both warm (21,329 / (4 x 9,301.6)).
    /// </summary>
    public double MultiNodeEfficiency { get; init; } = 0.57;

    /// <summary>
    /// Largest share of a dataset that may be added to the cache between two recomputations of read sources and
    /// speeds. Caches fill continuously while speeds are piecewise constant, so a step ends early enough that a
    /// job's hit ratio lags by at most this much: 0.01. A numerical setting, not a physical one.
    /// </summary>
    public double CacheStepFraction { get; init; } = 0.01;

    /// <summary>Seed of the policy's tie-breaks (the default scheduler picks among equal nodes at random).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Whether to record allocated and busy GPUs at every event.</summary>
    public bool RecordTimeline { get; init; } = true;
}

/// <summary>What happened to one job.</summary>
public sealed record JobResult
{
    /// <summary>Job id.</summary>
    public required string Id { get; init; }

    /// <summary>Dataset name.</summary>
    public required string Dataset { get; init; }

    /// <summary>GPUs.</summary>
    public required int Gpus { get; init; }

    /// <summary>Pods.</summary>
    public required int Workers { get; init; }

    /// <summary>Names of the nodes the pods ran on, joined by '+'.</summary>
    public required string Nodes { get; init; }

    /// <summary>Submission time, seconds.</summary>
    public required double ArrivalSeconds { get; init; }

    /// <summary>Start time, seconds.</summary>
    public required double StartSeconds { get; init; }

    /// <summary>Completion time, seconds.</summary>
    public required double FinishSeconds { get; init; }

    /// <summary>Job completion time: finish minus arrival.</summary>
    public double JctSeconds => FinishSeconds - ArrivalSeconds;

    /// <summary>Queueing delay: start minus arrival.</summary>
    public double QueueSeconds => StartSeconds - ArrivalSeconds;

    /// <summary>Run time if the job were never slowed by I/O.</summary>
    public required double IdealSeconds { get; init; }

    /// <summary>Bytes read from the cache on the pod's own node.</summary>
    public required double LocalCacheBytes { get; init; }

    /// <summary>Bytes read from caches on other nodes.</summary>
    public required double RemoteCacheBytes { get; init; }

    /// <summary>Bytes read from the remote store.</summary>
    public required double StoreBytes { get; init; }
}

/// <summary>Allocated and computing GPUs from one event to the next.</summary>
/// <param name="Seconds">Start of the interval.</param>
/// <param name="AllocatedGpus">GPUs held by running jobs.</param>
/// <param name="BusyGpus">GPUs computing (allocated GPUs times each job's speed over its compute speed).</param>
public sealed record TimelinePoint(double Seconds, int AllocatedGpus, double BusyGpus);

/// <summary>Totals of one simulation run.</summary>
public sealed record SimulationTotals
{
    /// <summary>Number of jobs.</summary>
    public required int Jobs { get; init; }

    /// <summary>Last completion minus first arrival.</summary>
    public required double MakespanSeconds { get; init; }

    /// <summary>Mean job completion time.</summary>
    public required double AverageJctSeconds { get; init; }

    /// <summary>95th percentile of job completion time (nearest rank).</summary>
    public required double P95JctSeconds { get; init; }

    /// <summary>Mean queueing delay.</summary>
    public required double AverageQueueSeconds { get; init; }

    /// <summary>Allocated GPU-seconds over (GPUs x makespan).</summary>
    public required double GpuUtilisation { get; init; }

    /// <summary>Computing GPU-seconds over (GPUs x makespan): allocation minus time spent waiting for data.</summary>
    public required double BusyGpuUtilisation { get; init; }

    /// <summary>Bytes served by any cache over all bytes read.</summary>
    public required double CacheHitRatio { get; init; }

    /// <summary>Bytes served by the reader's own node's cache over all bytes read.</summary>
    public required double LocalHitRatio { get; init; }

    /// <summary>Cache entries (dataset on a node) evicted.</summary>
    public required int Evictions { get; init; }
}

/// <summary>The outcome of simulating one policy on one trace.</summary>
public sealed record SimulationResult
{
    /// <summary>Policy name.</summary>
    public required string Policy { get; init; }

    /// <summary>Totals.</summary>
    public required SimulationTotals Totals { get; init; }

    /// <summary>Per-job rows in trace order.</summary>
    public required IReadOnlyList<JobResult> Jobs { get; init; }

    /// <summary>Allocated and busy GPUs over time (empty unless recorded).</summary>
    public required IReadOnlyList<TimelinePoint> Timeline { get; init; }

    /// <summary>Highest number of GPUs in use on each node.</summary>
    public required IReadOnlyList<int> PeakGpusPerNode { get; init; }
}

/// <summary>The simulation cannot go on (for example a job that no placement can ever start).</summary>
public sealed class SimulationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SimulationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SimulationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SimulationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
