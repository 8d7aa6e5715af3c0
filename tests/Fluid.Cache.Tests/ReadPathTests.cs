using System.Diagnostics;
using Fluid.Cache.Tests.Sources;
using Fluid.Storage;

namespace Fluid.Cache.Tests;

public sealed class ReadPathTests
{
    [Fact]
    public async Task ReadAsync_ColdThenWarm_ReturnsSourceBytesAndSecondPassCostsNoSourceRead()
    {
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes((10 * TestData.Page) + 123, 1);
        source.Write("a/b.bin", content);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);

        Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/a/b.bin"));
        var readsAfterCold = source.Reads;
        Assert.Equal(11, readsAfterCold);

        Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/a/b.bin", chunk: 5000));
        Assert.Equal(readsAfterCold, source.Reads);
        var counters = cache.GetCounters();
        Assert.Equal(content.Length * 2L, counters.BytesServed);
        Assert.Equal(content.Length, counters.SourceBytes);
        Assert.Equal(11, counters.Misses);
    }

    [Fact]
    public async Task ReadAsync_ByPath_ReadsRangesAndStopsAtEndOfFile()
    {
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(3 * TestData.Page, 2);
        source.Write("f", content);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);

        var buffer = new byte[5000];
        var n = await cache.ReadAsync("/data/f", 10_000, buffer, CancellationToken.None);
        Assert.Equal(content.Length - 10_000, n);
        Assert.Equal(content.AsSpan(10_000).ToArray(), buffer.AsSpan(0, n).ToArray());
        Assert.Equal(0, await cache.ReadAsync("/data/f", content.Length, buffer, CancellationToken.None));
    }

    [Fact]
    public async Task ReadAsync_ConcurrentReadersOfSamePages_FetchEachPageOnce()
    {
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(4 * TestData.Page, 3);
        source.Write("f", content);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);
        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;

        using var gate = new SemaphoreSlim(0);
        source.ReadGate = gate;
        var readers = new Task<byte[]>[16];
        for (var i = 0; i < readers.Length; i++)
        {
            readers[i] = Task.Run(async () =>
            {
                var buffer = new byte[content.Length];
                var n = await cache.ReadAsync(entry, 0, buffer, CancellationToken.None);
                Assert.Equal(content.Length, n);
                return buffer;
            });
        }

        await Task.Delay(200);
        gate.Release();
        foreach (var reader in readers)
        {
            Assert.Equal(content, await reader);
        }

        Assert.Equal(4, source.Reads);
    }

    [Fact]
    public async Task ReadAsync_SourceFails_ErrorReachesReaderNothingCachedAndNextReadRetries()
    {
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(2 * TestData.Page, 4);
        source.Write("f", content);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);
        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;

        source.FailNextReads(1);
        var error = await Assert.ThrowsAsync<UfsException>(async () => await cache.ReadAsync(entry, 0, new byte[TestData.Page], CancellationToken.None));
        Assert.Equal(UfsErrorKind.Unavailable, error.Kind);
        Assert.Contains("injected failure", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, cache.GetSummary().Cached);
        Assert.Equal(1, cache.GetCounters().SourceErrors);

        var buffer = new byte[content.Length];
        Assert.Equal(content.Length, await cache.ReadAsync(entry, 0, buffer, CancellationToken.None));
        Assert.Equal(content, buffer);
        Assert.Equal(content.Length, cache.GetSummary().Cached);
    }

    [Fact]
    public async Task ReadAsync_SourceUnreachable_CachedServedAndUncachedFailsWithinTimeout()
    {
        var source = new MemoryUnderFileSystem("memory://bucket");
        var cachedContent = TestData.Bytes(2 * TestData.Page, 5);
        source.Write("cached.bin", cachedContent);
        source.Write("cold.bin", TestData.Bytes(TestData.Page, 6));
        var options = TestData.MemOnly() with { SourceTimeout = TimeSpan.FromMilliseconds(300), MetadataTtl = TimeSpan.FromMilliseconds(100) };
        await using var cache = await TestData.OpenAsync(options, source);
        Assert.Equal(cachedContent, await TestData.ReadAllAsync(cache, "/data/cached.bin"));
        Assert.NotNull(await cache.StatAsync("/data/cold.bin", CancellationToken.None));

        source.Outage = SourceOutage.Hang;
        await Task.Delay(150); // metadata is now older than the TTL

        var clock = Stopwatch.StartNew();
        Assert.Equal(cachedContent, await TestData.ReadAllAsync(cache, "/data/cached.bin"));
        var buffer = new byte[100];
        var error = await Assert.ThrowsAsync<UfsException>(async () => await cache.ReadAsync("/data/cold.bin", 0, buffer, CancellationToken.None));
        clock.Stop();

        Assert.Equal(UfsErrorKind.Timeout, error.Kind);
        Assert.Contains("/data", error.Message, StringComparison.Ordinal);
        Assert.Contains("cold.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains("memory://bucket did not answer within 0.3 s", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task ReadAsync_SourceRefuses_UncachedReadFailsWithUnavailable()
    {
        var source = new MemoryUnderFileSystem();
        source.Write("f", TestData.Bytes(100, 7));
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);
        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;
        source.Outage = SourceOutage.Refuse;

        var error = await Assert.ThrowsAsync<UfsException>(async () => await cache.ReadAsync(entry, 0, new byte[100], CancellationToken.None));
        Assert.Equal(UfsErrorKind.Unavailable, error.Kind);
    }

    [Fact]
    public async Task ReadAsync_FileRewrittenAtSource_NewBytesAfterTtlNeverMixed()
    {
        var source = new MemoryUnderFileSystem();
        var oldContent = TestData.Bytes(6 * TestData.Page, 8);
        var newContent = TestData.Bytes(6 * TestData.Page, 9);
        source.Write("f", oldContent);
        var options = TestData.MemOnly() with { MetadataTtl = TimeSpan.FromMilliseconds(300) };
        await using var cache = await TestData.OpenAsync(options, source);
        Assert.Equal(oldContent, await TestData.ReadAllAsync(cache, "/data/f"));
        var oldEntry = (await cache.StatAsync("/data/f", CancellationToken.None))!;

        source.Write("f", newContent);
        // Within the TTL the cached version is served, whole.
        Assert.Equal(oldContent, await TestData.ReadAllAsync(cache, "/data/f"));

        await Task.Delay(400);
        var fresh = await TestData.ReadAllAsync(cache, "/data/f");
        Assert.Equal(newContent, fresh);
        Assert.NotEqual(oldEntry.Version, (await cache.StatAsync("/data/f", CancellationToken.None))!.Version);
        Assert.Equal(newContent.Length, cache.GetSummary().Cached);

        // A reader still holding the old version gets an error, never new bytes under the old version.
        var error = await Assert.ThrowsAsync<UfsException>(async () => await cache.ReadAsync(oldEntry, 0, new byte[10], CancellationToken.None));
        Assert.Equal(UfsErrorKind.VersionMismatch, error.Kind);
    }

    [Fact]
    public async Task ReadAsync_PathReadRacingARewrite_RetriesOnTheNewVersion()
    {
        var source = new MemoryUnderFileSystem();
        source.Write("f", TestData.Bytes(3 * TestData.Page, 10));
        var options = TestData.MemOnly() with { MetadataTtl = TimeSpan.FromHours(1) };
        await using var cache = await TestData.OpenAsync(options, source);
        Assert.NotNull(await cache.StatAsync("/data/f", CancellationToken.None));

        var newContent = TestData.Bytes(3 * TestData.Page, 11);
        source.Write("f", newContent);
        var buffer = new byte[newContent.Length];
        Assert.Equal(newContent.Length, await cache.ReadAsync("/data/f", 0, buffer, CancellationToken.None));
        Assert.Equal(newContent, buffer);
    }

    [Fact]
    public async Task ReadAsync_MemoryHit_DoesNotAllocate()
    {
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(8 * TestData.Page, 12);
        source.Write("f", content);
        var options = TestData.MemOnly() with { ReadaheadBytes = 4 * TestData.Page, MetadataTtl = TimeSpan.FromHours(1) };
        await using var cache = await TestData.OpenAsync(options, source);
        Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/f"));
        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;
        var buffer = new byte[3 * TestData.Page];

        var (allocated, total) = MeasureSynchronousHits(cache, entry, buffer);
        Assert.Equal(0, allocated);
        Assert.Equal(2000 * buffer.Length, total);
        Assert.Equal(content.AsSpan(4000, buffer.Length).ToArray(), buffer);
    }

    [Fact]
    public async Task ReadAsync_SequentialReader_ReadaheadFetchesPagesAhead()
    {
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(16 * TestData.Page, 13);
        source.Write("f", content);
        var options = TestData.MemOnly() with { ReadaheadBytes = 8 * TestData.Page };
        await using var cache = await TestData.OpenAsync(options, source);
        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;

        var buffer = new byte[TestData.Page];
        await cache.ReadAsync(entry, 0, buffer, CancellationToken.None);
        var deadline = Stopwatch.StartNew();
        while (cache.GetSummary().Cached < 9 * TestData.Page && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        Assert.Equal(9L * TestData.Page, cache.GetSummary().Cached);
        var reads = source.Reads;
        for (var page = 1; page < 9; page++)
        {
            Assert.Equal(TestData.Page, await cache.ReadAsync(entry, page * TestData.Page, buffer, CancellationToken.None));
            Assert.Equal(content.AsSpan(page * TestData.Page, TestData.Page).ToArray(), buffer);
        }

        // Pages 1..8 were fetched ahead: reading them costs the source nothing.
        Assert.Equal(9, reads);
        Assert.True(cache.GetCounters().MemoryHits >= 8);
    }

    [Fact]
    public async Task ReadAsync_RandomReader_NoReadahead()
    {
        var source = new MemoryUnderFileSystem();
        source.Write("f", TestData.Bytes(32 * TestData.Page, 14));
        var options = TestData.MemOnly() with { ReadaheadBytes = 8 * TestData.Page };
        await using var cache = await TestData.OpenAsync(options, source);
        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;
        var buffer = new byte[100];
        foreach (var page in new[] { 20, 5, 13 })
        {
            await cache.ReadAsync(entry, (page * TestData.Page) + 7, buffer, CancellationToken.None);
        }

        await Task.Delay(100);
        Assert.Equal(3, source.Reads);
    }

    [Fact]
    public async Task ReadAsync_NoTiers_StillReadsThroughWithoutCaching()
    {
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(2 * TestData.Page, 15);
        source.Write("f", content);
        await using var cache = await TestData.OpenAsync(new CacheOptions { PageSize = TestData.Page, ReadaheadBytes = 0 }, source);
        Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/f", chunk: TestData.Page));
        Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/f", chunk: TestData.Page));
        Assert.Equal(4, source.Reads);
        Assert.Equal(0, cache.GetSummary().Cached);
    }

    [Fact]
    public async Task ReadAsync_SecondSequentialPassAfterEviction_ReadsAheadAgain()
    {
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(12 * TestData.Page, 16);
        source.Write("f", content);
        var options = TestData.MemOnly(quota: 64 * TestData.Page) with { ReadaheadBytes = 4 * TestData.Page };
        await using var cache = await TestData.OpenAsync(options, source);
        Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/f", chunk: TestData.Page));
        await Task.Delay(100);
        cache.EvictDownTo(cache.Stores[0], 0);
        Assert.Equal(0, cache.GetSummary().Cached);

        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;
        await cache.ReadAsync(entry, 0, new byte[TestData.Page], CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (cache.GetSummary().Cached < 5 * TestData.Page && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(5L * TestData.Page, cache.GetSummary().Cached);
    }

    [Fact]
    public async Task DisposeAsync_WhileReadersRun_ReadersEndCleanly()
    {
        var source = new MemoryUnderFileSystem();
        source.Write("f", TestData.Bytes(16 * TestData.Page, 17));
        var cache = await TestData.OpenAsync(TestData.MemOnly() with { ReadaheadBytes = 4 * TestData.Page }, source);
        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;
        using var stop = new CancellationTokenSource();
        var started = new int[4];
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            var buffer = new byte[5000];
            var outcomes = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await cache.ReadAsync(entry, (outcomes * 7919L) % (15 * TestData.Page), buffer, CancellationToken.None);
                }
                catch (ObjectDisposedException)
                {
                    return outcomes;
                }

                outcomes++;
                Volatile.Write(ref started[r], 1);
            }

            return outcomes;
        })).ToArray();

        // Dispose only once every reader is in its loop (a loaded machine may start them late).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (started.Any(s => Volatile.Read(ref s) == 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await Task.Delay(50);
        await cache.DisposeAsync();
        await stop.CancelAsync();
        foreach (var reader in readers)
        {
            Assert.True(await reader > 0);
        }

        Assert.Throws<ObjectDisposedException>(() => cache.ReadAsync(entry, 0, new byte[1], CancellationToken.None));
    }

    /// <summary>Reads cached ranges by entry and by path; every call must complete synchronously.</summary>
    private static (long Allocated, long Total) MeasureSynchronousHits(DatasetCache cache, DatasetEntry entry, byte[] buffer)
    {
        // Warm up every code path first (JIT, tiering) so only the steady state is measured.
        for (var i = 0; i < 100; i++)
        {
            _ = cache.ReadAsync(entry, i % 5 * 1000, buffer, CancellationToken.None).GetAwaiter().GetResult();
            _ = cache.ReadAsync("/data/f", i % 5 * 1000, buffer, CancellationToken.None).GetAwaiter().GetResult();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        long total = 0;
        for (var i = 0; i < 1000; i++)
        {
            var byEntry = cache.ReadAsync(entry, i % 5 * 1000, buffer, CancellationToken.None);
            var byPath = cache.ReadAsync("/data/f", i % 5 * 1000, buffer, CancellationToken.None);
            if (!byEntry.IsCompletedSuccessfully || !byPath.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("a cached read did not complete synchronously");
            }

            total += byEntry.Result + byPath.Result;
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before, total);
    }
}
