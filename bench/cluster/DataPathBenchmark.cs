using System.Diagnostics;
using System.Globalization;
using System.Net;
using Fluid.Cache;
using Fluid.Cache.Cluster.Client;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Security;
using Fluid.Cache.Cluster.Worker;
using Fluid.Storage;
using Fluid.Storage.Mounts;

namespace Fluid.Cluster.Benchmarks;

/// <summary>
/// `datapath`: one in-process worker on loopback, warm, and in one run (a) the protocol comparison —
/// the binary TCP protocol vs HTTP/1.1 on Kestrel (pooled-buffer copy and SendFileAsync) — and
/// (b) the read paths a client has: a local cache hit (MEM, SSD), a page read from the remote worker,
/// a short-circuit read of the co-located worker's blob, and the plain local file as the limit.
/// </summary>
internal static class DataPathBenchmark
{
    private const int Page = 1 << 20;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var root = Directory.CreateTempSubdirectory("fluid-cluster-bench-").FullName;
        try
        {
            return await RunInAsync(root, TimeSpan.FromSeconds(seconds));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<int> RunInAsync(string root, TimeSpan cell)
    {
        var source = Path.Combine(root, "source");
        var large = WriteFiles(Path.Combine(source, "large"), 48, 4 * Page);
        var small = WriteFiles(Path.Combine(source, "small"), 512, 128 * 1024);
        Console.WriteLine($"data: {large.Count} files of 4 MiB, {small.Count} files of 128 KiB; {cell.TotalSeconds:0.#} s per cell; {Environment.ProcessorCount} cores");

        var secret = ClusterToken.GenerateSecret();
        var token = ClusterToken.FromSecret(secret);
        const string Dataset = "bench/data";
        var mount = new UfsMount("data", "local://" + source);
        await using var worker = await WorkerHost.StartAsync(new WorkerOptions
        {
            WorkerId = "w0",
            NodeName = "bench-node",
            Dataset = Dataset,
            Cache = new CacheOptions
            {
                ReadaheadBytes = 0,
                Tiers =
                [
                    new TierOptions { Medium = MediumType.Mem, Quota = 512L << 20 },
                    new TierOptions { Medium = MediumType.Ssd, Directories = [new TierDirectory(Path.Combine(root, "worker-ssd"), 1L << 30)] },
                ],
            },
            Mounts = [mount],
            Token = token,
            DataEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
            HttpEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
        });
        var membership = new StaticMembership([new WorkerEndpoint("w0", "127.0.0.1", worker.DataEndpoint.Port, worker.HttpPort, "bench-node")]);
        ClusterClient Client(string node) => new(new ClusterClientOptions { Dataset = Dataset, Token = token, NodeName = node }, membership);
        var ufs = UfsRegistry.CreateDefault().Create(mount);
        var datasetMount = new DatasetMount("data", ufs);

        await using var remote = Client("elsewhere");
        await using var colocated = Client("bench-node");
        await using var metadata = await remote.OpenCacheAsync(new CacheOptions { ReadaheadBytes = 0 }, [datasetMount]);
        var load = await remote.LoadAsync(metadata, ["/data"], null, CancellationToken.None);
        Console.WriteLine($"worker warmed: {load.Bytes / (1 << 20)} MiB in {load.Elapsed.TotalSeconds:0.0} s");
        var largeFiles = await StatAsync(metadata, large);
        var smallFiles = await StatAsync(metadata, small);

        // (a) protocol comparison: the same worker cache behind each candidate.
        var credential = token.DeriveCredential(Dataset);
        await using var httpCopy = await HttpCandidate.StartAsync(worker.Cache, credential, zeroCopy: false);
        await using var httpSendFile = await HttpCandidate.StartAsync(worker.Cache, credential, zeroCopy: true);
        using var httpCopyClient = new HttpCandidateClient(httpCopy.Port, credential);
        using var httpSendFileClient = new HttpCandidateClient(httpSendFile.Port, credential);
        Func<DatasetEntry, long, Memory<byte>, ValueTask<int>> binary = (e, o, b) => remote.ReadAsync(datasetMount, e.Source, o, b, CancellationToken.None);
        Func<DatasetEntry, long, Memory<byte>, ValueTask<int>> http = (e, o, b) => httpCopyClient.ReadAsync("data", e.Source, o, b, CancellationToken.None);
        Func<DatasetEntry, long, Memory<byte>, ValueTask<int>> sendFile = (e, o, b) => httpSendFileClient.ReadAsync("data", e.Source, o, b, CancellationToken.None);

        Console.WriteLine();
        Console.WriteLine("protocol comparison (page reads from the worker on loopback; MB/s and requests/s; ratio = against the binary protocol)");
        Console.WriteLine();
        Console.WriteLine("| workload | binary TCP | HTTP/1.1 Kestrel, pooled copy | HTTP/1.1 Kestrel, SendFileAsync |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, files, streams, size) in new[] { ("1 MiB pages, 1 stream", largeFiles, 1, Page), ("1 MiB pages, 4 streams", largeFiles, 4, Page), ("128 KiB files, 4 streams", smallFiles, 4, Page) })
        {
            var b = await MeasureAsync(files, streams, size, cell, binary);
            var h = await MeasureAsync(files, streams, size, cell, http);
            var s = await MeasureAsync(files, streams, size, cell, sendFile);
            Console.WriteLine($"| {name} | {b} | {h} ({h.MBps / b.MBps:0.00}) | {s} ({s.MBps / b.MBps:0.00}) |");
        }

        // (b) read paths through a client-side cache (what the FUSE mount reads through).
        await using var memCache = await DatasetCache.OpenAsync(new CacheOptions { ReadaheadBytes = 0, Tiers = [new TierOptions { Medium = MediumType.Mem, Quota = 512L << 20 }] }, [datasetMount]);
        await using var ssdCache = await DatasetCache.OpenAsync(
            new CacheOptions { ReadaheadBytes = 0, PromoteAfterHits = int.MaxValue, Tiers = [new TierOptions { Medium = MediumType.Ssd, Directories = [new TierDirectory(Path.Combine(root, "client-ssd"), 1L << 30)] }] },
            [datasetMount]);
        await using var remoteCache = await remote.OpenCacheAsync(new CacheOptions { ReadaheadBytes = 0 }, [datasetMount]);
        await using var shortCircuitCache = await colocated.OpenCacheAsync(new CacheOptions { ReadaheadBytes = 0 }, [datasetMount]);
        foreach (var cache in new[] { memCache, ssdCache, shortCircuitCache })
        {
            foreach (var file in largeFiles)
            {
                await ReadWholeAsync(cache, cache.GetEntry("data", file.Source));
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (colocated.BlobCount < largeFiles.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var handles = largeFiles.ToDictionary(f => f.Path, f => File.OpenHandle(Path.Combine(source, f.Source.Path)));
        Func<DatasetEntry, long, Memory<byte>, ValueTask<int>> Through(DatasetCache cache) => (e, o, b) => cache.ReadAsync(cache.GetEntry("data", e.Source), o, b, CancellationToken.None);
        Func<DatasetEntry, long, Memory<byte>, ValueTask<int>> plain = (e, o, b) => ValueTask.FromResult(RandomAccess.Read(handles[e.Path], b.Span, o));

        Console.WriteLine();
        Console.WriteLine($"read paths (1 MiB reads of 4 MiB files through a client-side DatasetCache; MB/s; ratio = against a local MEM hit; short-circuit blobs held: {colocated.BlobCount}/{largeFiles.Count})");
        Console.WriteLine();
        Console.WriteLine("| streams | local MEM hit | local SSD hit | remote worker (TCP) | short-circuit | plain local file (page cache) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var streams in new[] { 1, 4 })
        {
            var before = colocated.GetCounters();
            var mem = await MeasureAsync(largeFiles, streams, Page, cell, Through(memCache));
            var ssd = await MeasureAsync(largeFiles, streams, Page, cell, Through(ssdCache));
            var net = await MeasureAsync(largeFiles, streams, Page, cell, Through(remoteCache));
            var sc = await MeasureAsync(largeFiles, streams, Page, cell, Through(shortCircuitCache));
            var file = await MeasureAsync(largeFiles, streams, Page, cell, plain);
            var after = colocated.GetCounters();
            Console.WriteLine(
                $"| {streams} | {mem.MBps:0} | {ssd.MBps:0} ({ssd.MBps / mem.MBps:0.00}) | {net.MBps:0} ({net.MBps / mem.MBps:0.00}) | {sc.MBps:0} ({sc.MBps / mem.MBps:0.00}) | {file.MBps:0} ({file.MBps / mem.MBps:0.00}) |");
            if (after.RemoteReads != before.RemoteReads)
            {
                Console.WriteLine($"  (note: {after.RemoteReads - before.RemoteReads} short-circuit-cache reads went over TCP)");
            }
        }

        foreach (var handle in handles.Values)
        {
            handle.Dispose();
        }

        return 0;
    }

    private readonly record struct Result(double MBps, double RequestsPerSecond)
    {
        public override string ToString() => $"{MBps:0} MB/s, {RequestsPerSecond:0} req/s";
    }

    private static async Task<Result> MeasureAsync(IReadOnlyList<DatasetEntry> files, int streams, int readSize, TimeSpan duration, Func<DatasetEntry, long, Memory<byte>, ValueTask<int>> read)
    {
        // A short warm-up, then timed passes over the files until the time is up.
        await RunAsync(files, streams, readSize, TimeSpan.FromMilliseconds(300), read);
        var clock = Stopwatch.StartNew();
        var (bytes, requests) = await RunAsync(files, streams, readSize, duration, read);
        var seconds = clock.Elapsed.TotalSeconds;
        return new Result(bytes / seconds / 1e6, requests / seconds);
    }

    private static async Task<(long Bytes, long Requests)> RunAsync(IReadOnlyList<DatasetEntry> files, int streams, int readSize, TimeSpan duration, Func<DatasetEntry, long, Memory<byte>, ValueTask<int>> read)
    {
        var stop = Stopwatch.StartNew();
        long bytes = 0;
        long requests = 0;
        await Task.WhenAll(Enumerable.Range(0, streams).Select(s => Task.Run(async () =>
        {
            var buffer = new byte[readSize];
            for (var i = s; stop.Elapsed < duration; i += streams)
            {
                var file = files[i % files.Count];
                for (long offset = 0; offset < file.Length; offset += readSize)
                {
                    var n = await read(file, offset, buffer.AsMemory(0, (int)Math.Min(readSize, file.Length - offset)));
                    if (n <= 0)
                    {
                        throw new InvalidOperationException($"read of {file.Path} at {offset} returned {n}");
                    }

                    Interlocked.Add(ref bytes, n);
                    Interlocked.Increment(ref requests);
                }
            }
        })));
        return (bytes, requests);
    }

    private static async Task ReadWholeAsync(DatasetCache cache, DatasetEntry entry)
    {
        var buffer = new byte[Page];
        for (long offset = 0; offset < entry.Length; offset += Page)
        {
            await cache.ReadAsync(entry, offset, buffer, CancellationToken.None);
        }
    }

    private static async Task<List<DatasetEntry>> StatAsync(DatasetCache cache, List<string> paths)
    {
        var entries = new List<DatasetEntry>();
        foreach (var path in paths)
        {
            entries.Add(await cache.StatAsync(path, CancellationToken.None) ?? throw new FileNotFoundException(path));
        }

        return entries;
    }

    private static List<string> WriteFiles(string directory, int count, int size)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(count);
        var data = new byte[size];
        var paths = new List<string>();
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(data);
            File.WriteAllBytes(Path.Combine(directory, $"f{i:0000}.bin"), data);
            paths.Add($"/data/{Path.GetFileName(directory)}/f{i:0000}.bin");
        }

        return paths;
    }
}
