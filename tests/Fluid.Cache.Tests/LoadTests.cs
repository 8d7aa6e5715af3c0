using Fluid.Cache.Tests.Sources;

namespace Fluid.Cache.Tests;

public sealed class LoadTests
{
    private sealed class CollectingProgress : IProgress<LoadProgress>
    {
        private readonly List<LoadProgress> _events = [];

        public IReadOnlyList<LoadProgress> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public void Report(LoadProgress value)
        {
            lock (_events)
            {
                _events.Add(value);
            }
        }
    }

    private static MemoryUnderFileSystem Tree(out long totalBytes)
    {
        var source = new MemoryUnderFileSystem();
        totalBytes = 0;
        for (var d = 0; d < 3; d++)
        {
            for (var f = 0; f < 10; f++)
            {
                var content = TestData.Bytes(1000 + (d * 7000) + (f * 1500), (d * 100) + f);
                source.Write($"train/d{d}/f{f}.bin", content);
                totalBytes += content.Length;
            }
        }

        source.Write("val/v.bin", TestData.Bytes(5000, 999));
        return source;
    }

    [Fact]
    public async Task LoadAsync_Tree_LoadsEverythingReportsProgressAndSummary()
    {
        var source = Tree(out var total);
        source.Latency = TimeSpan.FromMilliseconds(5);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(quota: 1024 * TestData.Page) with { LoadParallelism = 4 }, source);
        var progress = new CollectingProgress();

        var summary = await cache.LoadAsync(["/data/train"], progress, CancellationToken.None);

        Assert.Equal(30, summary.Files);
        Assert.Equal(total, summary.Bytes);
        Assert.Equal(total, summary.BytesFetched);
        Assert.Equal(0, summary.BytesAlreadyCached);
        Assert.Equal(0, summary.FailedFiles);
        Assert.Equal(total, cache.GetSummary().Cached);
        var last = progress.Events[^1];
        Assert.Equal(new LoadProgress(30, 30, total, total, true, last.BytesPerSecond, last.Elapsed, last.Eta), last);
        Assert.True(last.BytesPerSecond > 0);
        Assert.Equal(TimeSpan.Zero, last.Eta);
        for (var i = 1; i < progress.Events.Count; i++)
        {
            Assert.True(progress.Events[i].BytesDone >= progress.Events[i - 1].BytesDone);
        }

        // Nothing outside the loaded tree was read.
        Assert.Equal(0, source.ReadsOf("val/v.bin"));
    }

    [Fact]
    public async Task LoadAsync_AlreadyCached_CostsNoSourceReads()
    {
        var source = Tree(out var total);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(quota: 1024 * TestData.Page), source);
        await cache.LoadAsync(["/data/train", "/data/val/v.bin"], null, CancellationToken.None);
        source.ResetCounters();

        var summary = await cache.LoadAsync(["/data/train", "/data/val/v.bin"], null, CancellationToken.None);

        Assert.Equal(0, source.Reads);
        Assert.Equal(31, summary.Files);
        Assert.Equal(total + 5000, summary.BytesAlreadyCached);
        Assert.Equal(0, summary.BytesFetched);
    }

    [Fact]
    public async Task LoadAsync_Cancelled_ThrowsAndStopsFetching()
    {
        var source = Tree(out _);
        source.Latency = TimeSpan.FromMilliseconds(50);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(quota: 1024 * TestData.Page) with { LoadParallelism = 2 }, source);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.LoadAsync(["/data/train"], null, cts.Token));
        await Task.Delay(200);
        var reads = source.Reads;
        await Task.Delay(300);
        Assert.Equal(reads, source.Reads);
        Assert.True(reads < 60, $"{reads} reads");
    }

    [Fact]
    public async Task LoadAsync_SomeFilesFail_SummaryNamesThem()
    {
        var source = Tree(out _);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(quota: 1024 * TestData.Page) with { LoadParallelism = 1 }, source);
        source.FailNextReads(1);

        var summary = await cache.LoadAsync(["/data/val"], null, CancellationToken.None);

        Assert.Equal(1, summary.FailedFiles);
        var error = Assert.Single(summary.Errors);
        Assert.StartsWith("/data/val/v.bin: ", error, StringComparison.Ordinal);
        Assert.Contains("injected failure", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_MissingPath_ThrowsNamingIt()
    {
        var source = Tree(out _);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);
        var error = await Assert.ThrowsAsync<Fluid.Storage.UfsException>(() => cache.LoadAsync(["/data/nope"], null, CancellationToken.None));
        Assert.Contains("/data/nope", error.Message, StringComparison.Ordinal);
    }
}
