using Fluid.Scheduling.Model;
using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Policies;

/// <summary>
/// The Kubernetes default scheduler as far as it matters here: PrioritySort queue (priority, then FIFO),
/// NodeResourcesFit filter, and scores from NodeResourcesFit (least allocated over CPU and memory),
/// NodeResourcesBalancedAllocation and NodeAffinity with the default plugin weights 1, 1 and 2. It knows
/// nothing of caches; GPUs are filtered on but not scored, as with the default scoring resources.
/// A multi-pod job is placed only when all of its pods fit (coscheduling), so that no job holds GPUs idle.
/// </summary>
public sealed class KubernetesPolicy : ISchedulingPolicy
{
    private const long MaxNodeScore = 100;
    private readonly PolicyParameters _parameters;

    /// <summary>Creates the policy.</summary>
    public KubernetesPolicy(PolicyParameters parameters) => _parameters = parameters;

    /// <inheritdoc />
    public string Name => "kubernetes";

    /// <inheritdoc />
    public IReadOnlyList<QueueEntry> Order(SchedulingContext context) => QueueOrders.PriorityThenFifo(context.Pending);

    /// <inheritdoc />
    public Placement? TryPlace(JobInfo job, SchedulingContext context, NodePreference? preference)
    {
        var spec = job.Spec;
        var n = context.Cluster.Nodes.Count;
        var extraGpus = new int[n];
        var extraCpu = new double[n];
        var extraMemory = new double[n];
        var podGpus = spec.GpusPerWorker;
        var podCpu = spec.CpuCores / spec.Workers;
        var podMemory = spec.MemoryBytes / spec.Workers;
        var pods = new PodPlacement[spec.Workers];
        for (var p = 0; p < spec.Workers; p++)
        {
            var node = SelectNode(context, podGpus, podCpu, podMemory, extraGpus, extraCpu, extraMemory, preference);
            if (node < 0)
            {
                return null;
            }

            extraGpus[node] += podGpus;
            extraCpu[node] += podCpu;
            extraMemory[node] += podMemory;
            pods[p] = new PodPlacement { Node = node, Gpus = podGpus, CpuCores = podCpu, MemoryBytes = podMemory };
        }

        return new Placement { Pods = pods };
    }

    /// <summary>
    /// Scores every feasible node as kube-scheduler does and returns the best (ties broken at random, as
    /// selectHost does), or -1 when no node fits.
    /// </summary>
    internal int SelectNode(SchedulingContext context, int gpus, double cpu, double memory, int[] extraGpus, double[] extraCpu, double[] extraMemory, NodePreference? preference)
    {
        var n = context.Cluster.Nodes.Count;
        var feasible = new List<int>(n);
        long maxAffinity = 0;
        for (var i = 0; i < n; i++)
        {
            if (context.Resources.Fits(i, gpus, cpu, memory, extraGpus[i], extraCpu[i], extraMemory[i]))
            {
                feasible.Add(i);
                if (preference is not null)
                {
                    maxAffinity = Math.Max(maxAffinity, preference.Scores[i]);
                }
            }
        }

        var best = -1;
        var bestScore = long.MinValue;
        var ties = 0;
        foreach (var i in feasible)
        {
            var score = Score(context, i, cpu, memory, extraCpu[i], extraMemory[i]);
            if (preference is not null && maxAffinity > 0)
            {
                // NodeAffinity's NormalizeScore scales the highest raw score to MaxNodeScore.
                score += _parameters.AffinityWeight * (preference.Scores[i] * MaxNodeScore / maxAffinity);
            }

            if (score > bestScore)
            {
                best = i;
                bestScore = score;
                ties = 1;
            }
            else if (score == bestScore)
            {
                ties++;
                if (context.Random.NextInt(ties) == 0)
                {
                    best = i;
                }
            }
        }

        return best;
    }

    /// <summary>NodeResourcesFit (LeastAllocated) and BalancedAllocation scores with their weights.</summary>
    internal long Score(SchedulingContext context, int node, double cpu, double memory, double extraCpu, double extraMemory)
    {
        var spec = context.Cluster.Nodes[node];

        // kube-scheduler works in integer milli-CPUs and bytes.
        var allocCpu = (long)Math.Round(spec.CpuCores * 1000);
        var allocMemory = (long)spec.MemoryBytes;
        var reqCpu = (long)Math.Round((context.Resources.UsedCpu(node) + extraCpu + cpu) * 1000);
        var reqMemory = (long)(context.Resources.UsedMemory(node) + extraMemory + memory);
        return (_parameters.FitWeight * LeastAllocated(reqCpu, allocCpu, reqMemory, allocMemory))
            + (_parameters.BalancedWeight * BalancedAllocation(reqCpu, allocCpu, reqMemory, allocMemory));
    }

    /// <summary>LeastAllocated with CPU and memory weighted 1 each: mean of (free after placing / allocatable) x 100.</summary>
    public static long LeastAllocated(long requestedCpu, long allocatableCpu, long requestedMemory, long allocatableMemory)
    {
        return (Least(requestedCpu, allocatableCpu) + Least(requestedMemory, allocatableMemory)) / 2;

        static long Least(long requested, long capacity)
        {
            if (capacity == 0 || requested > capacity)
            {
                return 0;
            }

            return (capacity - requested) * MaxNodeScore / capacity;
        }
    }

    /// <summary>BalancedAllocation for two resources: (1 - |cpu fraction - memory fraction| / 2) x 100.</summary>
    public static long BalancedAllocation(long requestedCpu, long allocatableCpu, long requestedMemory, long allocatableMemory)
    {
        var cpuFraction = Math.Min(1.0, (double)requestedCpu / allocatableCpu);
        var memoryFraction = Math.Min(1.0, (double)requestedMemory / allocatableMemory);
        var std = Math.Abs(cpuFraction - memoryFraction) / 2;
        return (long)((1 - std) * MaxNodeScore);
    }

    /// <inheritdoc />
    public void OnStarted(JobInfo job, Placement placement)
    {
    }

    /// <inheritdoc />
    public void OnFinished(JobInfo job, Placement placement, SchedulingContext context)
    {
    }

    /// <inheritdoc />
    public int CompareForEviction(EvictionCandidate x, EvictionCandidate y) => QueueOrders.LeastRecentlyUsed(x, y);
}
