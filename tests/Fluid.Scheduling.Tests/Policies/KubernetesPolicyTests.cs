using Fluid.Scheduling.Model;
using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Settings;
using static Fluid.Scheduling.Tests.Builders;

namespace Fluid.Scheduling.Tests.Policies;

public sealed class KubernetesPolicyTests
{
    private static readonly DatasetSpec Data = Dataset("a", 10);

    [Fact]
    public void Order_PriorityFirstThenArrival()
    {
        var h = new Harness(Cluster(Node("n1")), Data);
        h.Enqueue(Job("late", "a", 1, 1, arrival: 30));
        h.Enqueue(Job("early", "a", 1, 1, arrival: 10));
        h.Enqueue(Job("urgent", "a", 1, 1, arrival: 50, priority: 5));
        h.Enqueue(Job("tie", "a", 1, 1, arrival: 10));

        var order = new KubernetesPolicy(new PolicyParameters()).Order(h.Context);

        Assert.Equal(["urgent", "early", "tie", "late"], order.Select(e => e.Job.Spec.Id));
        Assert.All(order, e => Assert.False(e.Blocking));
    }

    [Fact]
    public void LeastAllocated_MatchesTheSchedulerIntegerFormula()
    {
        // (80000 - 10000) * 100 / 80000 = 87 for CPU and (320 - 40) * 100 / 320 = 87 for memory.
        Assert.Equal(87, KubernetesPolicy.LeastAllocated(10_000, 80_000, 40_000_000_000, 320_000_000_000));
        Assert.Equal(0, KubernetesPolicy.LeastAllocated(90_000, 80_000, 400_000_000_000, 320_000_000_000));
        Assert.Equal(100, KubernetesPolicy.LeastAllocated(0, 80_000, 0, 320_000_000_000));
    }

    [Fact]
    public void BalancedAllocation_PenalisesUnevenCpuAndMemory()
    {
        Assert.Equal(100, KubernetesPolicy.BalancedAllocation(40, 80, 160, 320));

        // CPU 0.5, memory 0.25: std = 0.125, score = 87.5 truncated.
        Assert.Equal(87, KubernetesPolicy.BalancedAllocation(40, 80, 80, 320));
    }

    [Fact]
    public void TryPlace_NoPreference_SpreadsToTheLeastAllocatedNode()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2")), Data);
        var policy = new KubernetesPolicy(new PolicyParameters());
        var busy = h.Enqueue(Job("busy", "a", 4, 1));
        h.Start(policy, busy, new Placement { Pods = [new PodPlacement { Node = 0, Gpus = 4, CpuCores = 40, MemoryBytes = 160 * GB }] });

        var placement = policy.TryPlace(h.Enqueue(Job("j", "a", 1, 1)), h.Context, null)!;

        Assert.Equal(1, placement.Pods[0].Node);
    }

    [Fact]
    public void TryPlace_CacheAffinity_OutweighsTheEmptierNode()
    {
        // n1: LA 37 + BA 100 = 137, affinity 170 -> 100 x 2; n2: 187, affinity 70 -> 41 x 2. 337 beats 269.
        var h = new Harness(Cluster(Node("n1"), Node("n2")), Data);
        var policy = new KubernetesPolicy(new PolicyParameters());
        var busy = h.Enqueue(Job("busy", "a", 4, 1));
        h.Start(policy, busy, new Placement { Pods = [new PodPlacement { Node = 0, Gpus = 4, CpuCores = 40, MemoryBytes = 160 * GB }] });

        var placement = policy.TryPlace(h.Enqueue(Job("j", "a", 1, 1)), h.Context, new NodePreference([170, 70]))!;

        Assert.Equal(0, placement.Pods[0].Node);
        Assert.Equal(137 + 200, policy.Score(h.Context, 0, 10, 40 * GB, 0, 0) + (2 * 100));
    }

    [Fact]
    public void TryPlace_NodeWithoutEnoughGpus_IsFilteredOut()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2", gpus: 2)), Data);
        var policy = new KubernetesPolicy(new PolicyParameters());
        var busy = h.Enqueue(Job("busy", "a", 6, 1));
        h.Start(policy, busy, new Placement { Pods = [new PodPlacement { Node = 0, Gpus = 6, CpuCores = 60, MemoryBytes = 240 * GB }] });

        Assert.Null(policy.TryPlace(h.Enqueue(Job("j", "a", 4, 1)), h.Context, null));
        Assert.Equal(1, policy.TryPlace(h.Enqueue(Job("k", "a", 2, 1)), h.Context, null)!.Pods[0].Node);
    }

    [Fact]
    public void TryPlace_MultiWorkerJob_PlacesAllPodsOrNone()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2"), Node("n3")), Data);
        var policy = new KubernetesPolicy(new PolicyParameters());
        var gang = policy.TryPlace(h.Enqueue(Job("g", "a", 24, 1, workers: 3)), h.Context, null)!;
        Assert.Equal([0, 1, 2], gang.Pods.Select(p => p.Node).Order());

        var small = h.Enqueue(Job("s", "a", 1, 1));
        h.Start(policy, small, new Placement { Pods = [new PodPlacement { Node = 2, Gpus = 1, CpuCores = 10, MemoryBytes = 40 * GB }] });

        Assert.Null(policy.TryPlace(h.Enqueue(Job("g2", "a", 24, 1, workers: 3)), h.Context, null));
    }

    [Fact]
    public void CompareForEviction_LeastRecentlyUsedFirst()
    {
        var policy = new KubernetesPolicy(new PolicyParameters());

        Assert.True(policy.CompareForEviction(new(0, 10, HasPendingJobs: true), new(1, 20, HasPendingJobs: false)) < 0);
    }
}
