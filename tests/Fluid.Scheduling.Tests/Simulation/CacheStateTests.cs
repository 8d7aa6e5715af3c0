using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Simulation;
using static Fluid.Scheduling.Tests.Builders;

namespace Fluid.Scheduling.Tests.Simulation;

public sealed class CacheStateTests
{
    [Fact]
    public void Insert_LocalNodeFull_OverflowsToTheEmptiestOtherNode()
    {
        var cluster = Cluster(Node("n1", cacheGB: 10), Node("n2", cacheGB: 10), Node("n3", cacheGB: 30));
        var cache = new CacheState(cluster, [Dataset("a", 40)]);
        var stored = new double[3];

        var total = cache.Insert(0, 0, 25 * GB, 1, QueueOrders.LeastRecentlyUsed, [true], [false], stored);

        Assert.Equal(25 * GB, total);
        Assert.Equal(10 * GB, cache.CachedBytes(0, 0));
        Assert.Equal(15 * GB, cache.CachedBytes(2, 0));
        Assert.Equal(0, cache.CachedBytes(1, 0));
        Assert.Equal([10 * GB, 0, 15 * GB], stored);
    }

    [Fact]
    public void Insert_LocalNodeFullOfIdleData_UsesFreeSpaceElsewhereBeforeEvicting()
    {
        var cluster = Cluster(Node("n1", cacheGB: 10), Node("n2", cacheGB: 10));
        var cache = new CacheState(cluster, [Dataset("old", 10), Dataset("new", 15)]);
        var stored = new double[2];
        cache.Insert(0, 0, 10 * GB, 1, QueueOrders.LeastRecentlyUsed, [false, true], [false, false], stored);

        cache.Insert(0, 1, 15 * GB, 2, QueueOrders.LeastRecentlyUsed, [false, true], [false, false], stored);

        // n2's free 10 GB first, then 5 GB more by evicting the idle dataset on n1.
        Assert.Equal(10 * GB, cache.CachedBytes(1, 1));
        Assert.Equal(5 * GB, cache.CachedBytes(0, 1));
        Assert.Equal(0, cache.CachedBytes(0, 0));
        Assert.Equal(1, cache.Evictions);
    }

    [Fact]
    public void Insert_NeverHoldsMoreThanTheDataset()
    {
        var cache = new CacheState(Cluster(Node("n1", cacheGB: 100)), [Dataset("a", 40)]);
        var stored = new double[1];

        cache.Insert(0, 0, 30 * GB, 1, QueueOrders.LeastRecentlyUsed, [true], [false], stored);
        cache.Insert(0, 0, 30 * GB, 2, QueueOrders.LeastRecentlyUsed, [true], [false], stored);

        Assert.Equal(40 * GB, cache.TotalCached(0));
        Assert.Equal(40 * GB, cache.UsedBytes(0));
    }

    [Fact]
    public void Insert_FullNode_EvictsTheLeastRecentlyUsedIdleDataset()
    {
        var cache = new CacheState(Cluster(Node("n1", cacheGB: 30)), [Dataset("a", 10), Dataset("b", 10), Dataset("c", 10), Dataset("d", 10)]);
        var stored = new double[1];
        bool[] idle = [false, false, false, false];
        cache.Insert(0, 0, 10 * GB, 1, QueueOrders.LeastRecentlyUsed, idle, idle, stored);
        cache.Insert(0, 1, 10 * GB, 2, QueueOrders.LeastRecentlyUsed, idle, idle, stored);
        cache.Insert(0, 2, 10 * GB, 3, QueueOrders.LeastRecentlyUsed, idle, idle, stored);
        cache.Touch(0, 0, 4);

        cache.Insert(0, 3, 10 * GB, 5, QueueOrders.LeastRecentlyUsed, idle, idle, stored);

        Assert.Equal(10 * GB, cache.CachedBytes(0, 0));
        Assert.Equal(0, cache.CachedBytes(0, 1));
        Assert.Equal(10 * GB, cache.CachedBytes(0, 3));
        Assert.Equal(1, cache.Evictions);
    }

    [Fact]
    public void Insert_OnlyDatasetsInUseLeft_StoresNothingRatherThanEvictThem()
    {
        var cache = new CacheState(Cluster(Node("n1", cacheGB: 10)), [Dataset("a", 10), Dataset("b", 10)]);
        var stored = new double[1];
        cache.Insert(0, 0, 10 * GB, 1, QueueOrders.LeastRecentlyUsed, [true, true], [false, false], stored);

        var added = cache.Insert(0, 1, 5 * GB, 2, QueueOrders.LeastRecentlyUsed, [true, true], [false, false], stored);

        Assert.Equal(0, added);
        Assert.Equal(10 * GB, cache.CachedBytes(0, 0));
    }
}
