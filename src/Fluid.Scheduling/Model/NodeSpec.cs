namespace Fluid.Scheduling.Model;

/// <summary>One machine of the simulated cluster: its accelerators, host resources, cache and links.</summary>
public sealed record NodeSpec
{
    /// <summary>Unique node name, used in reports and in placements.</summary>
    public required string Name { get; init; }

    /// <summary>Failure/locality zone (topology.kubernetes.io/zone).</summary>
    public required string Zone { get; init; }

    /// <summary>Region (topology.kubernetes.io/region).</summary>
    public required string Region { get; init; }

    /// <summary>Number of GPUs.</summary>
    public required int Gpus { get; init; }

    /// <summary>Allocatable CPU cores.</summary>
    public required double CpuCores { get; init; }

    /// <summary>Allocatable memory in bytes.</summary>
    public required double MemoryBytes { get; init; }

    /// <summary>Cache capacity of the Fluid cache worker on this node, in bytes.</summary>
    public required double CacheBytes { get; init; }

    /// <summary>NIC bandwidth in bytes per second, each direction.</summary>
    public required double NetworkBytesPerSecond { get; init; }

    /// <summary>How fast the node's cache tier serves reads, in bytes per second.</summary>
    public required double CacheReadBytesPerSecond { get; init; }
}

/// <summary>The machines of a simulated cluster.</summary>
public sealed record ClusterSpec
{
    /// <summary>Nodes in a fixed order; node indices in placements refer to this list.</summary>
    public required IReadOnlyList<NodeSpec> Nodes { get; init; }

    /// <summary>Total GPUs in the cluster.</summary>
    public int TotalGpus
    {
        get
        {
            var total = 0;
            foreach (var node in Nodes)
            {
                total += node.Gpus;
            }

            return total;
        }
    }

    /// <summary>Total cache capacity in bytes.</summary>
    public double TotalCacheBytes
    {
        get
        {
            var total = 0.0;
            foreach (var node in Nodes)
            {
                total += node.CacheBytes;
            }

            return total;
        }
    }

    /// <summary>Returns every problem with the spec, each naming its field path; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Nodes.Count == 0)
        {
            problems.Add("cluster.nodes: at least one node is required");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Nodes.Count; i++)
        {
            var n = Nodes[i];
            var path = $"cluster.nodes[{i}]";
            if (string.IsNullOrWhiteSpace(n.Name))
            {
                problems.Add($"{path}.name: must not be empty");
            }
            else if (!names.Add(n.Name))
            {
                problems.Add($"{path}.name: '{n.Name}' is used by another node");
            }

            if (n.Gpus < 0)
            {
                problems.Add($"{path}.gpus: must be >= 0 (got {n.Gpus})");
            }

            CheckPositive(problems, $"{path}.cpuCores", n.CpuCores);
            CheckPositive(problems, $"{path}.memoryBytes", n.MemoryBytes);
            CheckPositive(problems, $"{path}.networkBytesPerSecond", n.NetworkBytesPerSecond);
            CheckPositive(problems, $"{path}.cacheReadBytesPerSecond", n.CacheReadBytesPerSecond);
            if (!(n.CacheBytes >= 0) || double.IsInfinity(n.CacheBytes))
            {
                problems.Add($"{path}.cacheBytes: must be a finite number >= 0 (got {n.CacheBytes})");
            }
        }

        return problems;
    }

    internal static void CheckPositive(List<string> problems, string path, double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            problems.Add($"{path}: must be a finite number > 0 (got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
        }
    }
}
