using System.Globalization;
using Fluid.Scheduling.Model;
using Fluid.Scheduling.Settings;

namespace Fluid.Scheduling.Traces;

/// <summary>
/// Seeded synthetic traces: a few datasets (log-uniform sizes, Zipf popularity), about half 1-GPU jobs and
/// the rest 2/4/8, log-normal (heavy-tailed) durations, batch or Poisson arrivals. The same seed and
/// parameters always give the same trace.
/// </summary>
public static class SyntheticTraceGenerator
{
    /// <summary>FLOPs per image relative to ResNet-50 (He et al. 2016, table 1: 3.8, 7.6, 11.3 GFLOPs).</summary>
    private static readonly (string Model, double Cost)[] Models = [("resnet50", 1.0), ("resnet101", 7.6 / 3.8), ("resnet152", 11.3 / 3.8)];

    /// <summary>Generates a trace of <paramref name="jobs"/> jobs.</summary>
    public static Trace Generate(int jobs, ulong seed, WorkloadParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (jobs <= 0)
        {
            throw new ArgumentException($"jobs: a trace needs at least one job (got {jobs})");
        }

        Validate(p);
        var rng = new DeterministicRandom(seed);

        var datasets = new List<DatasetSpec>(p.Datasets);
        var logMin = Math.Log(p.DatasetMinGB);
        var logMax = Math.Log(p.DatasetMaxGB);
        var sampleBytes = p.SampleKB * Units.KB;
        for (var i = 0; i < p.Datasets; i++)
        {
            var size = Math.Round(Math.Exp(logMin + ((logMax - logMin) * rng.NextDouble())), 1) * Units.GB;
            datasets.Add(new DatasetSpec
            {
                Name = "ds" + (i + 1).ToString(CultureInfo.InvariantCulture),
                SizeBytes = size,
                FileCount = Math.Max(1, (long)Math.Round(size / sampleBytes)),
                StoreBytesPerSecond = p.StoreMBps * Units.MB,
            });
        }

        var popularity = new double[p.Datasets];
        for (var i = 0; i < popularity.Length; i++)
        {
            popularity[i] = 1.0 / Math.Pow(i + 1, p.PopularitySkew);
        }

        var rest = (1 - p.OneGpuShare) / 3;
        double[] gpuWeights = [p.OneGpuShare, rest, rest, rest];
        int[] gpuChoices = [1, 2, 4, 8];

        var list = new List<JobSpec>(jobs);
        var arrival = 0.0;
        var minSeconds = p.DurationMinMinutes * 60;
        var maxSeconds = p.DurationMaxHours * 3600;
        for (var k = 0; k < jobs; k++)
        {
            // Draw every variate in a fixed order so that a trace only depends on the seed and the parameters.
            var dataset = datasets[rng.NextWeighted(popularity)];
            var gpus = gpuChoices[rng.NextWeighted(gpuWeights)];
            var model = Models[rng.NextInt(Models.Length)];
            var duration = Math.Clamp(p.DurationMedianHours * 3600 * Math.Exp(p.DurationSigma * rng.NextGaussian()), minSeconds, maxSeconds);
            var vc = p.VirtualClusters[rng.NextInt(p.VirtualClusters.Count)];
            if (p.Arrival == ArrivalMode.Poisson && k > 0)
            {
                arrival += rng.NextExponential(p.MeanInterArrivalMinutes * 60);
            }

            var sampleSeconds = model.Cost / p.ResNet50SamplesPerSecond;
            var computeBytesPerSecond = gpus / sampleSeconds * dataset.BytesPerSample;
            var epochs = Math.Max(0.01, Math.Round(duration * computeBytesPerSecond / dataset.SizeBytes, 2));
            list.Add(new JobSpec
            {
                Id = "job-" + (k + 1).ToString("D3", CultureInfo.InvariantCulture),
                ArrivalSeconds = Math.Round(arrival, 1),
                Gpus = gpus,
                Workers = 1,
                Dataset = dataset.Name,
                Epochs = epochs,
                SampleSeconds = sampleSeconds,
                CpuCores = gpus * p.CpuPerGpu,
                MemoryBytes = gpus * p.MemoryGiBPerGpu * Units.GiB,
                VirtualCluster = vc,
            });
        }

        return new Trace { Datasets = datasets, Jobs = list };
    }

    private static void Validate(WorkloadParameters p)
    {
        var problems = new List<string>();
        if (p.Datasets <= 0)
        {
            problems.Add($"workload.datasets: must be > 0 (got {p.Datasets})");
        }

        if (!(p.DatasetMinGB > 0) || !(p.DatasetMaxGB >= p.DatasetMinGB))
        {
            problems.Add($"workload.dataset-min-gb / dataset-max-gb: need 0 < min <= max (got {p.DatasetMinGB}, {p.DatasetMaxGB})");
        }

        if (!(p.OneGpuShare >= 0 && p.OneGpuShare <= 1))
        {
            problems.Add($"workload.one-gpu-share: must be between 0 and 1 (got {p.OneGpuShare})");
        }

        if (!(p.SampleKB > 0) || !(p.StoreMBps > 0) || !(p.ResNet50SamplesPerSecond > 0))
        {
            problems.Add("workload.sample-kb, workload.store-mbps and workload.resnet50-samples-per-s: must be > 0");
        }

        if (!(p.DurationMedianHours > 0) || !(p.DurationSigma >= 0) || !(p.DurationMinMinutes > 0) || !(p.DurationMaxHours * 60 >= p.DurationMinMinutes))
        {
            problems.Add("workload.duration-*: need median > 0, sigma >= 0 and 0 < min <= max");
        }

        if (!(p.MeanInterArrivalMinutes > 0))
        {
            problems.Add($"workload.interarrival-min: must be > 0 (got {p.MeanInterArrivalMinutes})");
        }

        if (p.VirtualClusters.Count == 0)
        {
            problems.Add("workload.virtual-clusters: at least one name is required");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems));
        }
    }
}
