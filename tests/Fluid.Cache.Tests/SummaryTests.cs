using System.Diagnostics.Metrics;
using Fluid.Cache.Tests.Sources;

namespace Fluid.Cache.Tests;

public sealed class SummaryTests
{
    [Fact]
    public async Task GetSummary_AfterWalkAndReads_ReportsFluidCacheStates()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        source.Write("a", TestData.Bytes(4 * TestData.Page, 1));
        source.Write("b", TestData.Bytes(4 * TestData.Page, 2));
        await using var cache = await TestData.OpenAsync(TestData.WithDisk(dir.Sub("ssd"), memQuota: 16 * TestData.Page, diskQuota: 64 * TestData.Page), source);

        Assert.Null(cache.GetSummary().CachedPercentage);
        Assert.Equal(new DatasetTotals(8 * TestData.Page, 2), await cache.ComputeTotalsAsync(CancellationToken.None));
        await TestData.ReadAllAsync(cache, "/data/a", chunk: TestData.Page);
        await TestData.ReadAllAsync(cache, "/data/a", chunk: TestData.Page);

        var summary = cache.GetSummary();
        Assert.Equal(4L * TestData.Page, summary.Cached);
        Assert.Equal(80L * TestData.Page, summary.CacheCapacity);
        Assert.Equal(50.0, summary.CachedPercentage);
        Assert.Equal(0.5, summary.CacheHitRatio);
        Assert.Equal(8L * TestData.Page, summary.UfsTotal);
        Assert.Equal(2, summary.FileNum);
        Assert.Equal(2, summary.Tiers.Count);
        Assert.Equal((MediumType.Mem, 4L * TestData.Page, 4L), (summary.Tiers[0].Medium, summary.Tiers[0].Used, summary.Tiers[0].Pages));
        Assert.Equal((MediumType.Ssd, 4L * TestData.Page, 4L), (summary.Tiers[1].Medium, summary.Tiers[1].Used, summary.Tiers[1].Pages));
        Assert.Equal(4, summary.Counters.MemoryHits);
        Assert.Equal(4, summary.Counters.Misses);
    }

    [Fact]
    public async Task Metrics_Instruments_ReportTheCounters()
    {
        var source = new MemoryUnderFileSystem();
        source.Write("a", TestData.Bytes(2 * TestData.Page, 1));
        await using var cache = await TestData.OpenAsync(TestData.MemOnly() with { Name = "ns/metrics-test" }, source);
        await TestData.ReadAllAsync(cache, "/data/a", chunk: TestData.Page);
        await TestData.ReadAllAsync(cache, "/data/a", chunk: TestData.Page);

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Fluid.Cache" && instrument.Meter.Tags?.Any(t => Equals(t.Value, "ns/metrics-test")) == true)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var tier = string.Empty;
            foreach (var tag in tags)
            {
                tier = "." + tag.Value;
            }

            lock (seen)
            {
                seen[instrument.Name + tier] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(2, seen["fluid.cache.hits.mem"]);
        Assert.Equal(0, seen["fluid.cache.hits.disk"]);
        Assert.Equal(2, seen["fluid.cache.misses"]);
        Assert.Equal(2L * TestData.Page, seen["fluid.cache.source.bytes"]);
        Assert.Equal(2, seen["fluid.cache.source.reads"]);
        Assert.Equal(4L * TestData.Page, seen["fluid.cache.served"]);
        Assert.Equal(2L * TestData.Page, seen["fluid.cache.cached"]);
        Assert.Equal(0, seen["fluid.cache.corrupt"]);
    }

    [Fact]
    public void Validate_BadOptions_NamesEveryField()
    {
        var options = new CacheOptions
        {
            PageSize = 5000,
            LoadParallelism = 0,
            SourceTimeout = TimeSpan.Zero,
            Tiers =
            [
                new TierOptions { Medium = MediumType.Ssd, Directories = [new TierDirectory("relative/dir", 10)] },
                new TierOptions { Medium = MediumType.Mem, Quota = 1, High = 0.5, Low = 0.9 },
            ],
        };

        var errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("pageSize: 5000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("loadParallelism:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("sourceTimeout:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("tiers[0].directories[0].path: \"relative/dir\" is not an absolute path", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("tiers[0].directories[0].quota:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("tiers[1].medium: Mem comes after Ssd", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("tiers[1]: watermarks", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("tiers[1].quota:", StringComparison.Ordinal));
        Assert.Equal(8, errors.Count);
    }

    [Fact]
    public async Task OpenAsync_InvalidOptionsOrMounts_ThrowsListingThem()
    {
        var source = new MemoryUnderFileSystem();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => DatasetCache.OpenAsync(
            TestData.MemOnly() with { PageSize = 3 },
            [new DatasetMount("a/b", source), new DatasetMount("x", source), new DatasetMount("x", source)]));
        Assert.Contains("pageSize: 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("mounts[0].name: \"a/b\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("mounts[2].name: \"x\" is used twice", error.Message, StringComparison.Ordinal);
    }
}
