using Fluid.Cache.Eviction;
using Fluid.Cache.Pages;
using Fluid.Cache.Tiers;
using Fluid.Storage;

namespace Fluid.Cache.Tests;

public sealed class EvictionPolicyTests
{
    private sealed class TestSlot(PageEntry page) : CacheSlot(page, null!, 1);

    private static readonly CachedFile File = new(1, 0, "m", new UfsEntry("f", false, 1 << 30, DateTimeOffset.UnixEpoch, "v"), 4096, 0);

    private static TestSlot Slot(int index) => new(new PageEntry(File, index, 4096, 0));

    [Fact]
    public void Lru_Touched_SurvivesLongest()
    {
        var policy = new LruPolicy();
        var slots = Enumerable.Range(0, 3).Select(Slot).ToArray();
        foreach (var s in slots)
        {
            policy.Add(s);
        }

        policy.Touch(slots[0]);
        Assert.Same(slots[1], policy.PopVictim());
        Assert.Same(slots[2], policy.PopVictim());
        Assert.Same(slots[0], policy.PopVictim());
        Assert.Null(policy.PopVictim());
    }

    [Fact]
    public void Clock_Touched_GetsASecondChance()
    {
        var policy = new ClockPolicy();
        var slots = Enumerable.Range(0, 3).Select(Slot).ToArray();
        foreach (var s in slots)
        {
            policy.Add(s);
        }

        policy.Touch(slots[0]);
        Assert.Same(slots[1], policy.PopVictim());
        Assert.Same(slots[2], policy.PopVictim());
        Assert.Same(slots[0], policy.PopVictim());
    }

    [Fact]
    public void S3Fifo_OneHitWondersLeaveBeforeReusedPages()
    {
        var policy = new S3FifoPolicy(capacityBytes: 10);
        var reused = Enumerable.Range(0, 5).Select(Slot).ToArray();
        foreach (var s in reused)
        {
            policy.Add(s);
            policy.Touch(s);
        }

        var scan = Enumerable.Range(100, 5).Select(Slot).ToArray();
        foreach (var s in scan)
        {
            policy.Add(s);
        }

        var victims = Enumerable.Range(0, 5).Select(_ => policy.PopVictim()).ToArray();
        Assert.Equal(scan.Select(s => s.Page.Index), victims.Select(v => v!.Page.Index));
    }

    [Fact]
    public void S3Fifo_GhostHit_GoesStraightToMain()
    {
        var policy = new S3FifoPolicy(capacityBytes: 10);
        var first = Slot(1);
        policy.Add(first);
        policy.Add(Slot(2));
        Assert.Same(first, policy.PopVictim());

        var again = new TestSlot(first.Page);
        policy.Add(again);
        policy.Add(Slot(3));
        // Slot 2 and 3 sit in the small queue and leave first; the ghost-readmitted page sits in main.
        Assert.Equal(2, policy.PopVictim()!.Page.Index);
        Assert.Equal(3, policy.PopVictim()!.Page.Index);
        Assert.Same(again, policy.PopVictim());
    }

    [Fact]
    public void MemoryStore_BuddyAllocator_SplitsMergesAndNeverExceedsRegion()
    {
        using var store = new MemoryStore(0, new TierOptions { Medium = MediumType.Mem, Quota = 4 * 65536 }, 65536);
        Assert.Equal(4 * 65536, store.Quota);
        var blocks = new List<(long Offset, int Order)>();
        var order4k = MemoryStore.OrderFor(4096);
        var order100k = MemoryStore.OrderFor(40_000);
        Assert.Equal((0, 4), (order4k, order100k));
        while (store.TryAllocate(order100k, out var offset))
        {
            blocks.Add((offset, order100k));
        }

        Assert.Equal(4, blocks.Count);
        Assert.Equal(4, blocks.Select(b => b.Offset).Distinct().Count());
        Assert.False(store.TryAllocate(0, out _));
        foreach (var (offset, order) in blocks)
        {
            store.Release(offset, order);
        }

        for (var i = 0; i < 4; i++)
        {
            Assert.True(store.TryAllocate(MemoryStore.OrderFor(65536), out _));
        }

        Assert.False(store.TryAllocate(0, out _));
    }

    [Fact]
    public void ReuseAwareFifo_ShuffledEpochs_KeepsAStableSetNearCapacityOverDataset()
    {
        // 1,000 single-page files, cache of 500 pages, 6 epochs in a new random order each time.
        var hitRatio = Replay(new ReuseAwareFifoPolicy(500), 500, Epochs(0, 1000, 6, new Random(1)), skip: 1000);
        var lru = Replay(new LruPolicy(), 500, Epochs(0, 1000, 6, new Random(1)), skip: 1000);
        Assert.InRange(hitRatio, 0.40, 0.50);
        Assert.InRange(lru, 0.0, 0.25);
    }

    [Fact]
    public void ReuseAwareFifo_WorkingSetMoves_OldPagesAgeOut()
    {
        var trace = Epochs(0, 1000, 4, new Random(2)).Concat(Epochs(5000, 1000, 8, new Random(3))).ToArray();
        // Hit ratio over the last 4 epochs of the second data set.
        var hitRatio = Replay(new ReuseAwareFifoPolicy(500), 500, trace, skip: trace.Length - 4000);
        Assert.InRange(hitRatio, 0.35, 0.50);
    }

    private static IEnumerable<int> Epochs(int first, int files, int epochs, Random random)
    {
        var order = Enumerable.Range(first, files).ToArray();
        for (var e = 0; e < epochs; e++)
        {
            random.Shuffle(order);
            foreach (var f in order)
            {
                yield return f;
            }
        }
    }

    private static double Replay(EvictionPolicy policy, int capacity, IEnumerable<int> trace, int skip)
    {
        var resident = new Dictionary<int, TestSlot>();
        var files = new Dictionary<int, CachedFile>();
        long hits = 0;
        long counted = 0;
        var i = 0;
        foreach (var id in trace)
        {
            var measured = i++ >= skip;
            counted += measured ? 1 : 0;
            if (resident.TryGetValue(id, out var slot))
            {
                policy.Touch(slot);
                hits += measured ? 1 : 0;
                continue;
            }

            while (resident.Count >= capacity && policy.PopVictim() is { } victim)
            {
                resident.Remove(victim.Page.File.Id);
            }

            if (!files.TryGetValue(id, out var file))
            {
                file = new CachedFile(id, 0, "m", new UfsEntry("f" + id, false, 4096, DateTimeOffset.UnixEpoch, "v"), 4096, 0);
                files[id] = file;
            }

            slot = new TestSlot(new PageEntry(file, 0, 4096, 0));
            resident[id] = slot;
            policy.Add(slot);
        }

        return (double)hits / counted;
    }
}
