using Fluid.Scheduling.Model;

namespace Fluid.Scheduling.Simulation;

/// <summary>
/// Free and used resources of every node. Allocation refuses to over-commit any node: a policy that tries
/// gets an <see cref="InvalidOperationException"/>, which fails the simulation loudly.
/// </summary>
public sealed class ClusterState
{
    private readonly int[] _usedGpus;
    private readonly double[] _usedCpu;
    private readonly double[] _usedMemory;
    private readonly int[] _peakGpus;

    internal ClusterState(ClusterSpec cluster)
    {
        Cluster = cluster;
        var n = cluster.Nodes.Count;
        _usedGpus = new int[n];
        _usedCpu = new double[n];
        _usedMemory = new double[n];
        _peakGpus = new int[n];
    }

    /// <summary>The cluster this state describes.</summary>
    public ClusterSpec Cluster { get; }

    /// <summary>Number of nodes.</summary>
    public int NodeCount => _usedGpus.Length;

    /// <summary>GPUs in use on a node.</summary>
    public int UsedGpus(int node) => _usedGpus[node];

    /// <summary>GPUs free on a node.</summary>
    public int FreeGpus(int node) => Cluster.Nodes[node].Gpus - _usedGpus[node];

    /// <summary>CPU cores requested by running pods on a node.</summary>
    public double UsedCpu(int node) => _usedCpu[node];

    /// <summary>Memory bytes requested by running pods on a node.</summary>
    public double UsedMemory(int node) => _usedMemory[node];

    /// <summary>Whether a pod with these requests fits on the node's free resources.</summary>
    public bool Fits(int node, int gpus, double cpu, double memory, int extraGpus = 0, double extraCpu = 0, double extraMemory = 0)
    {
        var spec = Cluster.Nodes[node];
        return _usedGpus[node] + extraGpus + gpus <= spec.Gpus
            && _usedCpu[node] + extraCpu + cpu <= spec.CpuCores * (1 + 1e-12)
            && _usedMemory[node] + extraMemory + memory <= spec.MemoryBytes * (1 + 1e-12);
    }

    /// <summary>Highest number of GPUs ever in use on a node during the run.</summary>
    public int PeakGpus(int node) => _peakGpus[node];

    internal int TotalUsedGpus()
    {
        var total = 0;
        foreach (var used in _usedGpus)
        {
            total += used;
        }

        return total;
    }

    internal void Allocate(string jobId, Placement placement)
    {
        // Check the whole gang first so that a failed allocation leaves no partial state behind.
        var n = _usedGpus.Length;
        var gpus = new int[n];
        var cpu = new double[n];
        var memory = new double[n];
        foreach (var pod in placement.Pods)
        {
            if (pod.Node < 0 || pod.Node >= n)
            {
                throw new InvalidOperationException($"job {jobId}: placement names node index {pod.Node}, but the cluster has {n} nodes");
            }

            if (pod.Gpus < 0 || pod.CpuCores < 0 || pod.MemoryBytes < 0)
            {
                throw new InvalidOperationException($"job {jobId}: placement requests negative resources on node {Cluster.Nodes[pod.Node].Name}");
            }

            gpus[pod.Node] += pod.Gpus;
            cpu[pod.Node] += pod.CpuCores;
            memory[pod.Node] += pod.MemoryBytes;
        }

        for (var i = 0; i < n; i++)
        {
            if (gpus[i] == 0 && cpu[i] == 0 && memory[i] == 0)
            {
                continue;
            }

            if (!Fits(i, gpus[i], cpu[i], memory[i]))
            {
                var spec = Cluster.Nodes[i];
                throw new InvalidOperationException(
                    $"job {jobId}: placement over-commits node {spec.Name} " +
                    $"(GPUs {_usedGpus[i]}+{gpus[i]}/{spec.Gpus}, CPU {_usedCpu[i]}+{cpu[i]}/{spec.CpuCores}, memory {_usedMemory[i]}+{memory[i]}/{spec.MemoryBytes})");
            }
        }

        for (var i = 0; i < n; i++)
        {
            _usedGpus[i] += gpus[i];
            _usedCpu[i] += cpu[i];
            _usedMemory[i] += memory[i];
            _peakGpus[i] = Math.Max(_peakGpus[i], _usedGpus[i]);
        }
    }

    internal void Release(Placement placement)
    {
        foreach (var pod in placement.Pods)
        {
            _usedGpus[pod.Node] -= pod.Gpus;
            _usedCpu[pod.Node] -= pod.CpuCores;
            _usedMemory[pod.Node] -= pod.MemoryBytes;
            if (_usedGpus[pod.Node] == 0)
            {
                // Sums of doubles drift; an idle node is exactly empty.
                _usedCpu[pod.Node] = 0;
                _usedMemory[pod.Node] = 0;
            }
        }
    }
}
