using System.Globalization;

namespace Fluid.Scheduling.Model;

/// <summary>A workload: the datasets and the jobs that read them.</summary>
public sealed record Trace
{
    /// <summary>Datasets; job <see cref="JobSpec.Dataset"/> names refer to these.</summary>
    public required IReadOnlyList<DatasetSpec> Datasets { get; init; }

    /// <summary>Jobs in any order.</summary>
    public required IReadOnlyList<JobSpec> Jobs { get; init; }

    /// <summary>Returns every problem with the trace and its fit on <paramref name="cluster"/>, each naming its path.</summary>
    public IReadOnlyList<string> Validate(ClusterSpec cluster)
    {
        var problems = new List<string>();
        var datasets = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Datasets.Count; i++)
        {
            var d = Datasets[i];
            var path = $"trace.datasets[{i}]";
            if (string.IsNullOrWhiteSpace(d.Name))
            {
                problems.Add($"{path}.name: must not be empty");
            }
            else if (!datasets.Add(d.Name))
            {
                problems.Add($"{path}.name: '{d.Name}' is defined twice");
            }

            ClusterSpec.CheckPositive(problems, $"{path}.sizeBytes", d.SizeBytes);
            ClusterSpec.CheckPositive(problems, $"{path}.storeBytesPerSecond", d.StoreBytesPerSecond);
            if (d.FileCount <= 0)
            {
                problems.Add($"{path}.fileCount: must be > 0 (got {d.FileCount})");
            }
        }

        var maxNodeGpus = 0;
        var maxCpu = 0.0;
        var maxMemory = 0.0;
        foreach (var node in cluster.Nodes)
        {
            maxNodeGpus = Math.Max(maxNodeGpus, node.Gpus);
            maxCpu = Math.Max(maxCpu, node.CpuCores);
            maxMemory = Math.Max(maxMemory, node.MemoryBytes);
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Jobs.Count; i++)
        {
            var j = Jobs[i];
            var path = $"trace.jobs[{i}]";
            if (string.IsNullOrWhiteSpace(j.Id))
            {
                problems.Add($"{path}.id: must not be empty");
            }
            else if (!ids.Add(j.Id))
            {
                problems.Add($"{path}.id: '{j.Id}' is used by another job");
            }

            if (!(j.ArrivalSeconds >= 0) || double.IsInfinity(j.ArrivalSeconds))
            {
                problems.Add($"{path}.arrivalSeconds: must be a finite number >= 0 (got {Format(j.ArrivalSeconds)})");
            }

            if (j.Gpus <= 0)
            {
                problems.Add($"{path}.gpus: must be > 0 (got {j.Gpus})");
            }

            if (j.Workers <= 0)
            {
                problems.Add($"{path}.workers: must be > 0 (got {j.Workers})");
            }
            else if (j.Gpus > 0 && j.Gpus % j.Workers != 0)
            {
                problems.Add($"{path}.gpus: {j.Gpus} GPUs cannot be split evenly over {j.Workers} workers");
            }
            else if (j.Gpus > 0 && j.GpusPerWorker > maxNodeGpus)
            {
                problems.Add($"{path}.gpus: a worker needs {j.GpusPerWorker} GPUs but the largest node has {maxNodeGpus}; use more workers");
            }

            if (!datasets.Contains(j.Dataset))
            {
                problems.Add($"{path}.dataset: '{j.Dataset}' is not a dataset of the trace");
            }

            ClusterSpec.CheckPositive(problems, $"{path}.epochs", j.Epochs);
            ClusterSpec.CheckPositive(problems, $"{path}.sampleSeconds", j.SampleSeconds);
            if (!(j.CpuCores >= 0) || !(j.MemoryBytes >= 0))
            {
                problems.Add($"{path}: cpuCores and memoryBytes must be >= 0");
            }
            else if (j.Workers > 0 && (j.CpuCores / j.Workers > maxCpu || j.MemoryBytes / j.Workers > maxMemory))
            {
                problems.Add($"{path}: a worker's CPU or memory request exceeds every node");
            }
        }

        return problems;
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
