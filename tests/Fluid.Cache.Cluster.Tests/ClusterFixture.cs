using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fluid.Cache.Cluster.Client;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Ring;
using Fluid.Cache.Cluster.Security;
using Fluid.Cache.Cluster.Worker;
using Fluid.Storage.Mounts;
using Fluid.Testing;

namespace Fluid.Cache.Cluster.Tests;

/// <summary>
/// Three real `fluid worker` processes on loopback over a local source directory, each with its own
/// MEM and SSD tiers; tests read through clients of their own and may kill and restart workers.
/// </summary>
public sealed partial class ClusterFixture : IAsyncLifetime
{
    public const string Dataset = "default/demo";
    public const string Node = "node-a";
    public const int WorkerCount = 3;

    /// <summary>What every client of this runtime uses: small thresholds so a 20 MiB file is cut into segments.</summary>
    public static readonly PlacementOptions Placement = new() { SegmentThreshold = 8L << 20, SegmentSize = 2L << 20 };

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public string Root { get; } = TestPaths.CreateTempDirectory("cluster");

    public string SourceDirectory => Path.Combine(Root, "source");

    public string Secret { get; } = ClusterToken.GenerateSecret();

    public ClusterToken Token => ClusterToken.FromSecret(Secret);

    public WorkerProcess[] Workers { get; } = new WorkerProcess[WorkerCount];

    public StaticMembership Membership { get; private set; } = new([]);

    public static string FluidDll
    {
        get
        {
            // artifacts/bin/Fluid.Cache.Cluster.Tests/<config>/ → artifacts/bin/Fluid.Cli/<config>/fluid.dll
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var path = Path.Combine(testDir.Parent!.Parent!.FullName, "Fluid.Cli", testDir.Name, "fluid.dll");
            Assert.True(File.Exists(path), $"{path} is missing (the test project builds Fluid.Cli)");
            return path;
        }
    }

    public async Task InitializeAsync()
    {
        SourceTree.Write(SourceDirectory);
        var tokenFile = Path.Combine(Root, "token");
        await File.WriteAllTextAsync(tokenFile, Secret + "\n");
        for (var i = 0; i < WorkerCount; i++)
        {
            Workers[i] = new WorkerProcess($"demo-worker-{i}", FreePort.Next(), FreePort.Next(), Path.Combine(Root, $"tier-{i}"), tokenFile, SourceDirectory);
        }

        await Task.WhenAll(Workers.Select(w => w.StartAsync()));
        Membership = new StaticMembership(Workers.Select(w => w.Endpoint));
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in Workers)
        {
            if (worker is not null)
            {
                await worker.DisposeAsync();
            }
        }

