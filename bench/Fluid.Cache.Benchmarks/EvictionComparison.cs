using Fluid.Cache.Eviction;
using Fluid.Cache.Pages;
using Fluid.Storage;

namespace Fluid.Cache.Benchmarks;

/// <summary>
/// Replays page-level traces through the cache's own eviction policy classes and prints hit
/// ratios. Traces: (1) epochs of shuffled whole-file reads over a dataset larger than the cache;
/// (2) the same plus a small hot set (validation files, labels) read after every 10% of an epoch.
/// Belady's clairvoyant MIN is printed as the upper bound.
/// </summary>
internal static class EvictionComparison
{
    private sealed class SimSlot(PageEntry page) : CacheSlot(page, null!, 1);

    public static int Run(string[] args)
    {
        var epochs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
        var random = new Random(11);
        // 2,000 files of 1-8 pages (1 MiB pages: 100 KiB-8 MiB files), about 9,000 pages.
        var fileSizes = Enumerable.Range(0, 2000).Select(_ => random.Next(1, 9)).ToArray();
        var totalPages = fileSizes.Sum();
        Console.WriteLine($"dataset: {fileSizes.Length} files, {totalPages} pages; {epochs} epochs; hit ratio over epochs 2..{epochs} (epoch 1 is cold)");
        foreach (var kindOfTrace in new[] { "epochs", "hot", "shift" })
        {
            var firstEpochLength = 0;
            var trace = kindOfTrace == "shift"
                ? BuildShiftTrace(fileSizes, epochs, new Random(5), out firstEpochLength)
                : BuildTrace(fileSizes, epochs, kindOfTrace == "hot", new Random(5), out firstEpochLength);
            Console.WriteLine();
            Console.WriteLine(kindOfTrace switch
            {
                "epochs" => "trace: shuffled epochs of whole-file reads",
                "hot" => "trace: shuffled epochs + hot set (50 files re-read 10x per epoch)",
                _ => $"trace: {epochs} epochs over dataset A, then {epochs} over a different dataset B (hit ratio over B's epochs 2..{epochs})",
            });
            Console.WriteLine("| cache / dataset | LRU | FIFO | CLOCK | S3-FIFO | reuse-aware FIFO | Belady MIN (bound) |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var fraction in new[] { 0.25, 0.5, 0.75 })
            {
                var capacity = (int)(totalPages * fraction);
                var row = $"| {fraction:P0} |";
                foreach (var kind in new[] { EvictionPolicyKind.Lru, EvictionPolicyKind.Fifo, EvictionPolicyKind.Clock, EvictionPolicyKind.S3Fifo, EvictionPolicyKind.ReuseAwareFifo })
                {
                    row += $" {Simulate(trace, firstEpochLength, capacity, kind):P1} |";
                }

                row += $" {Belady(trace, firstEpochLength, capacity):P1} |";
                Console.WriteLine(row);
            }
        }

        return 0;
    }

    private static PageKey[] BuildShiftTrace(int[] fileSizes, int epochs, Random random, out int skip)
    {
        var a = BuildTrace(fileSizes, epochs, false, random, out _);
        var b = BuildTrace(fileSizes, epochs, false, random, out var firstOfB);
        for (var i = 0; i < b.Length; i++)
        {
            b[i] = new PageKey(b[i].FileId + 1_000_000, b[i].Index);
        }

        skip = a.Length + firstOfB;
        return [.. a, .. b];
    }

    private static PageKey[] BuildTrace(int[] fileSizes, int epochs, bool withHotSet, Random random, out int firstEpochLength)
    {
        var trace = new List<PageKey>();
        var order = Enumerable.Range(0, fileSizes.Length).ToArray();
        var hot = Enumerable.Range(fileSizes.Length, 50).ToArray();
        firstEpochLength = 0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            for (var i = 0; i < order.Length; i++)
            {
                if (withHotSet && i % (order.Length / 10) == 0)
                {
                    foreach (var h in hot)
                    {
                        trace.Add(new PageKey(h, 0));
                    }
                }

                for (var page = 0; page < fileSizes[order[i]]; page++)
                {
                    trace.Add(new PageKey(order[i], page));
                }
            }

            if (epoch == 0)
            {
                firstEpochLength = trace.Count;
            }
        }

        return [.. trace];
    }

    private static double Simulate(PageKey[] trace, int skip, int capacity, EvictionPolicyKind kind)
    {
        var policy = EvictionPolicy.Create(kind, capacity);
        var resident = new Dictionary<PageKey, SimSlot>();
        var files = new Dictionary<int, CachedFile>();
        long hits = 0;
        for (var i = 0; i < trace.Length; i++)
        {
            var key = trace[i];
            if (resident.TryGetValue(key, out var slot))
            {
                policy.Touch(slot);
                if (i >= skip)
                {
                    hits++;
                }

                continue;
            }

            while (resident.Count >= capacity && policy.PopVictim() is { } victim)
            {
                resident.Remove(victim.Page.Key);
            }

            if (!files.TryGetValue(key.FileId, out var file))
            {
                file = new CachedFile(key.FileId, 0, "m", new UfsEntry("f", false, 1L << 40, DateTimeOffset.UnixEpoch, "v"), 1, 0);
                files[key.FileId] = file;
            }

            // The sim gives every file id its own CachedFile so page keys line up with the trace.
            slot = new SimSlot(new PageEntry(file, key.Index, 1, 0));
            resident[key] = slot;
            policy.Add(slot);
        }

        return (double)hits / (trace.Length - skip);
    }

    private static double Belady(PageKey[] trace, int skip, int capacity)
    {
        var nextUse = new int[trace.Length];
        var last = new Dictionary<PageKey, int>();
        for (var i = trace.Length - 1; i >= 0; i--)
        {
            nextUse[i] = last.TryGetValue(trace[i], out var n) ? n : int.MaxValue;
            last[trace[i]] = i;
        }

        var resident = new Dictionary<PageKey, int>();
        var byNextUse = new SortedSet<(int Next, PageKey Key)>(Comparer<(int Next, PageKey Key)>.Create((a, b) =>
            a.Next != b.Next ? a.Next.CompareTo(b.Next) : a.Key.FileId != b.Key.FileId ? a.Key.FileId.CompareTo(b.Key.FileId) : a.Key.Index.CompareTo(b.Key.Index)));
        long hits = 0;
        for (var i = 0; i < trace.Length; i++)
        {
            var key = trace[i];
            if (resident.TryGetValue(key, out var next))
            {
                byNextUse.Remove((next, key));
                if (i >= skip)
                {
                    hits++;
                }
            }
            else if (resident.Count >= capacity)
            {
                // MIN may also decline to cache a page that is needed later than everything held.
                var victim = byNextUse.Max;
                if (victim.Next <= nextUse[i])
                {
                    continue;
                }

                byNextUse.Remove(victim);
                resident.Remove(victim.Key);
            }

            resident[key] = nextUse[i];
            byNextUse.Add((nextUse[i], key));
        }

        return (double)hits / (trace.Length - skip);
    }
}
