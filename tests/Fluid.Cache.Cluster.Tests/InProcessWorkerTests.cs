using System.Net;
using Fluid.Cache.Cluster.Client;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Security;
using Fluid.Cache.Cluster.Worker;
using Fluid.Storage;
using Fluid.Storage.Mounts;
using Fluid.Testing;

namespace Fluid.Cache.Cluster.Tests;

/// <summary>Workers hosted in the test process (real sockets on loopback) for cases the process fixture does not cover.</summary>
public sealed class InProcessWorkerTests : IAsyncLifetime
{
    private const string Dataset = "team/images";
    private readonly string _root = TestPaths.CreateTempDirectory("cluster-inproc");
    private readonly ClusterToken _token = ClusterToken.FromSecret(ClusterToken.GenerateSecret());
    private readonly List<WorkerHost> _workers = [];

    private string Source => Path.Combine(_root, "source");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Source);
        for (var i = 0; i < 24; i++)
        {
            File.WriteAllBytes(Path.Combine(Source, $"f{i:00}.bin"), SourceTree.Content($"f{i}", 300_000 + (i * 50_000)));
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        TestPaths.DeleteQuietly(_root);
    }

    [Fact]
    public async Task SourceRewritten_NewMetadata_WorkerServesTheNewVersion()
    {
        var worker = await StartWorkerAsync("w0");
        await using var client = Client(new StaticMembership([Endpoint(worker, "w0")]));
        await using var cache = await OpenClientCacheAsync(client, TimeSpan.Zero);
        var path = Path.Combine(Source, "f03.bin");
        var first = await SourceTree.ReadAllAsync(cache, "/data/f03.bin");
        Assert.Equal(await File.ReadAllBytesAsync(path), first);

        var rewritten = SourceTree.Content("rewritten", first.Length);
        await File.WriteAllBytesAsync(path, rewritten);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));

        Assert.Equal(rewritten, await SourceTree.ReadAllAsync(cache, "/data/f03.bin"));
        Assert.Equal(0, client.GetCounters().SourceFallbacks);
    }

    [Fact]
    public async Task SourceRewritten_OldVersionPageNotCachedAnywhere_VersionMismatchNotAMix()
    {
        var worker = await StartWorkerAsync("w0");
        await using var client = Client(new StaticMembership([Endpoint(worker, "w0")]));
        await using var cache = await client.OpenCacheAsync(
            new CacheOptions { ReadaheadBytes = 0, PageSize = 64 * 1024 },
            [new DatasetMount("data", UfsRegistry.CreateDefault().Create(new UfsMount("data", "local://" + Source)))]);
        var path = Path.Combine(Source, "f23.bin");
        var old = (await cache.StatAsync("/data/f23.bin", CancellationToken.None))!;
        var page = new byte[64 * 1024];
        Assert.Equal(page.Length, await cache.ReadAsync(old, 0, page, CancellationToken.None));

        await File.WriteAllBytesAsync(path, SourceTree.Content("rewritten", (int)old.Length));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));

        // The worker's first 1 MiB page of the old version is still cached; its second is nowhere and the source has moved on.
        Assert.Equal(page.Length, await cache.ReadAsync(old, 0, page, CancellationToken.None));
        var error = await Assert.ThrowsAsync<UfsException>(async () => await cache.ReadAsync(old, 1 << 20, page, CancellationToken.None));
        Assert.Equal(UfsErrorKind.VersionMismatch, error.Kind);
        Assert.Contains("worker w0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoWorkerAnswers_ReadsComeFromTheSourceWithoutError()
    {
        await using var client = Client(new StaticMembership([new WorkerEndpoint("ghost", "127.0.0.1", FreePort.Next(), 0, "n")]));
        await using var cache = await OpenClientCacheAsync(client, TimeSpan.FromMinutes(1));

        for (var i = 0; i < 5; i++)
        {
            var bytes = await SourceTree.ReadAllAsync(cache, $"/data/f{i:00}.bin");
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Source, $"f{i:00}.bin")), bytes);
        }

        var counters = client.GetCounters();
        Assert.Equal(1, counters.WorkersMarkedDown);
        Assert.Equal(0, counters.RemoteReads);
        Assert.True(counters.SourceFallbacks > 0);
        Assert.Empty(client.LiveWorkers);
    }

    [Fact]
    public async Task MembershipGrows_RingSwapsAndTheNewWorkerServesItsKeys()
    {
        var w0 = await StartWorkerAsync("w0");
        var membership = new StaticMembership([Endpoint(w0, "w0")]);
        await using var client = Client(membership);
        Assert.Equal(["w0"], client.Ring.Workers);

        var w1 = await StartWorkerAsync("w1");
        membership.Update([Endpoint(w0, "w0"), Endpoint(w1, "w1")]);
        Assert.Equal(["w0", "w1"], client.Ring.Workers);

        await using var cache = await OpenClientCacheAsync(client, TimeSpan.FromMinutes(1));
        long owned = 0;
        for (var i = 0; i < 24; i++)
        {
            var entry = (await cache.StatAsync($"/data/f{i:00}.bin", CancellationToken.None))!;
            owned += client.OwnerOf("data", entry.Source, 0) == "w1" ? entry.Length : 0;
            var bytes = await SourceTree.ReadAllAsync(cache, entry.Path);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Source, $"f{i:00}.bin")), bytes);
        }

        Assert.True(owned > 0);
        Assert.True(owned == w1.GetSummary().BytesServed, $"w1 owns {owned} bytes, served {w1.GetSummary().BytesServed}; client: {client.GetCounters()}");
    }

    [Fact]
    public async Task Load_OneWorkerGone_ItsBatchesGoToTheNextWorkerOfTheRing()
    {
        var w0 = await StartWorkerAsync("w0");
        var w1 = await StartWorkerAsync("w1");
        var membership = new StaticMembership([Endpoint(w0, "w0"), Endpoint(w1, "w1")]);
        await w1.StopAsync();
        await using var client = Client(membership);
        await using var cache = await OpenClientCacheAsync(client, TimeSpan.FromMinutes(1));

        var summary = await client.LoadAsync(cache, ["/data"], null, CancellationToken.None);

        var total = Directory.GetFiles(Source).Sum(f => new FileInfo(f).Length);
        Assert.True(summary.FailedFiles == 0, string.Join("\n", summary.Errors));
        Assert.Equal((24L, total), (summary.Files, summary.Bytes));
        Assert.Equal(total, w0.GetSummary().Cached);
        Assert.DoesNotContain(client.LiveWorkers, w => w.Id == "w1");
    }

    [Fact]
    public async Task WorkerOptions_Invalid_EveryProblemNamed()
    {
        var options = new WorkerOptions
        {
            WorkerId = " ",
            Cache = new CacheOptions { PageSize = 1000 },
            Mounts = [],
            Token = _token,
            LeaseTtl = TimeSpan.FromMilliseconds(10),
        };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => WorkerHost.StartAsync(options));

        Assert.Contains("workerId: is empty", error.Message, StringComparison.Ordinal);
        Assert.Contains("cache.pageSize: 1000", error.Message, StringComparison.Ordinal);
        Assert.Contains("mounts: at least one mount", error.Message, StringComparison.Ordinal);
        Assert.Contains("leaseTtl:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_TwoReplicas_EachFileOnItsFirstTwoRingWorkers_ReadsFailOverToTheCopy()
    {
        string[] ids = ["w0", "w1", "w2"];
        var workers = new List<WorkerHost>();
        foreach (var id in ids)
        {
            workers.Add(await StartWorkerAsync(id));
        }

        await using var client = Client(new StaticMembership([.. ids.Select((id, i) => Endpoint(workers[i], id))]));
        await using var cache = await OpenClientCacheAsync(client, TimeSpan.FromMinutes(1));

        var summary = await client.LoadAsync(cache, ["/data"], replicas: 2, null, CancellationToken.None);

        // Each file on exactly the first two workers the ring lists for it, and nowhere else.
        var total = Directory.GetFiles(Source).Sum(f => new FileInfo(f).Length);
        Assert.True(summary.FailedFiles == 0, string.Join("\n", summary.Errors));
        Assert.Equal((24L, 2 * total), (summary.Files, summary.Bytes));
        var expected = new long[ids.Length];
        var placement = new Fluid.Cache.Cluster.Ring.PlacementOptions();
        var successors = new int[2];
        for (var i = 0; i < 24; i++)
        {
            var entry = (await cache.StatAsync($"/data/f{i:00}.bin", CancellationToken.None))!;
            Assert.Equal(2, client.Ring.Successors(placement.KeyOf("data", entry.Source.Path, entry.Length, 0), successors));
            expected[successors[0]] += entry.Length;
            expected[successors[1]] += entry.Length;
        }

        Assert.Equal(expected, workers.Select(w => w.GetSummary().Cached));

        // With any one worker gone, every file is still read from a worker's cache: none comes from the source.
        await workers[0].StopAsync();
        var sourceBefore = workers[1].GetSummary().SourceBytes + workers[2].GetSummary().SourceBytes;
        for (var i = 0; i < 24; i++)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Source, $"f{i:00}.bin")), await SourceTree.ReadAllAsync(cache, $"/data/f{i:00}.bin"));
        }

        Assert.Equal(sourceBefore, workers[1].GetSummary().SourceBytes + workers[2].GetSummary().SourceBytes);
        Assert.Equal(0, client.GetCounters().SourceFallbacks);
    }

    [Fact]
    public async Task Load_MoreReplicasThanWorkers_OneCopyPerWorkerAndTheTotalsCountTheCopiesMade()
    {
        var w0 = await StartWorkerAsync("w0");
        var w1 = await StartWorkerAsync("w1");
        await using var client = Client(new StaticMembership([Endpoint(w0, "w0"), Endpoint(w1, "w1")]));
        await using var cache = await OpenClientCacheAsync(client, TimeSpan.FromMinutes(1));

        var summary = await client.LoadAsync(cache, ["/data"], replicas: 3, null, CancellationToken.None);

        var total = Directory.GetFiles(Source).Sum(f => new FileInfo(f).Length);
        Assert.Equal((24L, 2 * total, 0L), (summary.Files, summary.Bytes, summary.FailedFiles));
        Assert.Equal((total, total), (w0.GetSummary().Cached, w1.GetSummary().Cached));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.LoadAsync(cache, ["/data"], replicas: 0, null, CancellationToken.None));
    }

    [Fact]
    public async Task Totals_FirstReplica_OnlyTheWorkerEndingInZeroWalksTheSource()
    {
        var first = await StartWorkerAsync("images-worker-0", TotalsWalk.FirstReplica);
        var second = await StartWorkerAsync("images-worker-1", TotalsWalk.FirstReplica);
        var always = await StartWorkerAsync("images-worker-2", TotalsWalk.Always);

        var expected = Directory.GetFiles(Source).Sum(f => new FileInfo(f).Length);
        for (var i = 0; i < 400 && (first.GetSummary().UfsTotal is null || always.GetSummary().UfsTotal is null); i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal((expected, 24L), (first.GetSummary().UfsTotal, first.GetSummary().FileNum));
        Assert.Equal((expected, 24L), (always.GetSummary().UfsTotal, always.GetSummary().FileNum));
        // The second replica started before the third and would have finished its walk of this small tree by now.
        await Task.Delay(200);
        Assert.Equal((null, null), (second.GetSummary().UfsTotal, second.GetSummary().FileNum));
    }

    [Theory]
    [InlineData("images-worker-0", TotalsWalk.FirstReplica, true)]
    [InlineData("images-worker-10", TotalsWalk.FirstReplica, false)]
    [InlineData("images-worker-1", TotalsWalk.FirstReplica, false)]
    [InlineData("worker0", TotalsWalk.FirstReplica, false)]
    [InlineData("images-worker-1", TotalsWalk.Always, true)]
    [InlineData("images-worker-0", TotalsWalk.Never, false)]
    public void WalksTotals_ModeAndId_Decide(string id, TotalsWalk mode, bool walks) =>
        Assert.Equal(walks, new WorkerOptions { WorkerId = id, Cache = new CacheOptions(), Mounts = [], Token = _token, Totals = mode }.WalksTotals);

    private async Task<WorkerHost> StartWorkerAsync(string id, TotalsWalk totals = TotalsWalk.Always)
    {
        var worker = await WorkerHost.StartAsync(new WorkerOptions
        {
            WorkerId = id,
            Totals = totals,
            NodeName = "node-x",
            Dataset = Dataset,
            Cache = new CacheOptions
            {
                ReadaheadBytes = 0,
                Tiers = [new TierOptions { Medium = MediumType.Ssd, Directories = [new TierDirectory(Path.Combine(_root, id), 64L << 20)] }],
            },
            Mounts = [new UfsMount("data", "local://" + Source)],
            Token = _token,
            DataEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
            HttpEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
            ShutdownGrace = TimeSpan.FromMilliseconds(200),
        });
        _workers.Add(worker);
        return worker;
    }

    private static WorkerEndpoint Endpoint(WorkerHost worker, string id) => new(id, "127.0.0.1", worker.DataEndpoint.Port, worker.HttpPort, "node-x");

    private ClusterClient Client(IWorkerMembership membership) => new(
        new ClusterClientOptions
        {
            Dataset = Dataset,
            Token = _token,
            NodeName = "client-node",
            // Generous: on a loaded CI machine a timeout would mark a healthy worker down (refused connections fail at once anyway).
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RequestTimeout = TimeSpan.FromSeconds(10),
            MinDownBackoff = TimeSpan.FromSeconds(5),
            MaxDownBackoff = TimeSpan.FromSeconds(10),
        },
        membership);

    private Task<DatasetCache> OpenClientCacheAsync(ClusterClient client, TimeSpan metadataTtl) =>
        client.OpenCacheAsync(
            new CacheOptions
            {
                Name = Dataset,
                MetadataTtl = metadataTtl,
                ReadaheadBytes = 1L << 20,
                Tiers = [new TierOptions { Medium = MediumType.Mem, Quota = 4L << 20, Eviction = EvictionPolicyKind.Fifo }],
            },
            [new DatasetMount("data", UfsRegistry.CreateDefault().Create(new UfsMount("data", "local://" + Source)))]);
}