        _http.Dispose();
        TestPaths.DeleteQuietly(Root);
    }

    /// <summary>A client of the cluster; <paramref name="nodeName"/> decides whether it is co-located with the workers.</summary>
    public ClusterClient CreateClient(string nodeName = "test-client-node", ClusterToken? token = null, string dataset = Dataset, Func<ClusterClientOptions, ClusterClientOptions>? tweak = null)
    {
        var options = new ClusterClientOptions
        {
            Dataset = dataset,
            Token = token ?? Token,
            NodeName = nodeName,
            Placement = Placement,
            // Generous: a SIGKILLed worker resets its connections at once; a timeout here would only mean a loaded machine.
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RequestTimeout = TimeSpan.FromSeconds(10),
            MinDownBackoff = TimeSpan.FromMilliseconds(200),
            MaxDownBackoff = TimeSpan.FromSeconds(1),
            ProbeInterval = TimeSpan.FromMilliseconds(100),
        };
        return new ClusterClient(tweak is null ? options : tweak(options), Membership);
    }

    /// <summary>A client-side cache over the source directory whose misses go to the workers (FIFO: a staging buffer for readahead).</summary>
    public Task<DatasetCache> OpenClientCacheAsync(ClusterClient client, long memory = 8L << 20, long readahead = 4L << 20)
    {
        var source = UfsRegistry.CreateDefault().Create(new UfsMount("data", "local://" + SourceDirectory));
        return client.OpenCacheAsync(
            new CacheOptions
            {
                Name = Dataset,
                ReadaheadBytes = readahead,
                Tiers = [new TierOptions { Medium = MediumType.Mem, Quota = memory, Eviction = EvictionPolicyKind.Fifo }],
            },
            [new DatasetMount("data", source)]);
    }

    public async Task<WorkerSummary> SummaryAsync(int worker)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Workers[worker].HttpPort}/summary");
        request.Headers.Authorization = AuthenticationHeaderValue.Parse(Token.AuthorizationHeader(Dataset));
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ClusterJsonContext.Default.WorkerSummary)!;
    }

    public async Task<HttpResponseMessage> GetAsync(int worker, string path, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Workers[worker].HttpPort}{path}");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await _http.SendAsync(request);
    }

    /// <summary>Waits until no worker's cached bytes change for a while (background fetches of earlier tests are done).</summary>
    public async Task<WorkerSummary[]> QuiesceAsync()
    {
        var last = await Task.WhenAll(Enumerable.Range(0, WorkerCount).Select(SummaryAsync));
        for (var i = 0; i < 50; i++)
        {
            await Task.Delay(200);
            var now = await Task.WhenAll(Enumerable.Range(0, WorkerCount).Select(SummaryAsync));
            if (now.Select(s => s.Cached).SequenceEqual(last.Select(s => s.Cached)))
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    /// <summary>One `fluid worker` process with fixed ports and tier directory, so a restart comes back at the same place.</summary>
    public sealed partial class WorkerProcess(string id, int dataPort, int httpPort, string tierDirectory, string tokenFile, string source) : IAsyncDisposable
    {
        private ServerProcess? _process;

        public string Id { get; } = id;

        public int DataPort { get; } = dataPort;

        public int HttpPort { get; } = httpPort;

        public string TierDirectory { get; } = tierDirectory;

        public WorkerEndpoint Endpoint => new(Id, "127.0.0.1", DataPort, HttpPort, Node);

        public int ProcessId => _process?.Id ?? 0;

        public async Task StartAsync()
        {
            Directory.CreateDirectory(TierDirectory);
            _process = ServerProcess.Start(
                "dotnet",
                [
                    FluidDll, "worker",
                    "--mount", "data=local://" + source,
                    "--tier", "MEM:32Mi",
                    "--tier", $"SSD:{TierDirectory}:256Mi",
                    "--dataset", Dataset,
                    "--token-file", tokenFile,
                    "--listen", $"127.0.0.1:{DataPort}",
                    "--http", $"127.0.0.1:{HttpPort}",
                    "--id", Id,
                    "--node-name", Node,
                    "--readahead", "0",
                ],
                line => line.StartsWith($"worker {Id} ready", StringComparison.Ordinal));
            var ready = await _process.WaitForLineAsync(TimeSpan.FromSeconds(60));
            Assert.Matches(ReadyLine(), ready);
        }

        /// <summary>SIGKILL: no shutdown, connections reset.</summary>
        public async Task KillAsync()
        {
            if (_process is not null)
            {
                await _process.DisposeAsync();
                _process = null;
            }
        }

        public ValueTask DisposeAsync() => new(KillAsync());

        public override string ToString() => $"{Id} (pid {ProcessId}, data {DataPort.ToString(CultureInfo.InvariantCulture)})";

        [GeneratedRegex(@"^worker \S+ ready: dataset default/demo, data 127\.0\.0\.1:\d+, http \d+, node node-a$")]
        private static partial Regex ReadyLine();
    }
}

/// <summary>The source files of the fixture, deterministic bytes per path.</summary>
public static class SourceTree
{
    public static readonly (string Path, int Length)[] Files =
    [
        ("read/empty.bin", 0),
        ("read/one.bin", 1),
        ("read/page-minus-one.bin", (1 << 20) - 1),
        ("read/page.bin", 1 << 20),
        ("read/page-plus-one.bin", (1 << 20) + 1),
        ("read/small-a.bin", 40_000),
        ("read/small-b.bin", 170_001),
        ("read/mid-a.bin", 3_500_000),
        ("read/mid-b.bin", 2_000_000),
        ("read/deep/x/y/z.bin", 777_777),
        ("read/big.bin", 20 << 20),
        ("load/big.bin", 12 << 20),
        ("kill/k00.bin", 2_600_000), ("kill/k01.bin", 3_100_000), ("kill/k02.bin", 2_200_000), ("kill/k03.bin", 3_900_000),
        ("kill/k04.bin", 2_900_000), ("kill/k05.bin", 2_100_000), ("kill/k06.bin", 3_300_000), ("kill/k07.bin", 2_700_000),
        ("kill/k08.bin", 3_600_000), ("kill/k09.bin", 2_400_000), ("kill/k10.bin", 3_000_000), ("kill/k11.bin", 2_500_000),
        ("sc/s0.bin", 3_000_000), ("sc/s1.bin", 2_300_000), ("sc/s2.bin", 4_100_000), ("sc/s3.bin", 2_800_000),
        ("sc/s4.bin", 3_300_000), ("sc/s5.bin", 2_600_000),
        .. Enumerable.Range(0, 40).Select(i => ($"load/f{i:00}.bin", 20_000 + (i * 75_001))),
    ];

    public static byte[] Content(string path, int length)
    {
        var data = new byte[length];
        new Random(path.Aggregate(length, (h, c) => unchecked((h * 31) + c))).NextBytes(data);
        return data;
    }

    public static void Write(string root)
    {
        foreach (var (path, length) in Files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, Content(path, length));
        }
    }

    public static IEnumerable<(string Path, int Length)> Under(string directory) =>
        Files.Where(f => f.Path.StartsWith(directory + "/", StringComparison.Ordinal));

    /// <summary>Reads a whole file through a cache in 128 KiB steps.</summary>
    public static async Task<byte[]> ReadAllAsync(DatasetCache cache, string path, CancellationToken cancellationToken = default)
    {
        var entry = await cache.StatAsync(path, cancellationToken) ?? throw new FileNotFoundException(path);
        var result = new byte[entry.Length];
        long offset = 0;
        while (offset < result.Length)
        {
            var n = await cache.ReadAsync(entry, offset, result.AsMemory((int)offset, (int)Math.Min(128 * 1024, result.Length - offset)), cancellationToken);
            Assert.True(n > 0, $"read of {path} at {offset} returned {n}");
            offset += n;
        }

        return result;
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "three fluid worker processes";
}
