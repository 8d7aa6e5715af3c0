using Fluid.Scheduling.Model;
using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Simulation;
using static Fluid.Scheduling.Tests.Builders;

namespace Fluid.Scheduling.Tests.Simulation;

public sealed class SimulatorTests
{
    private static SimulationResult Run(ClusterSpec cluster, Trace trace, string policy, PolicyParameters? parameters = null) =>
        Simulator.Run(cluster, trace, PolicyRegistry.Default.Create(policy, new PolicyEnvironment(cluster, parameters ?? new PolicyParameters())));

    [Theory]
    [InlineData("kubernetes")]
    [InlineData("hived")]
    [InlineData("fluid")]
    [InlineData("fluid-hived")]
    public void Run_TwoFullNodeJobsInARow_MakespanComputedByHand(string policy)
    {
        // One 8-GPU node; 100 GB dataset on a 1 GB/s store; jobs compute at 2 GB/s.
        // j1: epoch 1 reads the store at 1 GB/s (100 s) and fills the cache, epoch 2 reads the cache at 2 GB/s (50 s): ends at 150.
        // j2 waits, then reads its one epoch from the warm cache in 50 s: ends at 200.
        var cluster = Cluster(Node("n1", cacheGB: 1000, cacheReadGBps: 4));
        var trace = Trace([Dataset("a", 100, storeGBps: 1)], Job("j1", "a", 8, 2, computeGBps: 2), Job("j2", "a", 8, 1, computeGBps: 2));

        var result = Run(cluster, trace, policy);

        Assert.Equal(150, result.Jobs[0].FinishSeconds, 6);
        Assert.Equal(150, result.Jobs[1].StartSeconds, 6);
        Assert.Equal(200, result.Jobs[1].FinishSeconds, 6);
        Assert.Equal(200, result.Totals.MakespanSeconds, 6);
        Assert.Equal(175, result.Totals.AverageJctSeconds, 6);
        Assert.Equal(75, result.Totals.AverageQueueSeconds, 6);
        Assert.Equal(200.0 / 300, result.Totals.CacheHitRatio, 9);
        Assert.Equal(100 * GB, result.Jobs[0].StoreBytes, 0);
        Assert.Equal(100 * GB, result.Jobs[1].LocalCacheBytes, 0);
        Assert.Equal(8, result.PeakGpusPerNode[0]);
    }

    [Fact]
    public void Run_RemoteCacheReadSharesTheCacheTier_MakespanComputedByHand()
    {
        // j1 (node A) reads epoch 1 from the store (100 s) and caches the 100 GB dataset on its node.
        // j2 arrives at 100 on the other node and reads A's cache over the 1 GB/s NIC. A's cache tier (2.5 GB/s)
        // is shared max-min fairly: j2 stops at its NIC limit of 1, j1 gets the remaining 1.5.
        // j1 reads 150 GB by t=200 (epoch 2 ends at 166.7), j2 finishes its epoch at 200;
        // j1's last 50 GB then run at its compute speed of 2 GB/s: done at 225.
        var cluster = Cluster(Node("A", nicGBps: 1, cacheReadGBps: 2.5), Node("B", nicGBps: 1, cacheReadGBps: 2.5));
        var trace = Trace([Dataset("a", 100, storeGBps: 1)], Job("j1", "a", 8, 3, computeGBps: 2), Job("j2", "a", 8, 1, computeGBps: 2, arrival: 100));

        var result = Run(cluster, trace, "kubernetes");

        Assert.NotEqual(result.Jobs[0].Nodes, result.Jobs[1].Nodes);
        Assert.Equal(200, result.Jobs[1].FinishSeconds, 6);
        Assert.Equal(225, result.Jobs[0].FinishSeconds, 6);
        Assert.Equal(225, result.Totals.MakespanSeconds, 6);
        Assert.Equal(100 * GB, result.Jobs[1].RemoteCacheBytes, 0);
    }

    [Fact]
    public void Run_JobsSharingAColdDataset_LaterOneHitsWhatTheFirstCached()
    {
        // Two 4-GPU jobs on one node; the second arrives when the first has read half the dataset.
        var cluster = Cluster(Node("n1"));
        var trace = Trace([Dataset("a", 100, storeGBps: 0.5)], Job("j1", "a", 4, 1, computeGBps: 1), Job("j2", "a", 4, 1, computeGBps: 1, arrival: 100));

        var result = Run(cluster, trace, "kubernetes");

        // j2 starts with 50 GB cached by j1; every byte it reads from the store is new to the cache.
        Assert.InRange(result.Jobs[1].LocalCacheBytes, 45 * GB, 100 * GB);
        Assert.True(result.Jobs[1].FinishSeconds < 100 + 200, "j2 must beat a cold read of the whole dataset at the store's speed");
        Assert.InRange(result.Jobs[0].StoreBytes + result.Jobs[1].StoreBytes, 100 * GB, 100.5 * GB);
    }

