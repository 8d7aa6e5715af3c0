using Fluid.Scheduling.Model;
using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Settings;
using static Fluid.Scheduling.Tests.Builders;

namespace Fluid.Scheduling.Tests.Policies;

public sealed class FluidPolicyTests
{
    private static FluidPolicy Fluid(PolicyParameters? p = null) =>
        new(new KubernetesPolicy(p ?? new PolicyParameters()), p ?? new PolicyParameters(), "fluid");

    [Fact]
    public void Order_CachedGroupThenSmallerDatasetThenArrival()
    {
        var h = new Harness(Cluster(Node("n1", cacheGB: 1000)), Dataset("big", 500), Dataset("small", 100), Dataset("warm", 300), Dataset("other", 100));
        h.Cached(0, "warm", 200);
        h.Enqueue(Job("big-1", "big", 1, 1, arrival: 0));
        h.Enqueue(Job("small-1", "small", 1, 1, arrival: 20));
        h.Enqueue(Job("big-2", "big", 1, 1, arrival: 5));
        h.Enqueue(Job("warm-1", "warm", 1, 1, arrival: 30));
        h.Enqueue(Job("other-1", "other", 1, 1, arrival: 10));
        h.Enqueue(Job("small-2", "small", 1, 1, arrival: 1));

        var order = Fluid().Order(h.Context);

        // warm: 200 of 300 GB cached (>= 50%); small and other tie on size, small's group arrived first (t=1).
        Assert.Equal(["warm-1", "small-2", "small-1", "other-1", "big-1", "big-2"], order.Select(e => e.Job.Spec.Id));
        Assert.All(order, e => Assert.False(e.Blocking));
    }

    [Fact]
    public void Order_LittleOfTheDatasetCached_DoesNotCountAsCached()
    {
        var h = new Harness(Cluster(Node("n1", cacheGB: 1000)), Dataset("big", 500), Dataset("small", 100));
        h.Cached(0, "big", 100);
        h.Enqueue(Job("big-1", "big", 1, 1));
        h.Enqueue(Job("small-1", "small", 1, 1));

        Assert.Equal(["small-1", "big-1"], Fluid().Order(h.Context).Select(e => e.Job.Spec.Id));
    }

    [Fact]
    public void Order_DatasetLargerThanTheWholeCache_IsCachedWhenTheCacheIsMostlyItsOwn()
    {
        // 600 GB dataset, 400 GB of cache: 300 GB cached is 75% of what can be cached.
        var h = new Harness(Cluster(Node("n1", cacheGB: 400)), Dataset("huge", 600), Dataset("small", 100));
        h.Cached(0, "huge", 300);
        h.Enqueue(Job("small-1", "small", 1, 1));
        h.Enqueue(Job("huge-1", "huge", 1, 1));

        Assert.Equal(["huge-1", "small-1"], Fluid().Order(h.Context).Select(e => e.Job.Spec.Id));
    }

    [Fact]
    public void Order_PriorityStillComesFirst()
    {
        var h = new Harness(Cluster(Node("n1")), Dataset("big", 500), Dataset("small", 100));
        h.Enqueue(Job("small-1", "small", 1, 1));
        h.Enqueue(Job("big-urgent", "big", 1, 1, priority: 1));

        Assert.Equal(["big-urgent", "small-1"], Fluid().Order(h.Context).Select(e => e.Job.Spec.Id));
    }

    [Fact]
    public void Order_JobOlderThanTheAgeBound_GoesFirstAndBlocks()
    {
        var h = new Harness(Cluster(Node("n1")), Dataset("big", 500), Dataset("small", 100));
        h.Enqueue(Job("big-old", "big", 1, 1, arrival: 0));
        h.Enqueue(Job("small-new", "small", 1, 1, arrival: 3000));
        h.Context.Now = 3600;

        var order = Fluid(new PolicyParameters { AgeBoundHours = 1 }).Order(h.Context);

        Assert.Equal(["big-old", "small-new"], order.Select(e => e.Job.Spec.Id));
        Assert.True(order[0].Blocking);
        Assert.False(order[1].Blocking);
    }

    [Fact]
    public void CacheAffinity_WeighsNodeZoneAndRegionLikeTheWebhook()
    {
        var h = new Harness(
            Cluster(Node("n1", "zone-a", "r1"), Node("n2", "zone-a", "r1"), Node("n3", "zone-b", "r1"), Node("n4", "zone-c", "r2")),
            Dataset("a", 100));
        h.Cached(0, "a", 10);
        var job = h.Enqueue(Job("j", "a", 1, 1));

        var preference = Fluid().CacheAffinity(job, h.Context)!;

        Assert.Equal([170, 70, 20, 0], preference.Scores);
    }

    [Fact]
    public void CacheAffinity_NothingCached_IsNull()
    {
        var h = new Harness(Cluster(Node("n1")), Dataset("a", 100));

        Assert.Null(Fluid().CacheAffinity(h.Enqueue(Job("j", "a", 1, 1)), h.Context));
    }

    [Fact]
    public void TryPlace_PrefersTheNodeHoldingTheCacheOverTheEmptierOne()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2")), Dataset("a", 100));
        var policy = Fluid();
        var busy = h.Enqueue(Job("busy", "a", 4, 1));
        h.Start(policy, busy, new Placement { Pods = [new PodPlacement { Node = 0, Gpus = 4, CpuCores = 40, MemoryBytes = 160 * GB }] });
        h.Cached(0, "a", 50);

        var placement = policy.TryPlace(h.Enqueue(Job("j", "a", 1, 1)), h.Context, null)!;

        Assert.Equal(0, placement.Pods[0].Node);
    }

    [Fact]
    public void TryPlace_OnHived_BindsTheNodeHoldingTheCache()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2"), Node("n3"), Node("n4")), Dataset("a", 100));
        var parameters = new PolicyParameters();
        var policy = new FluidPolicy(new Fluid.Scheduling.Hived.HivedPolicy(h.Cluster, parameters), parameters, "fluid-hived");
        h.Cached(3, "a", 50);

        var placement = policy.TryPlace(h.Enqueue(Job("j", "a", 8, 1)), h.Context, null)!;

        Assert.Equal(3, placement.Pods[0].Node);
    }

    [Fact]
    public void CompareForEviction_DatasetsWithoutQueuedJobsGoFirst()
    {
        var policy = Fluid();

        Assert.True(policy.CompareForEviction(new(0, 50, HasPendingJobs: false), new(1, 10, HasPendingJobs: true)) < 0);
        Assert.True(policy.CompareForEviction(new(0, 10, HasPendingJobs: false), new(1, 50, HasPendingJobs: false)) < 0);
    }

    [Fact]
    public void Registry_UnknownName_ListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => PolicyRegistry.CreateDefault().Create("yarn", new PolicyEnvironment(Cluster(Node("n1")), new PolicyParameters())));

        Assert.Contains("fluid, fluid-hived, hived, kubernetes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_NewPolicy_PlugsIn()
    {
        var registry = PolicyRegistry.CreateDefault().Register("fifo", e => new KubernetesPolicy(e.Parameters));

        Assert.IsType<KubernetesPolicy>(registry.Create("fifo", new PolicyEnvironment(Cluster(Node("n1")), new PolicyParameters())));
        Assert.Contains("fifo", registry.Names);
    }
}
