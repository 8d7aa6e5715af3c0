namespace Fluid.Scheduling.Settings;

/// <summary>How jobs arrive in a synthetic trace.</summary>
public enum ArrivalMode
{
    /// <summary>All jobs are submitted at time zero (a batch, as in a makespan experiment).</summary>
    Batch,

    /// <summary>Exponential inter-arrival times (a Poisson process).</summary>
    Poisson,
}

/// <summary>
/// Distributions of the synthetic trace generator. Each default names its source; where no public figure
/// exists the default is marked as an assumption and appears in the sensitivity table.
/// </summary>
public sealed record WorkloadParameters
{
    /// <summary>Number of distinct datasets. Assumption: four ("a few datasets shared by many jobs").</summary>
    public int Datasets { get; init; } = 4;

    /// <summary>Smallest dataset in GB (sizes are log-uniform between min and max). Assumption: 100 (ImageNet-1k is 148 GB).</summary>
    public double DatasetMinGB { get; init; } = 100;

    /// <summary>Largest dataset in GB. Assumption: 1,000.</summary>
    public double DatasetMaxGB { get; init; } = 1000;

    /// <summary>
    /// Zipf exponent of dataset popularity (dataset k is chosen with weight 1/k^s). Assumption: 1, so a few
    /// datasets are shared by many jobs.
    /// </summary>
    public double PopularitySkew { get; init; } = 1.0;

    /// <summary>
    /// Average bytes per sample in KB: 115, ImageNet ILSVRC2012 train (147.9 GB over 1,281,167 images).
    /// </summary>
    public double SampleKB { get; init; } = 115;

    /// <summary>
    /// Bandwidth of each dataset's remote store in MB/s: 300. Fluid's ResNet-50 benchmark on capacity-type NAS
    /// read 2,400 to 3,136 images/s cold (about 280 to 360 MB/s at 115 KB per image).
    /// </summary>
    public double StoreMBps { get; init; } = 300;

    /// <summary>
    /// Share of 1-GPU jobs: 0.5, about half as in the public Philly and Helios traces; the rest split evenly
    /// between 2, 4 and 8 GPUs (assumption: no public split is used).
    /// </summary>
    public double OneGpuShare { get; init; } = 0.5;

    /// <summary>
    /// ResNet-50 training speed on one V100 in samples/s: 1,160 (Fluid's benchmark: 9,301 images/s on 8 V100 with
    /// a warm cache). ResNet-101 and ResNet-152 jobs are slower by their FLOP ratios (7.6 and 11.3 vs 3.8 GFLOPs,
    /// He et al. 2016, table 1); each job picks one of the three models uniformly.
    /// </summary>
    public double ResNet50SamplesPerSecond { get; init; } = 1160;

    /// <summary>
    /// Median job duration in hours when the job is not slowed by I/O (log-normal). Assumption: 1 h, with a long
    /// tail as in Philly (Jeon et al., ATC'19) and Helios (Hu et al., SC'21); not fitted to either.
    /// </summary>
    public double DurationMedianHours { get; init; } = 1.0;

    /// <summary>Log-normal sigma of the duration. Assumption: 1.0 (p95 about 5x the median).</summary>
    public double DurationSigma { get; init; } = 1.0;

    /// <summary>Shortest duration in minutes (clamp). Assumption: 5.</summary>
    public double DurationMinMinutes { get; init; } = 5;

    /// <summary>Longest duration in hours (clamp). Assumption: 24.</summary>
    public double DurationMaxHours { get; init; } = 24;

    /// <summary>Arrival process. Default: batch, all jobs submitted at once (a makespan experiment).</summary>
    public ArrivalMode Arrival { get; init; } = ArrivalMode.Batch;

    /// <summary>Mean inter-arrival time in minutes for Poisson arrivals. Assumption: 10.</summary>
    public double MeanInterArrivalMinutes { get; init; } = 10;

    /// <summary>CPU cores requested per GPU: 10 (the node's 82 vCPUs over 8 GPUs, rounded down).</summary>
    public double CpuPerGpu { get; init; } = 10;

    /// <summary>Memory requested per GPU in GiB: 40 (the node's 336 GiB over 8 GPUs, rounded down).</summary>
    public double MemoryGiBPerGpu { get; init; } = 40;

    /// <summary>
    /// Virtual clusters jobs are assigned to, uniformly at random; one entry means every job uses it.
    /// Must match the HiveD virtual clusters.
    /// </summary>
    public IReadOnlyList<string> VirtualClusters { get; init; } = ["default"];
}
