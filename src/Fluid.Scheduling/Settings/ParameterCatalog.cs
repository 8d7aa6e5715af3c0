using System.Globalization;

namespace Fluid.Scheduling.Settings;

/// <summary>One tunable parameter: its key, unit, meaning, the source of its default, and how to read and set it.</summary>
public sealed record ParameterInfo(
    string Key,
    string Unit,
    string Description,
    string Source,
    Func<SimulationSettings, string> Get,
    Func<SimulationSettings, string, SimulationSettings> Set);

/// <summary>
/// Every model constant as a named parameter (<c>--set key=value</c> on the command line, rows of the
/// sensitivity table, and the parameter table of docs/scheduling.md).
/// </summary>
public static class ParameterCatalog
{
    private static readonly ParameterInfo[] All =
    [
        Number("cluster.nodes", "nodes", "Nodes in the cluster", "Assumption: 4, the largest run of Fluid's ResNet-50 benchmark (4 x 8 V100)",
            s => s.Cluster.Nodes, (s, v) => s with { Cluster = s.Cluster with { Nodes = Int(v) } }),
        Number("cluster.zones", "zones", "Zones (contiguous blocks of nodes)", "Assumption: 2, so zone affinity has an effect",
            s => s.Cluster.Zones, (s, v) => s with { Cluster = s.Cluster with { Zones = Int(v) } }),
        Number("cluster.regions", "regions", "Regions (contiguous blocks of zones)", "Assumption: 1",
            s => s.Cluster.Regions, (s, v) => s with { Cluster = s.Cluster with { Regions = Int(v) } }),
        Number("cluster.gpus-per-node", "GPUs", "GPUs per node", "Alibaba Cloud ecs.gn6v-c10g1.20xlarge: 8 x V100 16 GB (ECS instance family table)",
            s => s.Cluster.GpusPerNode, (s, v) => s with { Cluster = s.Cluster with { GpusPerNode = Int(v) } }),
        Number("cluster.cpu-per-node", "vCPU", "Allocatable vCPUs per node", "ecs.gn6v-c10g1.20xlarge: 82 vCPUs",
            s => s.Cluster.CpuCoresPerNode, (s, v) => s with { Cluster = s.Cluster with { CpuCoresPerNode = Dbl(v) } }),
        Number("cluster.memory-gib-per-node", "GiB", "Allocatable memory per node", "ecs.gn6v-c10g1.20xlarge: 336 GiB",
            s => s.Cluster.MemoryGiBPerNode, (s, v) => s with { Cluster = s.Cluster with { MemoryGiBPerNode = Dbl(v) } }),
        Number("cluster.network-gbps", "Gbit/s", "NIC bandwidth per node and direction", "ecs.gn6v-c10g1.20xlarge: 32 Gbit/s",
            s => s.Cluster.NetworkGbps, (s, v) => s with { Cluster = s.Cluster with { NetworkGbps = Dbl(v) } }),
        Number("cluster.cache-gib-per-node", "GiB", "Fluid cache capacity per node", "Fluid's ResNet-50 benchmark (docs/zh/samples/accelerate_pvc.md): AlluxioRuntime quota 150Gi per worker",
            s => s.Cluster.CacheGiBPerNode, (s, v) => s with { Cluster = s.Cluster with { CacheGiBPerNode = Dbl(v) } }),
        Number("cluster.cache-read-gbps", "GB/s", "Read bandwidth of a node's cache tier", "Assumption: 4; Fluid's benchmark read ~1.07 GB/s (9,300 img/s) from a warm cache on one node, so this is not a bottleneck",
            s => s.Cluster.CacheReadGBps, (s, v) => s with { Cluster = s.Cluster with { CacheReadGBps = Dbl(v) } }),
        Number("workload.datasets", "datasets", "Distinct datasets in a synthetic trace", "Assumption: 4 (a few datasets shared by many jobs)",
            s => s.Workload.Datasets, (s, v) => s with { Workload = s.Workload with { Datasets = Int(v) } }),
        Number("workload.dataset-min-gb", "GB", "Smallest dataset (log-uniform sizes)", "Assumption: 100 (ImageNet-1k is 148 GB)",
            s => s.Workload.DatasetMinGB, (s, v) => s with { Workload = s.Workload with { DatasetMinGB = Dbl(v) } }),
        Number("workload.dataset-max-gb", "GB", "Largest dataset", "Assumption: 1,000",
            s => s.Workload.DatasetMaxGB, (s, v) => s with { Workload = s.Workload with { DatasetMaxGB = Dbl(v) } }),
        Number("workload.popularity-skew", "", "Zipf exponent of dataset popularity (0 = uniform)", "Assumption: 1",
            s => s.Workload.PopularitySkew, (s, v) => s with { Workload = s.Workload with { PopularitySkew = Dbl(v) } }),
        Number("workload.sample-kb", "KB", "Average sample (file) size", "ImageNet ILSVRC2012 train: 147.9 GB / 1,281,167 images = 115 KB",
            s => s.Workload.SampleKB, (s, v) => s with { Workload = s.Workload with { SampleKB = Dbl(v) } }),
        Number("workload.store-mbps", "MB/s", "Remote store bandwidth per dataset, shared by its readers", "Fluid's ResNet-50 benchmark on capacity NAS: 2,400-3,136 img/s cold = 280-360 MB/s",
            s => s.Workload.StoreMBps, (s, v) => s with { Workload = s.Workload with { StoreMBps = Dbl(v) } }),
        Number("workload.one-gpu-share", "", "Share of 1-GPU jobs (rest: 2, 4, 8 GPUs equally)", "About half, as in the public Philly and Helios traces; the 2/4/8 split is an assumption",
            s => s.Workload.OneGpuShare, (s, v) => s with { Workload = s.Workload with { OneGpuShare = Dbl(v) } }),
        Number("workload.resnet50-samples-per-s", "samples/s", "ResNet-50 speed per V100 (ResNet-101/152 slower by FLOPs 7.6/11.3 vs 3.8 G)", "Fluid's benchmark: 9,301.6 img/s on 8 V100 warm; FLOPs from He et al. 2016",
            s => s.Workload.ResNet50SamplesPerSecond, (s, v) => s with { Workload = s.Workload with { ResNet50SamplesPerSecond = Dbl(v) } }),
        Number("workload.duration-median-h", "h", "Median job duration without I/O stalls (log-normal)", "Assumption: 1 h (long-tailed as Philly/Helios, not fitted)",
            s => s.Workload.DurationMedianHours, (s, v) => s with { Workload = s.Workload with { DurationMedianHours = Dbl(v) } }),
        Number("workload.duration-sigma", "", "Log-normal sigma of job duration", "Assumption: 1.0 (p95 about 5x the median)",
            s => s.Workload.DurationSigma, (s, v) => s with { Workload = s.Workload with { DurationSigma = Dbl(v) } }),
        Number("workload.duration-min-min", "min", "Shortest job duration", "Assumption: 5",
            s => s.Workload.DurationMinMinutes, (s, v) => s with { Workload = s.Workload with { DurationMinMinutes = Dbl(v) } }),
        Number("workload.duration-max-h", "h", "Longest job duration", "Assumption: 24",
            s => s.Workload.DurationMaxHours, (s, v) => s with { Workload = s.Workload with { DurationMaxHours = Dbl(v) } }),
        new ParameterInfo("workload.arrival", "batch|poisson", "Arrival process", "Assumption: batch (all jobs at t=0, a makespan experiment)",
            s => s.Workload.Arrival == ArrivalMode.Batch ? "batch" : "poisson",
            (s, v) => s with { Workload = s.Workload with { Arrival = ParseArrival(v) } }),
        Number("workload.interarrival-min", "min", "Mean inter-arrival time for Poisson arrivals", "Assumption: 10",
            s => s.Workload.MeanInterArrivalMinutes, (s, v) => s with { Workload = s.Workload with { MeanInterArrivalMinutes = Dbl(v) } }),
        Number("workload.cpu-per-gpu", "vCPU", "CPU request per GPU", "Node shape: 82 vCPUs / 8 GPUs, rounded down",
            s => s.Workload.CpuPerGpu, (s, v) => s with { Workload = s.Workload with { CpuPerGpu = Dbl(v) } }),
        Number("workload.memory-gib-per-gpu", "GiB", "Memory request per GPU", "Node shape: 336 GiB / 8 GPUs, rounded down",
            s => s.Workload.MemoryGiBPerGpu, (s, v) => s with { Workload = s.Workload with { MemoryGiBPerGpu = Dbl(v) } }),
        Number("model.multinode-efficiency", "", "Per-GPU speed of multi-worker jobs relative to one node", "Fluid's benchmark: 21,329 img/s on 4x8 vs 9,301.6 on 1x8 = 0.57",
            s => s.Simulator.MultiNodeEfficiency, (s, v) => s with { Simulator = s.Simulator with { MultiNodeEfficiency = Dbl(v) } }),
        Number("model.cache-step", "", "Largest share of a dataset cached between two recomputations of speeds (numerical step)", "Numerical setting: 0.01 (halving it moves results by well under 1%)",
            s => s.Simulator.CacheStepFraction, (s, v) => s with { Simulator = s.Simulator with { CacheStepFraction = Dbl(v) } }),
        Number("policy.k8s.fit-weight", "", "NodeResourcesFit (least allocated) score weight", "kube-scheduler default_plugins.go: 1",
            s => s.Policy.FitWeight, (s, v) => s with { Policy = s.Policy with { FitWeight = Int(v) } }),
        Number("policy.k8s.balanced-weight", "", "NodeResourcesBalancedAllocation score weight", "kube-scheduler default_plugins.go: 1",
            s => s.Policy.BalancedWeight, (s, v) => s with { Policy = s.Policy with { BalancedWeight = Int(v) } }),
        Number("policy.k8s.affinity-weight", "", "NodeAffinity score weight", "kube-scheduler default_plugins.go: 2",
            s => s.Policy.AffinityWeight, (s, v) => s with { Policy = s.Policy with { AffinityWeight = Int(v) } }),
        Number("policy.fluid.node-weight", "", "Affinity term weight: node holds the dataset's cache", "Fluid webhook NodeAffinityWithCache: 100",
            s => s.Policy.CacheNodeWeight, (s, v) => s with { Policy = s.Policy with { CacheNodeWeight = Int(v) } }),
        Number("policy.fluid.zone-weight", "", "Affinity term weight: node's zone holds the cache", "Fluid webhook: 50",
            s => s.Policy.CacheZoneWeight, (s, v) => s with { Policy = s.Policy with { CacheZoneWeight = Int(v) } }),
        Number("policy.fluid.region-weight", "", "Affinity term weight: node's region holds the cache", "Fluid webhook: 20",
            s => s.Policy.CacheRegionWeight, (s, v) => s with { Policy = s.Policy with { CacheRegionWeight = Int(v) } }),
        Number("policy.fluid.age-bound-h", "h", "Starvation guard: queued longer than this goes first and blocks later jobs", "Assumption: 12 h (see the sensitivity table)",
            s => s.Policy.AgeBoundHours, (s, v) => s with { Policy = s.Policy with { AgeBoundHours = Dbl(v) } }),
        Number("policy.fluid.cached-threshold", "", "Share of a dataset (of what the cache can hold) that makes it 'already cached'", "Assumption: 0.5",
            s => s.Policy.CachedThreshold, (s, v) => s with { Policy = s.Policy with { CachedThreshold = Dbl(v) } }),
        new ParameterInfo("policy.hived.cell-splits", "AxBxC", "HiveD cells below the node, children per cell from the GPU up", "DGX-1-style 8-GPU node: 2 GPUs per PCIe switch, 2 switches per socket, 2 sockets",
            s => string.Join('x', s.Policy.HivedCellSplits),
            (s, v) => s with { Policy = s.Policy with { HivedCellSplits = v.Split('x').Select(Int).ToArray() } }),
        Number("policy.hived.nodes-per-rack", "nodes", "Nodes per HiveD top-level cell", "Assumption: 2",
            s => s.Policy.HivedNodesPerRack, (s, v) => s with { Policy = s.Policy with { HivedNodesPerRack = Int(v) } }),
        new ParameterInfo("policy.hived.vcs", "VCs", "HiveD virtual clusters: nodes split evenly, jobs assigned uniformly", "Assumption: 1 (no quotas)",
            s => Math.Max(1, s.Policy.HivedVirtualClusters.Count).ToString(CultureInfo.InvariantCulture),
            SetVirtualClusters),
    ];

