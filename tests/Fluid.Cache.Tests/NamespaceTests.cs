using Fluid.Cache.Tests.Sources;
using Fluid.Storage;

namespace Fluid.Cache.Tests;

public sealed class NamespaceTests
{
    private static async Task<(DatasetCache Cache, MemoryUnderFileSystem A, MemoryUnderFileSystem B)> OpenTwoMountsAsync(CacheOptions? options = null)
    {
        var a = new MemoryUnderFileSystem("memory://a");
        var b = new MemoryUnderFileSystem("memory://b");
        a.Write("x/1.bin", TestData.Bytes(10, 1));
        a.Write("x/2.bin", TestData.Bytes(20, 2));
        a.Write("x/y/3.bin", TestData.Bytes(30, 3));
        b.Write("top.bin", TestData.Bytes(40, 4));
        var cache = await DatasetCache.OpenAsync(options ?? TestData.MemOnly(), [new DatasetMount("alpha", a), new DatasetMount("beta", b)]);
        return (cache, a, b);
    }

    [Fact]
    public async Task ListAsync_Root_ListsMountsAsDirectories()
    {
        var (cache, _, _) = await OpenTwoMountsAsync();
        await using var _1 = cache;
        var names = new List<string>();
        await foreach (var e in cache.ListAsync("/", CancellationToken.None))
        {
            Assert.True(e.IsDirectory);
            names.Add(e.Path);
        }

        Assert.Equal(["/alpha", "/beta"], names);
    }

    [Fact]
    public async Task ListAsync_Directory_StreamsChildrenWithDatasetPaths()
    {
        var (cache, _, _) = await OpenTwoMountsAsync();
        await using var _1 = cache;
        var entries = new List<string>();
        await foreach (var e in cache.ListAsync("/alpha/x", CancellationToken.None))
        {
            entries.Add($"{e.Path}:{e.IsDirectory}:{e.Length}:{e.MountName}");
        }

        Assert.Equal(["/alpha/x/1.bin:False:10:alpha", "/alpha/x/2.bin:False:20:alpha", "/alpha/x/y:True:0:alpha"], entries);
    }

    [Fact]
    public async Task WalkAsync_Root_StreamsEveryFileAndTotalsMatch()
    {
        var (cache, _, _) = await OpenTwoMountsAsync();
        await using var _1 = cache;
        var files = new List<string>();
        await foreach (var e in cache.WalkAsync("/", CancellationToken.None))
        {
            files.Add(e.Path);
        }

        files.Sort(StringComparer.Ordinal);
        Assert.Equal(["/alpha/x/1.bin", "/alpha/x/2.bin", "/alpha/x/y/3.bin", "/beta/top.bin"], files);
        Assert.Equal(new DatasetTotals(100, 4), await cache.ComputeTotalsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task StatAsync_Paths_ResolveMountsFilesAndMissing()
    {
        var (cache, _, _) = await OpenTwoMountsAsync();
        await using var _1 = cache;
        Assert.True((await cache.StatAsync("/", CancellationToken.None))!.IsDirectory);
        Assert.True((await cache.StatAsync("/alpha", CancellationToken.None))!.IsDirectory);
        Assert.True((await cache.StatAsync("/alpha/x/", CancellationToken.None))!.IsDirectory);
        var file = (await cache.StatAsync("/beta/top.bin", CancellationToken.None))!;
        Assert.Equal(("top.bin", 40L, "beta", "top.bin"), (file.Name, file.Length, file.MountName, file.Source.Path));
        Assert.Null(await cache.StatAsync("/beta/missing", CancellationToken.None));
        Assert.Null(await cache.StatAsync("/gamma/x", CancellationToken.None));
    }

    [Theory]
    [InlineData("/alpha/../beta/top.bin")]
    [InlineData("/alpha/x/./1.bin")]
    [InlineData("/alpha//x")]
    [InlineData("alpha/x")]
    [InlineData("")]
    public async Task StatAsync_PathThatCouldEscape_IsRejectedNamingIt(string path)
    {
        var (cache, _, _) = await OpenTwoMountsAsync();
        await using var _1 = cache;
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await cache.StatAsync(path, CancellationToken.None));
        Assert.Contains($"\"{path}\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatAsync_WithinTtl_DoesNotAskTheSource()
    {
        var (cache, a, _) = await OpenTwoMountsAsync(TestData.MemOnly() with { MetadataTtl = TimeSpan.FromHours(1) });
        await using var _1 = cache;
        await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None);
        var stats = a.Stats;
        for (var i = 0; i < 10; i++)
        {
            await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None);
        }

        Assert.Equal(stats, a.Stats);
    }

    [Fact]
    public async Task StatAsync_PastHalfTheTtl_RefreshesInTheBackground()
    {
        var ttl = TimeSpan.FromSeconds(2);
        var (cache, a, _) = await OpenTwoMountsAsync(TestData.MemOnly() with { MetadataTtl = ttl });
        await using var _1 = cache;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var first = (await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None))!;
        a.Write("x/1.bin", TestData.Bytes(11, 9));
        await Task.Delay(ttl / 2 + TimeSpan.FromMilliseconds(100));

        // Served at once from the cache (still within the TTL), while a refresh starts behind it.
        // On a machine so loaded that the delay overran the whole TTL, the entry is legitimately
        // refreshed before use, so only the eventual refresh is checked.
        var second = (await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None))!;
        if (clock.Elapsed < ttl)
        {
            Assert.Equal(first.Version, second.Version);
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        DatasetEntry? now = first;
        while (now!.Version == first.Version && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
            now = await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None);
        }

