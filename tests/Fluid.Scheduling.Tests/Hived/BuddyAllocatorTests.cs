using Fluid.Scheduling.Hived;
using static Fluid.Scheduling.Tests.Builders;

namespace Fluid.Scheduling.Tests.Hived;

public sealed class BuddyAllocatorTests
{
    // Four 8-GPU nodes (2x2x2 below the node), two nodes per rack: levels 1 GPU .. 4 node, 5 rack.
    private static CellTree Tree() => CellTree.Build(Cluster(Node("n1"), Node("n2"), Node("n3"), Node("n4")), [2, 2, 2], 2);

    [Fact]
    public void Build_FourNodesTwoPerRack_HasTheExpectedLevels()
    {
        var tree = Tree();

        Assert.Equal(4, tree.NodeLevel);
        Assert.Equal(5, tree.TopLevel);
        Assert.Equal(32, tree.CellsAt(1).Count);
        Assert.Equal(4, tree.CellsAt(4).Count);
        Assert.Equal(2, tree.CellsAt(5).Count);
        Assert.Equal(16, tree.CellsAt(5)[0].GpuCount);
        Assert.Equal([0, 1], tree.CellsAt(5)[0].Children.Select(c => c.Node));
        Assert.Equal(4, tree.NodeCell(1).Children[1].FirstGpu);
    }

    [Fact]
    public void Build_SplitsDoNotMatchNodeGpus_NamesTheNode()
    {
        var e = Assert.Throws<ArgumentException>(() => CellTree.Build(Cluster(Node("n1"), Node("n2", gpus: 4)), [2, 2, 2], 2));

        Assert.Contains("n2 has 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allocate_NoFreeNodeCell_SplitsARackAndFreesTheBuddy()
    {
        var tree = Tree();
        var buddy = new BuddyAllocator(tree);

        var first = buddy.Allocate(4);

        Assert.Same(tree.NodeCell(0), first);
        Assert.Equal([tree.NodeCell(1)], buddy.FreeCells(4));
        Assert.Equal([tree.CellsAt(5)[1]], buddy.FreeCells(5));
    }

    [Fact]
    public void Allocate_FreeNodeCellExists_TakesItInsteadOfSplittingAnotherRack()
    {
        var tree = Tree();
        var buddy = new BuddyAllocator(tree);
        buddy.Allocate(4);

        var second = buddy.Allocate(4);

        Assert.Same(tree.NodeCell(1), second);
        Assert.Empty(buddy.FreeCells(4));
        Assert.Equal([tree.CellsAt(5)[1]], buddy.FreeCells(5));
    }

    [Fact]
    public void Release_BothBuddiesFree_MergesBackIntoTheRack()
    {
        var tree = Tree();
        var buddy = new BuddyAllocator(tree);
        var a = buddy.Allocate(4)!;
        var b = buddy.Allocate(4)!;

        buddy.Release(a);
        Assert.Equal([a], buddy.FreeCells(4));
        Assert.Single(buddy.FreeCells(5));

        buddy.Release(b);
        Assert.Empty(buddy.FreeCells(4));
        Assert.Equal(tree.CellsAt(5), buddy.FreeCells(5));
    }

    [Fact]
    public void Allocate_EverythingTaken_ReturnsNull()
    {
        var buddy = new BuddyAllocator(Tree());
        for (var i = 0; i < 4; i++)
        {
            Assert.NotNull(buddy.Allocate(4));
        }

        Assert.Null(buddy.Allocate(4));
        Assert.Null(buddy.Allocate(5));
    }

    [Fact]
    public void Allocate_WithPreference_SplitsTheRackHoldingThePreferredNode()
    {
        var tree = Tree();
        var buddy = new BuddyAllocator(tree);

        var cell = buddy.Allocate(4, c => c.Node == 3 ? 100 : 0);

        Assert.Same(tree.NodeCell(3), cell);
        Assert.Equal([tree.NodeCell(2)], buddy.FreeCells(4));
        Assert.Equal([tree.CellsAt(5)[0]], buddy.FreeCells(5));
    }

    [Fact]
    public void Allocate_RackLevel_TakesAWholeRack()
    {
        var tree = Tree();
        var buddy = new BuddyAllocator(tree);
        buddy.Allocate(4);

        var rack = buddy.Allocate(5);

        Assert.Same(tree.CellsAt(5)[1], rack);
        Assert.False(buddy.IsAvailable(tree.NodeCell(2)));
        Assert.True(buddy.IsAvailable(tree.NodeCell(1)));
    }

    [Fact]
    public void Release_CellThatIsFree_Throws()
    {
        var tree = Tree();
        var buddy = new BuddyAllocator(tree);

        Assert.Throws<InvalidOperationException>(() => buddy.Release(tree.NodeCell(0)));
    }

    [Fact]
    public void Clone_ChangesToTheCopy_LeaveTheOriginalAlone()
    {
        var tree = Tree();
        var buddy = new BuddyAllocator(tree);
        var copy = buddy.Clone();

        copy.Allocate(4);

        Assert.Equal(tree.CellsAt(5), buddy.FreeCells(5));
        Assert.Single(copy.FreeCells(5));
    }
}
