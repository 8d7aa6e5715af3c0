using Fluid.Cache.Tests.Sources;

namespace Fluid.Cache.Tests;

public sealed class DiskTierTests
{
    [Fact]
    public async Task OpenAsync_AfterRestart_ReusesDiskPagesWithoutSourceReads()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < 5; i++)
        {
            files[$"d/f{i}"] = TestData.Bytes((i * 3000) + 5000, 100 + i);
            source.Write($"d/f{i}", files[$"d/f{i}"]);
        }

        var options = TestData.WithDisk(dir.Sub("ssd"));
        await using (var cache = await TestData.OpenAsync(options, source))
        {
            foreach (var (path, content) in files)
            {
                Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/" + path));
            }
        }

        source.ResetCounters();
        await using (var cache = await TestData.OpenAsync(options, source))
        {
            var pages = files.Values.Sum(f => (f.Length + TestData.Page - 1) / TestData.Page);
            Assert.Equal(pages, cache.GetCounters().RecoveredPages);
            Assert.Equal(0, cache.GetCounters().CorruptPages);
            Assert.Equal(files.Values.Sum(f => (long)f.Length), cache.GetSummary().Cached);
            foreach (var (path, content) in files)
            {
                Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/" + path));
            }

            Assert.Equal(0, source.Reads);
            Assert.Equal(0, source.BytesRead);
        }
    }

    [Fact]
    public async Task OpenAsync_PageCorruptedOnDisk_DroppedCountedAndReread()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(4 * TestData.Page, 200);
        source.Write("f", content);
        var options = TestData.WithDisk(dir.Sub("ssd"), memQuota: 0);
        string blob;
        await using (var cache = await TestData.OpenAsync(options, source))
        {
            var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;
            Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/f"));
            Assert.True(cache.TryGetLocalFile(entry, out blob));
        }

        FlipByte(blob, (2 * TestData.Page) + 17);
        source.ResetCounters();
        await using (var cache = await TestData.OpenAsync(options, source))
        {
            Assert.Equal(1, cache.GetCounters().CorruptPages);
            Assert.Equal(3, cache.GetCounters().RecoveredPages);
            Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/f"));
            Assert.Equal(1, source.Reads);
            Assert.Equal(TestData.Page, source.BytesRead);
        }
    }

    [Fact]
    public async Task ReadAsync_PageCorruptedWhileRunning_DetectedOnWholePageReadAndReread()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(3 * TestData.Page, 201);
        source.Write("f", content);
        await using var cache = await TestData.OpenAsync(TestData.WithDisk(dir.Sub("ssd"), memQuota: 0), source);
        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;
        Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/f", chunk: TestData.Page));
        Assert.True(cache.TryGetLocalFile(entry, out var blob));

        FlipByte(blob, TestData.Page + 5);
        source.ResetCounters();
        var buffer = new byte[TestData.Page];
        Assert.Equal(TestData.Page, await cache.ReadAsync(entry, TestData.Page, buffer, CancellationToken.None));
        Assert.Equal(content.AsSpan(TestData.Page, TestData.Page).ToArray(), buffer);
        Assert.Equal(1, cache.GetCounters().CorruptPages);
        Assert.Equal(1, source.Reads);
    }

    [Fact]
    public async Task ReadAsync_PartOfAPageCorruptedAfterItWasWritten_CheckedOnceDroppedAndReread()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(TestData.Page, 203);
        source.Write("f", content);
        await using var cache = await TestData.OpenAsync(TestData.WithDisk(dir.Sub("ssd"), memQuota: 0) with { ReadaheadBytes = 0 }, source);
        var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;
        var small = new byte[1000];
        Assert.Equal(small.Length, await cache.ReadAsync(entry, 0, small, CancellationToken.None)); // fetches the one page
        Assert.Equal(content.AsSpan(0, small.Length).ToArray(), small);

        // Damaged on disk after it was written, before any read of it came back from disk: a read of a part elsewhere
        // in the page still finds it, because the first disk read of a page in a process checks the whole page.
        Assert.True(cache.TryGetLocalFile(entry, out var blob), "the page is on disk");
        FlipByte(blob, 700);
        source.ResetCounters();
        Assert.Equal(small.Length, await cache.ReadAsync(entry, 3000, small, CancellationToken.None));
        Assert.Equal(content.AsSpan(3000, small.Length).ToArray(), small);
        Assert.Equal(1, cache.GetCounters().CorruptPages);
        Assert.Equal(1, source.Reads);
    }

    [Fact]
    public async Task OpenAsync_RecordWithoutItsBytes_IsNeverIndexed()
    {
        // A crash after the sidecar record reached disk but before the page bytes did: the hole reads as zeros.
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes(2 * TestData.Page, 202);
        source.Write("f", content);
        var options = TestData.WithDisk(dir.Sub("ssd"), memQuota: 0);
        string blob;
        await using (var cache = await TestData.OpenAsync(options, source))
        {
            var entry = (await cache.StatAsync("/data/f", CancellationToken.None))!;
            await TestData.ReadAllAsync(cache, "/data/f");
            Assert.True(cache.TryGetLocalFile(entry, out blob));
        }

        await using (var stream = new FileStream(blob, FileMode.Open, FileAccess.Write))
        {
            stream.Position = TestData.Page;
            stream.Write(new byte[TestData.Page]);
        }

        File.WriteAllText(Path.Combine(Path.GetDirectoryName(blob)!, "junk.meta.tmp"), "half a header");
        await using (var cache = await TestData.OpenAsync(options, source))
        {
            Assert.Equal(1, cache.GetCounters().RecoveredPages);
            Assert.Equal(1, cache.GetCounters().CorruptPages);
            Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(blob)!, "junk.meta.tmp")));
            Assert.Equal(content, await TestData.ReadAllAsync(cache, "/data/f"));
        }
    }

    [Fact]
    public async Task TryGetLocalFile_FullyCached_IsAPlainCopyOfTheSourceFile()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var content = TestData.Bytes((5 * TestData.Page) + 77, 203);
        source.Write("x/y.bin", content);
        await using var cache = await TestData.OpenAsync(TestData.WithDisk(dir.Sub("ssd")), source);
        var entry = (await cache.StatAsync("/data/x/y.bin", CancellationToken.None))!;

        var buffer = new byte[TestData.Page];
        await cache.ReadAsync(entry, 0, buffer, CancellationToken.None);
        Assert.False(cache.TryGetLocalFile(entry, out _));

        await TestData.ReadAllAsync(cache, "/data/x/y.bin");
        Assert.True(cache.TryGetLocalFile(entry, out var local));
        Assert.Equal(content, await File.ReadAllBytesAsync(local));
    }

    [Fact]
    public async Task TryLeaseLocalFile_WhileLeased_PagesAreNotEvicted()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var leased = TestData.Bytes(4 * TestData.Page, 204);
        source.Write("leased", leased);
        for (var i = 0; i < 8; i++)
        {
            source.Write($"other{i}", TestData.Bytes(4 * TestData.Page, 205 + i));
        }

        var options = TestData.WithDisk(dir.Sub("ssd"), memQuota: 0, diskQuota: 8 * TestData.Page);
        // FIFO makes "the leased file would have been evicted by now" certain once the lease ends.
        options = options with { Tiers = [options.Tiers[0] with { Eviction = EvictionPolicyKind.Fifo }] };
        await using var cache = await TestData.OpenAsync(options, source);
        var entry = (await cache.StatAsync("/data/leased", CancellationToken.None))!;
        await TestData.ReadAllAsync(cache, "/data/leased");
        Assert.True(cache.TryLeaseLocalFile(entry, out var lease));
        using (lease)
        {
            for (var i = 0; i < 8; i++)
            {
                await TestData.ReadAllAsync(cache, $"/data/other{i}");
            }

            Assert.Equal(leased, await File.ReadAllBytesAsync(lease!.Path));
            Assert.True(cache.TryGetLocalFile(entry, out _));
        }

        for (var i = 0; i < 8; i++)
        {
            await TestData.ReadAllAsync(cache, $"/data/other{i}");
        }

        Assert.False(cache.TryGetLocalFile(entry, out _));
    }

    [Fact]
    public async Task ReadAsync_HotDiskPage_IsPromotedToMemory()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var hot = TestData.Bytes(TestData.Page, 220);
        source.Write("hot", hot);
        for (var i = 0; i < 6; i++)
        {
            source.Write($"cold{i}", TestData.Bytes(TestData.Page, 221 + i));
        }

        var options = TestData.WithDisk(dir.Sub("ssd"), memQuota: 2 * TestData.Page) with { PromoteAfterHits = 2 };
        // FIFO in MEM so the cold files surely push the hot page out of memory first.
        options = options with { Tiers = [options.Tiers[0] with { Eviction = EvictionPolicyKind.Fifo }, options.Tiers[1]] };
        await using var cache = await TestData.OpenAsync(options, source);
        await TestData.ReadAllAsync(cache, "/data/hot");
        for (var i = 0; i < 6; i++)
        {
            await TestData.ReadAllAsync(cache, $"/data/cold{i}");
        }

        var memoryHits = cache.GetCounters().MemoryHits;
        Assert.Equal(hot, await TestData.ReadAllAsync(cache, "/data/hot", chunk: TestData.Page));
        Assert.Equal(hot, await TestData.ReadAllAsync(cache, "/data/hot", chunk: TestData.Page));
        Assert.Equal(1, cache.GetCounters().Promotions);
        Assert.Equal(hot, await TestData.ReadAllAsync(cache, "/data/hot", chunk: TestData.Page));
        Assert.Equal(memoryHits + 1, cache.GetCounters().MemoryHits);
    }

    [Fact]
    public async Task Eviction_FromSsd_DemotesToHdd()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var options = new CacheOptions
        {
            PageSize = TestData.Page,
            ReadaheadBytes = 0,
            Tiers =
            [
                // Watermarks at 1.0: only insert-time eviction runs, so the test sees no background work.
                new TierOptions { Medium = MediumType.Ssd, Directories = [new TierDirectory(dir.Sub("ssd"), 4 * TestData.Page)], High = 1, Low = 1 },
                new TierOptions { Medium = MediumType.Hdd, Directories = [new TierDirectory(dir.Sub("hdd1"), 8 * TestData.Page), new TierDirectory(dir.Sub("hdd2"), 8 * TestData.Page)], High = 1, Low = 1 },
            ],
        };
        var contents = new List<byte[]>();
        for (var i = 0; i < 10; i++)
        {
            contents.Add(TestData.Bytes(TestData.Page, 300 + i));
            source.Write($"f{i}", contents[i]);
        }

        await using var cache = await TestData.OpenAsync(options, source);
        for (var i = 0; i < 10; i++)
        {
            await TestData.ReadAllAsync(cache, $"/data/f{i}");
        }

        var summary = cache.GetSummary();
        Assert.Equal(10L * TestData.Page, summary.Cached);
        Assert.True(cache.GetCounters().Demotions >= 6, $"demotions {cache.GetCounters().Demotions}");
        Assert.All(summary.Tiers, t => Assert.True(t.Used <= t.Quota));
        source.ResetCounters();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(contents[i], await TestData.ReadAllAsync(cache, $"/data/f{i}"));
        }

        Assert.Equal(0, source.Reads);
    }

    [Fact]
    public async Task Watermarks_CrossingHigh_EvictsDownToLow()
    {
        using var dir = new TempDirectory();
        var source = new MemoryUnderFileSystem();
        var options = new CacheOptions
        {
            PageSize = TestData.Page,
            ReadaheadBytes = 0,
            Tiers = [new TierOptions { Medium = MediumType.Mem, Quota = 20 * TestData.Page, High = 0.8, Low = 0.5 }],
        };
        for (var i = 0; i < 17; i++)
        {
            source.Write($"f{i}", TestData.Bytes(TestData.Page, 400 + i));
        }

        await using var cache = await TestData.OpenAsync(options, source);
        for (var i = 0; i < 16; i++)
        {
            await TestData.ReadAllAsync(cache, $"/data/f{i}");
        }

        await Task.Delay(100);
        Assert.Equal(16L * TestData.Page, cache.GetSummary().Tiers[0].Used);
        await TestData.ReadAllAsync(cache, "/data/f16");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (cache.GetSummary().Tiers[0].Used > 10 * TestData.Page && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(10L * TestData.Page, cache.GetSummary().Tiers[0].Used);
        Assert.Equal(7, cache.GetCounters().Evictions);
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0xFF));
    }
}