    [Fact]
    public void Run_StarvationGuard_StartsTheOldJobAtTheAgeBound()
    {
        // Fluid puts the four jobs on the small dataset before the one on the big dataset; each takes 1800 s.
        // With a one-hour age bound the big job is aged at t=3600 and starts then, ahead of small-3 and small-4.
        var cluster = Cluster(Node("n1", cacheGB: 2000));
        DatasetSpec[] datasets = [Dataset("big", 1000, storeGBps: 100), Dataset("small", 100, storeGBps: 100)];
        var trace = Trace(datasets,
            Job("big", "big", 8, 1, computeGBps: 2),
            Job("small-1", "small", 8, 36, computeGBps: 2),
            Job("small-2", "small", 8, 36, computeGBps: 2),
            Job("small-3", "small", 8, 36, computeGBps: 2),
            Job("small-4", "small", 8, 36, computeGBps: 2));

        var guarded = Run(cluster, trace, "fluid", new PolicyParameters { AgeBoundHours = 1 });
        var unguarded = Run(cluster, trace, "fluid", new PolicyParameters { AgeBoundHours = double.PositiveInfinity });
        var fifo = Run(cluster, trace, "kubernetes");

        Assert.Equal(3600, guarded.Jobs[0].StartSeconds, 6);
        Assert.Equal(7200, unguarded.Jobs[0].StartSeconds, 6);
        Assert.Equal(0, fifo.Jobs[0].StartSeconds, 6);
        Assert.Equal(7700, guarded.Totals.MakespanSeconds, 6);
    }

    [Fact]
    public void Run_JobNoPlacementCanStart_FailsNamingTheJob()
    {
        var cluster = Cluster(Node("n1"), Node("n2"));
        var parameters = new PolicyParameters { HivedVirtualClusters = [new("small", 1), new("other", 1)] };
        var trace = Trace([Dataset("a", 10)], Job("ok", "a", 1, 1, vc: "small"), Job("too-big", "a", 16, 1, workers: 2, vc: "small"));

        var e = Assert.Throws<SimulationException>(() => Run(cluster, trace, "hived", parameters));

        Assert.Contains("too-big", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ok,", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PolicyThatOverCommits_IsStopped()
    {
        var cluster = Cluster(Node("n1"));
        var trace = Trace([Dataset("a", 10)], Job("j1", "a", 8, 1), Job("j2", "a", 8, 1));

        var e = Assert.Throws<InvalidOperationException>(() => Simulator.Run(cluster, trace, new AlwaysNodeZero()));

        Assert.Contains("over-commits node n1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_InvalidTrace_ListsEveryProblemWithItsPath()
    {
        var cluster = Cluster(Node("n1"));
        var trace = Trace([Dataset("a", 10)], Job("j1", "missing", 8, 1), Job("j1", "a", 9, 1));

        var e = Assert.Throws<ArgumentException>(() => Run(cluster, trace, "kubernetes"));

        Assert.Contains("trace.jobs[0].dataset: 'missing' is not a dataset of the trace", e.Message, StringComparison.Ordinal);
        Assert.Contains("trace.jobs[1].id: 'j1' is used by another job", e.Message, StringComparison.Ordinal);
        Assert.Contains("trace.jobs[1].gpus: a worker needs 9 GPUs but the largest node has 8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_IdleGapBetweenArrivals_CountsFromTheFirstArrival()
    {
        var cluster = Cluster(Node("n1"));
        var trace = Trace([Dataset("a", 100, storeGBps: 10)], Job("j1", "a", 8, 1, computeGBps: 2, arrival: 1000), Job("j2", "a", 8, 1, computeGBps: 2, arrival: 5000));

        var result = Run(cluster, trace, "kubernetes");

        Assert.Equal(4050, result.Totals.MakespanSeconds, 6);
        Assert.Equal(50, result.Totals.AverageJctSeconds, 6);
        Assert.Equal(100.0 * 8 / (8 * 4050), result.Totals.GpuUtilisation, 9);
    }

    /// <summary>A broken policy that puts every job on node 0.</summary>
    private sealed class AlwaysNodeZero : ISchedulingPolicy
    {
        public string Name => "broken";

        public IReadOnlyList<QueueEntry> Order(SchedulingContext context) => QueueOrders.PriorityThenFifo(context.Pending);

        public Placement? TryPlace(JobInfo job, SchedulingContext context, NodePreference? preference) =>
            new() { Pods = [new PodPlacement { Node = 0, Gpus = job.Spec.Gpus, CpuCores = job.Spec.CpuCores, MemoryBytes = job.Spec.MemoryBytes }] };

        public void OnStarted(JobInfo job, Placement placement)
        {
        }

        public void OnFinished(JobInfo job, Placement placement, SchedulingContext context)
        {
        }

        public int CompareForEviction(EvictionCandidate x, EvictionCandidate y) => 0;
    }
}
