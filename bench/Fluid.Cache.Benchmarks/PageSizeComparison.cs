using System.Diagnostics;
using Fluid.Cache.Tests.Sources;

namespace Fluid.Cache.Benchmarks;

/// <summary>
/// Replays a training-like trace through the real cache for several page sizes, against an
/// in-memory source that charges a fixed latency per request plus a transfer time:
/// an epoch of whole-file reads (128 KiB application reads, 4 loader workers) over many small
/// files and a few large ones, the same epoch again warm, and random 64 KiB reads inside the large
/// files. Prints throughput, source requests, read amplification and MEM space per cached byte.
/// </summary>
internal static class PageSizeComparison
{
    private const int AppRead = 128 * 1024;
    private const int Workers = 4;

    public static async Task<int> RunAsync(string[] args)
    {
        var latency = TimeSpan.FromMilliseconds(args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2);
        const long bandwidth = 400L << 20; // bytes/s per request stream
        var random = new Random(42);
        var source = new MemoryUnderFileSystem("memory://trace") { Latency = latency, BytesPerSecond = bandwidth };
        var small = new List<string>();
        long total = 0;
        for (var i = 0; i < 300; i++)
        {
            var size = random.Next(100 << 10, 1 << 20);
            source.Write($"train/s{i:D4}.jpg", RandomBytes(random, size));
            small.Add($"/d/train/s{i:D4}.jpg");
            total += size;
        }

        var large = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            source.Write($"shards/l{i}.rec", RandomBytes(random, 48 << 20));
            large.Add($"/d/shards/l{i}.rec");
            total += 48 << 20;
        }

        Console.WriteLine($"trace: {small.Count} files of 100 KiB-1 MiB + {large.Count} x 48 MiB = {total / (1 << 20)} MiB; source latency {latency.TotalMilliseconds} ms/request + {bandwidth >> 20} MiB/s per stream; {Workers} readers, {AppRead >> 10} KiB reads");
        Console.WriteLine("| page size | cold epoch MB/s | warm epoch MB/s | source requests | random 64 KiB reads/s (cold, 40 reads) | random read amplification | MEM bytes per cached byte |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var pageSize in new[] { 256 << 10, 1 << 20, 4 << 20, 8 << 20 })
        {
            var options = new CacheOptions
            {
                PageSize = pageSize,
                ReadaheadBytes = Math.Max(4L << 20, 2L * pageSize),
                LoadParallelism = 8,
                MetadataTtl = TimeSpan.FromHours(1),
                Tiers = [new TierOptions { Medium = MediumType.Mem, Quota = 1L << 30 }],
            };
            await using var cache = await DatasetCache.OpenAsync(options, [new DatasetMount("d", source)]);
            var files = new List<string>(small);
            files.AddRange(large);
            Shuffle(files, new Random(7));

            source.ResetCounters();
            var cold = await EpochAsync(cache, files);
            var requests = source.Reads;
            // Warm epochs are short: take the best of three to damp noise from other processes.
            var warm = 0.0;
            for (var i = 0; i < 3; i++)
            {
                warm = Math.Max(warm, await EpochAsync(cache, files));
            }

            // Random reads in the large files, cold: a fresh cache instance.
            await using var randomCache = await DatasetCache.OpenAsync(options with { ReadaheadBytes = 0 }, [new DatasetMount("d", source)]);
            source.ResetCounters();
            var (randomRate, amplification) = await RandomReadsAsync(randomCache, large, new Random(3));

            var summary = cache.GetSummary();
            var memPerByte = (double)summary.Tiers[0].Used / summary.Cached;
            Console.WriteLine($"| {pageSize >> 10} KiB | {cold:F0} | {warm:F0} | {requests} | {randomRate:F0} | {amplification:F1}x | {memPerByte:F3} |");
        }

        return 0;
    }

    private static async Task<double> EpochAsync(DatasetCache cache, List<string> files)
    {
        var next = -1;
        long bytes = 0;
        var clock = Stopwatch.StartNew();
        var workers = new Task[Workers];
        for (var w = 0; w < Workers; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                var buffer = new byte[AppRead];
                int i;
                while ((i = Interlocked.Increment(ref next)) < files.Count)
                {
                    var entry = (await cache.StatAsync(files[i], CancellationToken.None))!;
                    for (long offset = 0; offset < entry.Length; offset += AppRead)
                    {
                        Interlocked.Add(ref bytes, await cache.ReadAsync(entry, offset, buffer, CancellationToken.None));
                    }
                }
            });
        }

        await Task.WhenAll(workers);
        return bytes / clock.Elapsed.TotalSeconds / 1e6;
    }

    private static async Task<(double Rate, double Amplification)> RandomReadsAsync(DatasetCache cache, List<string> large, Random random)
    {
        // Few enough that even 8 MiB pages rarely serve two reads: amplification stays visible.
        const int reads = 40;
        const int size = 64 << 10;
        var entries = new List<DatasetEntry>();
        foreach (var path in large)
        {
            entries.Add((await cache.StatAsync(path, CancellationToken.None))!);
        }

        var offsets = Enumerable.Range(0, reads).Select(_ => (Entry: entries[random.Next(entries.Count)], Offset: (long)random.Next(0, (48 << 20) - size))).ToArray();
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = new Task[Workers];
        for (var w = 0; w < Workers; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                var buffer = new byte[size];
                int i;
                while ((i = Interlocked.Increment(ref next)) < offsets.Length)
                {
                    await cache.ReadAsync(offsets[i].Entry, offsets[i].Offset, buffer, CancellationToken.None);
                }
            });
        }

        await Task.WhenAll(workers);
        var counters = cache.GetCounters();
        return (reads / clock.Elapsed.TotalSeconds, (double)counters.SourceBytes / ((long)reads * size));
    }

    private static byte[] RandomBytes(Random random, int size)
    {
        var data = new byte[size];
        random.NextBytes(data);
        return data;
    }

    private static void Shuffle<T>(List<T> list, Random random)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