        Assert.Equal(11, now.Length);
    }

    [Fact]
    public async Task StatAsync_StaleAndSourceDown_ServesTheCachedEntry()
    {
        var (cache, a, _) = await OpenTwoMountsAsync(TestData.MemOnly() with { MetadataTtl = TimeSpan.FromMilliseconds(50) });
        await using var _1 = cache;
        var first = (await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None))!;
        a.Outage = SourceOutage.Refuse;
        await Task.Delay(100);
        Assert.Same(first, await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None));
        await Assert.ThrowsAsync<UfsException>(async () => await cache.StatAsync("/alpha/x/2.bin", CancellationToken.None));
    }

    [Fact]
    public async Task StatAsync_SourceHangs_OnlyTheFirstExpiredLookupWaitsATimeout()
    {
        var (cache, a, b) = await OpenTwoMountsAsync(TestData.MemOnly() with { MetadataTtl = TimeSpan.FromMilliseconds(50), SourceTimeout = TimeSpan.FromSeconds(2) });
        await using var _1 = cache;
        var one = (await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None))!;
        var two = (await cache.StatAsync("/alpha/x/2.bin", CancellationToken.None))!;
        var other = (await cache.StatAsync("/beta/top.bin", CancellationToken.None))!;
        a.Outage = SourceOutage.Hang;
        await Task.Delay(100);

        // The first expired lookup finds out that the source hangs: it waits the timeout, then serves what it knew.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Same(one, await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"served after {clock.Elapsed}");

        // The next ones on that mount do not wait again; another mount is asked as usual.
        clock.Restart();
        Assert.Same(two, await cache.StatAsync("/alpha/x/2.bin", CancellationToken.None));
        Assert.Same(one, await cache.StatAsync("/alpha/x/1.bin", CancellationToken.None));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"served after {clock.Elapsed}");
        b.Write("top.bin", TestData.Bytes(41, 5));
        Assert.NotSame(other, await cache.StatAsync("/beta/top.bin", CancellationToken.None));

        // Back: the background refresh sees the new version.
        a.Outage = SourceOutage.None;
        a.Write("x/2.bin", TestData.Bytes(21, 6));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var now = two;
        while (now.Length != 21 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            now = (await cache.StatAsync("/alpha/x/2.bin", CancellationToken.None))!;
        }

        Assert.Equal(21, now.Length);
    }

    [Fact]
    public async Task ReadAsync_Directory_FailsWithIsADirectory()
    {
        var (cache, _, _) = await OpenTwoMountsAsync();
        await using var _1 = cache;
        var dir = (await cache.StatAsync("/alpha/x", CancellationToken.None))!;
        var error = await Assert.ThrowsAsync<UfsException>(async () => await cache.ReadAsync(dir, 0, new byte[1], CancellationToken.None));
        Assert.Equal(UfsErrorKind.IsADirectory, error.Kind);
    }
}
