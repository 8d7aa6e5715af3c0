using System.Globalization;
using Fluid.Scheduling.Model;

namespace Fluid.Scheduling.Settings;

/// <summary>
/// Shape of the default simulated cluster. Defaults describe Alibaba Cloud ecs.gn6v-c10g1.20xlarge nodes, the
/// machine Fluid's own ResNet-50 benchmark ran on (docs/zh/samples/accelerate_pvc.md in fluid-cloudnative/fluid).
/// </summary>
public sealed record ClusterParameters
{
    /// <summary>Number of nodes. Assumption: four, the largest run in Fluid's ResNet-50 benchmark (4 x 8 V100).</summary>
    public int Nodes { get; init; } = 4;

    /// <summary>Zones the nodes are spread over (contiguous blocks). Assumption: two, so zone affinity matters.</summary>
    public int Zones { get; init; } = 2;

    /// <summary>Regions the zones are spread over. Assumption: one.</summary>
    public int Regions { get; init; } = 1;

    /// <summary>GPUs per node: 8 x V100 16 GB (Alibaba Cloud ECS instance family table, gn6v-c10g1.20xlarge).</summary>
    public int GpusPerNode { get; init; } = 8;

    /// <summary>vCPUs per node: 82 (same source).</summary>
    public double CpuCoresPerNode { get; init; } = 82;

    /// <summary>Memory per node in GiB: 336 (same source).</summary>
    public double MemoryGiBPerNode { get; init; } = 336;

    /// <summary>NIC bandwidth per node in Gbit/s: 32 (same source).</summary>
    public double NetworkGbps { get; init; } = 32;

    /// <summary>
    /// Cache capacity per node in GiB: 150, the AlluxioRuntime tiered-store quota per worker in Fluid's
    /// ResNet-50 benchmark (accelerate_pvc.md, 4 workers, one per node).
    /// </summary>
    public double CacheGiBPerNode { get; init; } = 150;

    /// <summary>
    /// Read bandwidth of a node's cache tier in GB/s. Assumption: 4. Fluid's benchmark saw a warm 8-GPU ResNet-50
    /// job read about 9,300 images/s (about 1.07 GB/s) from its local cache, so 4 GB/s is not the bottleneck.
    /// </summary>
    public double CacheReadGBps { get; init; } = 4;

    /// <summary>Builds the cluster: nodes <c>node-1..N</c>, zones <c>zone-a..</c>, regions <c>region-1..</c>.</summary>
    public ClusterSpec Build()
    {
        if (Nodes <= 0)
        {
            throw new ArgumentException($"cluster.nodes: must be > 0 (got {Nodes})");
        }

        if (Zones <= 0 || Zones > Nodes)
        {
            throw new ArgumentException($"cluster.zones: must be between 1 and cluster.nodes ({Nodes}) (got {Zones})");
        }

        if (Regions <= 0 || Regions > Zones)
        {
            throw new ArgumentException($"cluster.regions: must be between 1 and cluster.zones ({Zones}) (got {Regions})");
        }

        var nodes = new List<NodeSpec>(Nodes);
        for (var i = 0; i < Nodes; i++)
        {
            var zone = (int)((long)i * Zones / Nodes);
            var region = (int)((long)zone * Regions / Zones);
            nodes.Add(new NodeSpec
            {
                Name = "node-" + (i + 1).ToString(CultureInfo.InvariantCulture),
                Zone = "zone-" + (char)('a' + (zone % 26)) + (zone >= 26 ? (zone / 26).ToString(CultureInfo.InvariantCulture) : string.Empty),
                Region = "region-" + (region + 1).ToString(CultureInfo.InvariantCulture),
                Gpus = GpusPerNode,
                CpuCores = CpuCoresPerNode,
                MemoryBytes = MemoryGiBPerNode * Units.GiB,
                CacheBytes = CacheGiBPerNode * Units.GiB,
                NetworkBytesPerSecond = NetworkGbps * 1e9 / 8,
                CacheReadBytesPerSecond = CacheReadGBps * 1e9,
            });
        }

        var cluster = new ClusterSpec { Nodes = nodes };
        var problems = cluster.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems));
        }

        return cluster;
    }
}

/// <summary>Byte units used by parameters.</summary>
public static class Units
{
    /// <summary>2^30 bytes.</summary>
    public const double GiB = 1024.0 * 1024 * 1024;

    /// <summary>10^9 bytes.</summary>
    public const double GB = 1e9;

    /// <summary>10^6 bytes.</summary>
    public const double MB = 1e6;

    /// <summary>10^3 bytes.</summary>
    public const double KB = 1e3;
}