    /// <summary>All parameters in documentation order.</summary>
    public static IReadOnlyList<ParameterInfo> Parameters => All;

    /// <summary>Finds a parameter by key.</summary>
    /// <exception cref="ArgumentException">Unknown key; the message lists close matches.</exception>
    public static ParameterInfo Find(string key)
    {
        foreach (var p in All)
        {
            if (string.Equals(p.Key, key, StringComparison.Ordinal))
            {
                return p;
            }
        }

        var prefix = key.Split('.')[0];
        var near = All.Where(p => p.Key.StartsWith(prefix + ".", StringComparison.Ordinal)).Select(p => p.Key);
        throw new ArgumentException($"unknown parameter '{key}'; known: {string.Join(", ", near.Any() ? near : All.Select(p => p.Key))}");
    }

    /// <summary>Applies <c>key=value</c> assignments in order.</summary>
    /// <exception cref="ArgumentException">A malformed assignment, unknown key or bad value, named in the message.</exception>
    public static SimulationSettings Apply(SimulationSettings settings, IEnumerable<string> assignments)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        foreach (var assignment in assignments)
        {
            var eq = assignment.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"'{assignment}': expected key=value");
            }

            var key = assignment[..eq].Trim();
            var value = assignment[(eq + 1)..].Trim();
            var parameter = Find(key);
            try
            {
                settings = parameter.Set(settings, value);
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"{key}: {e.Message}", e);
            }
        }

        return settings;
    }

    private static ParameterInfo Number(string key, string unit, string description, string source, Func<SimulationSettings, double> get, Func<SimulationSettings, string, SimulationSettings> set) =>
        new(key, unit, description, source, s => get(s).ToString("0.###", CultureInfo.InvariantCulture), set);

    private static int Int(string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"'{value}' is not an integer");

    private static double Dbl(string value)
    {
        if (string.Equals(value, "inf", StringComparison.OrdinalIgnoreCase))
        {
            return double.PositiveInfinity;
        }

        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !double.IsNaN(v)
            ? v
            : throw new FormatException($"'{value}' is not a number");
    }

    private static ArrivalMode ParseArrival(string value) => value.ToUpperInvariant() switch
    {
        "BATCH" => ArrivalMode.Batch,
        "POISSON" => ArrivalMode.Poisson,
        _ => throw new FormatException($"'{value}' is not an arrival mode (batch or poisson)"),
    };

    private static SimulationSettings SetVirtualClusters(SimulationSettings s, string value)
    {
        var count = Int(value);
        if (count <= 0 || count > s.Cluster.Nodes)
        {
            throw new FormatException($"'{value}' virtual clusters: need between 1 and cluster.nodes ({s.Cluster.Nodes})");
        }

        if (count == 1)
        {
            return s with
            {
                Policy = s.Policy with { HivedVirtualClusters = [] },
                Workload = s.Workload with { VirtualClusters = ["default"] },
            };
        }

        var quotas = new List<VirtualClusterQuota>(count);
        for (var i = 0; i < count; i++)
        {
            var nodes = (s.Cluster.Nodes * (i + 1) / count) - (s.Cluster.Nodes * i / count);
            quotas.Add(new VirtualClusterQuota("vc" + (i + 1).ToString(CultureInfo.InvariantCulture), nodes));
        }

        return s with
        {
            Policy = s.Policy with { HivedVirtualClusters = quotas },
            Workload = s.Workload with { VirtualClusters = quotas.Select(q => q.Name).ToArray() },
        };
    }
}
