namespace Fluid.Scheduling.Model;

/// <summary>A training job of a trace: when it arrives, what it asks for and how much work it does.</summary>
public sealed record JobSpec
{
    /// <summary>Unique job id.</summary>
    public required string Id { get; init; }

    /// <summary>Submission time in seconds from the start of the trace.</summary>
    public required double ArrivalSeconds { get; init; }

    /// <summary>Total GPUs, split evenly over <see cref="Workers"/> pods.</summary>
    public required int Gpus { get; init; }

    /// <summary>Number of pods (data-parallel workers); all are placed together or not at all.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Name of the dataset the job trains on.</summary>
    public required string Dataset { get; init; }

    /// <summary>Passes over the dataset; fractional values read part of the last pass.</summary>
    public required double Epochs { get; init; }

    /// <summary>GPU compute time per sample on one GPU, in seconds (the job's per-sample compute cost).</summary>
    public required double SampleSeconds { get; init; }

    /// <summary>Total CPU cores requested (split evenly over pods).</summary>
    public required double CpuCores { get; init; }

    /// <summary>Total memory requested in bytes (split evenly over pods).</summary>
    public required double MemoryBytes { get; init; }

    /// <summary>Scheduling priority; higher runs first.</summary>
    public int Priority { get; init; }

    /// <summary>Virtual cluster (tenant) for quota-based schedulers such as HiveD.</summary>
    public string VirtualCluster { get; init; } = "default";

    /// <summary>GPUs of each pod.</summary>
    public int GpusPerWorker => Gpus / Workers;
}
