using System.Net;
using Fluid.Cache;
using Fluid.Cache.Cluster.Security;
using Fluid.Cache.Cluster.Worker;
using Fluid.Operator.Engines.FluidCache;
using Fluid.Operator.Naming;
using Fluid.Storage.Mounts;

namespace Fluid.Operator.Tests.Contracts;

/// <summary>The operator's scraper against a real worker's control port: the JSON and the credential must agree.</summary>
public sealed class WorkerSummaryContractTests : IAsyncLifetime
{
    private const string Dataset = "team/images";
    private const int FileLength = 300_000;
    private readonly string _root = Directory.CreateTempSubdirectory("fluid-summary-contract-").FullName;
    private readonly string _secret = ClusterToken.GenerateSecret();
    private WorkerHost? _worker;

    private WorkerHost Worker => _worker!;

    public async Task InitializeAsync()
    {
        var source = Path.Combine(_root, "source");
        Directory.CreateDirectory(source);
        await File.WriteAllBytesAsync(Path.Combine(source, "f.bin"), Enumerable.Range(0, FileLength).Select(i => (byte)(i * 7)).ToArray());
        _worker = await WorkerHost.StartAsync(new WorkerOptions
        {
            WorkerId = "images-worker-0",
            NodeName = "node-x",
            Dataset = Dataset,
            Cache = new CacheOptions
            {
                ReadaheadBytes = 0,
                Tiers = [new TierOptions { Medium = MediumType.Ssd, Directories = [new Fluid.Cache.TierDirectory(Path.Combine(_root, "tier"), 64L << 20)] }],
            },
            Mounts = [new UfsMount("data", "local://" + source)],
            Token = ClusterToken.FromSecret(_secret),
            DataEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
            HttpEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
            ShutdownGrace = TimeSpan.FromMilliseconds(200),
        });
    }

    public async Task DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task ReadAsync_RealWorker_OperatorSeesTheWorkersFigures()
    {
        // One miss, then one hit of the same 300,000 bytes in the worker's own cache.
        await ReadWholeFileAsync();
        await ReadWholeFileAsync();
        for (var i = 0; i < 200 && Worker.GetSummary().UfsTotal is null; i++)
        {
            await Task.Delay(25); // the worker walks its sources once after start
        }

        using var http = new HttpClient();
        var client = new WorkerSummaryClient(http, Worker.HttpPort);

        var summaries = await client.ReadAsync(["127.0.0.1"], _secret, Dataset, CancellationToken.None);

        var summary = Assert.Single(summaries);
        var own = Worker.GetSummary();
        Assert.Equal(FileLength, summary.Cached);
        Assert.Equal(64L << 20, summary.CacheCapacity);
        Assert.Equal(2L * FileLength, summary.BytesRead);
        Assert.Equal(0.5, summary.CacheHitRatio, 3);
        Assert.Equal((own.Cached, own.CacheCapacity, own.BytesRead), (summary.Cached, summary.CacheCapacity, summary.BytesRead));
        Assert.Equal(FileLength, summary.UfsTotal);
        Assert.Equal(1, summary.FileNum);

        var figures = CacheFigures.Aggregate(summaries);
        Assert.Equal(Units.Bytes(FileLength), figures.CacheStates["cached"]);
        Assert.Equal("64MiB", figures.CacheStates["cacheCapacity"]);
        Assert.Equal("50.0%", figures.CacheStates["cacheHitRatio"]);
        Assert.Equal("100.0%", figures.CacheStates["cachedPercentage"]);
        Assert.Equal(Units.Bytes(FileLength), figures.UfsTotal);
        Assert.Equal("1", figures.FileNum);
    }

    [Fact]
    public async Task ReadAsync_CredentialOfAnotherDatasetOrToken_WorkerRefusesAndNothingIsReported()
    {
        using var http = new HttpClient();
        var client = new WorkerSummaryClient(http, Worker.HttpPort);

        Assert.Empty(await client.ReadAsync(["127.0.0.1"], _secret, "team/other", CancellationToken.None));
        Assert.Empty(await client.ReadAsync(["127.0.0.1"], ClusterToken.GenerateSecret(), Dataset, CancellationToken.None));
        Assert.Equal(2, Worker.GetSummary().AuthFailures);
    }

    private async Task ReadWholeFileAsync()
    {
        var cache = Worker.Cache;
        var entry = await cache.StatAsync("/data/f.bin", CancellationToken.None) ?? throw new FileNotFoundException("/data/f.bin");
        var buffer = new byte[FileLength];
        long offset = 0;
        while (offset < FileLength)
        {
            var n = await cache.ReadAsync(entry, offset, buffer.AsMemory((int)offset), CancellationToken.None);
            Assert.True(n > 0);
            offset += n;
        }

        Assert.Equal(unchecked((byte)(12345 * 7)), buffer[12345]);
    }
}
