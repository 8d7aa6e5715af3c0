using Fluid.Scheduling.Hived;
using Fluid.Scheduling.Model;
using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Settings;
using static Fluid.Scheduling.Tests.Builders;

namespace Fluid.Scheduling.Tests.Hived;

public sealed class HivedPolicyTests
{
    private static readonly DatasetSpec Data = Dataset("a", 10);

    [Fact]
    public void TryPlace_SecondSmallJob_PacksOntoTheBusyNode()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2"), Node("n3"), Node("n4")), Data);
        var policy = new HivedPolicy(h.Cluster, new PolicyParameters());
        var first = h.Enqueue(Job("j1", "a", 1, 1));
        var p1 = policy.TryPlace(first, h.Context, null)!;
        h.Start(policy, first, p1);
        var second = h.Enqueue(Job("j2", "a", 2, 1));

        var p2 = policy.TryPlace(second, h.Context, null)!;

        Assert.Equal(p1.Pods[0].Node, p2.Pods[0].Node);
        Assert.Equal([0], p1.Pods[0].GpuIndices);

        // GPU 0 is taken, so its buddy GPU 1 is split off; a 2-GPU pod takes the whole next pair.
        Assert.Equal([2, 3], p2.Pods[0].GpuIndices);
    }

    [Fact]
    public void TryPlace_KubernetesSpreadsWhereHivedPacks()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2")), Data);
        var k8s = new KubernetesPolicy(new PolicyParameters());
        var first = h.Enqueue(Job("j1", "a", 1, 1));
        var p1 = k8s.TryPlace(first, h.Context, null)!;
        h.Start(k8s, first, p1);

        var p2 = k8s.TryPlace(h.Enqueue(Job("j2", "a", 1, 1)), h.Context, null)!;

        Assert.NotEqual(p1.Pods[0].Node, p2.Pods[0].Node);
    }

    [Fact]
    public void TryPlace_OddGpuCount_TakesTheSmallestCellThatHoldsIt()
    {
        var h = new Harness(Cluster(Node("n1")), Data);
        var policy = new HivedPolicy(h.Cluster, new PolicyParameters());
        var one = h.Enqueue(Job("j1", "a", 1, 1));
        h.Start(policy, one, policy.TryPlace(one, h.Context, null)!);

        var three = policy.TryPlace(h.Enqueue(Job("j2", "a", 3, 1)), h.Context, null)!;

        // GPUs 1..3 complete the socket (cell of 4) that GPU 0 opened, keeping the other socket whole.
        Assert.Equal([1, 2, 3], three.Pods[0].GpuIndices);
    }

    [Fact]
    public void TryPlace_VirtualClusterQuotaUsed_WaitsEvenThoughAnotherNodeIsFree()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2")), Data);
        var parameters = new PolicyParameters { HivedVirtualClusters = [new("vc1", 1), new("vc2", 1)] };
        var policy = new HivedPolicy(h.Cluster, parameters);
        var first = h.Enqueue(Job("j1", "a", 8, 1, vc: "vc1"));
        h.Start(policy, first, policy.TryPlace(first, h.Context, null)!);

        var blocked = policy.TryPlace(h.Enqueue(Job("j2", "a", 1, 1, vc: "vc1")), h.Context, null);
        var other = policy.TryPlace(h.Enqueue(Job("j3", "a", 8, 1, vc: "vc2")), h.Context, null);

        Assert.Null(blocked);
        Assert.NotNull(other);
        Assert.Equal(1, other.Pods[0].Node);
    }

    [Fact]
    public void OnFinished_LastJobOfAVirtualClusterCell_UnbindsAndMergesTheBuddies()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2")), Data);
        var policy = new HivedPolicy(h.Cluster, new PolicyParameters());
        var tree = CellTree.Build(h.Cluster, [2, 2, 2], 2);
        var job = h.Enqueue(Job("j1", "a", 4, 1));
        var placement = policy.TryPlace(job, h.Context, null)!;
        h.Start(policy, job, placement);
        Assert.Equal([0], policy.BoundNodes("default"));
        Assert.Empty(policy.Allocator.FreeCells(tree.TopLevel));

        h.Finish(policy, job, placement);

        Assert.Empty(policy.BoundNodes("default"));
        Assert.Single(policy.Allocator.FreeCells(tree.TopLevel));
        Assert.Empty(policy.Allocator.FreeCells(tree.NodeLevel));
    }

    [Fact]
    public void TryPlace_GangDoesNotFit_PlacesNoPod()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2")), Data);
        var policy = new HivedPolicy(h.Cluster, new PolicyParameters());
        var small = h.Enqueue(Job("j1", "a", 1, 1));
        h.Start(policy, small, policy.TryPlace(small, h.Context, null)!);

        var gang = policy.TryPlace(h.Enqueue(Job("j2", "a", 16, 1, workers: 2)), h.Context, null);

        Assert.Null(gang);
    }

    [Fact]
    public void TryPlace_MultiWorkerJobOnIdleCluster_UsesTwoWholeNodes()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2")), Data);
        var policy = new HivedPolicy(h.Cluster, new PolicyParameters());

        var gang = policy.TryPlace(h.Enqueue(Job("j1", "a", 16, 1, workers: 2)), h.Context, null)!;

        Assert.Equal([0, 1], gang.Pods.Select(p => p.Node).Order());
        Assert.All(gang.Pods, p => Assert.Equal(8, p.GpuIndices.Count));
    }

    [Fact]
    public void TryPlace_WithPreference_BindsThePreferredNode()
    {
        var h = new Harness(Cluster(Node("n1"), Node("n2"), Node("n3"), Node("n4")), Data);
        var policy = new HivedPolicy(h.Cluster, new PolicyParameters());

        var placement = policy.TryPlace(h.Enqueue(Job("j1", "a", 2, 1)), h.Context, new NodePreference([0, 0, 170, 70]))!;

        Assert.Equal(2, placement.Pods[0].Node);
    }

    [Fact]
    public void TryPlace_UnknownVirtualCluster_NamesIt()
    {
        var h = new Harness(Cluster(Node("n1")), Data);
        var policy = new HivedPolicy(h.Cluster, new PolicyParameters());

        var e = Assert.Throws<ArgumentException>(() => policy.TryPlace(h.Enqueue(Job("j1", "a", 1, 1, vc: "research")), h.Context, null));

        Assert.Contains("'research'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_QuotasLargerThanTheCluster_Throws()
    {
        var parameters = new PolicyParameters { HivedVirtualClusters = [new("a", 2), new("b", 1)] };

        var e = Assert.Throws<ArgumentException>(() => new HivedPolicy(Cluster(Node("n1"), Node("n2")), parameters));

        Assert.Contains("3 nodes", e.Message, StringComparison.Ordinal);
    }
}
