using System.Collections.Concurrent;
using Fluid.Cache.Tests.Sources;
using Fluid.Storage;

namespace Fluid.Cache.Tests;

public sealed class PageSourceTests
{
    /// <summary>A page source that serves from a copy of the files, counts calls and can hand out leases.</summary>
    private sealed class RecordingSource(MemoryUnderFileSystem backing) : IPageSource
    {
        public ConcurrentQueue<(string Mount, string Path, long Offset, int Length)> Calls { get; } = new();

        public SemaphoreSlim? Gate { get; set; }

        public string? LeasePath { get; set; }

        public int LeasesReleased;

        public async ValueTask<int> ReadAsync(DatasetMount mount, UfsEntry file, long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            Calls.Enqueue((mount.Name, file.Path, offset, destination.Length));
            if (Gate is { } gate)
            {
                await gate.WaitAsync(cancellationToken);
                gate.Release();
            }

            return await backing.ReadAsync(file, offset, destination, cancellationToken);
        }

        public ValueTask<LocalFileLease?> LeaseLocalFileAsync(DatasetMount mount, UfsEntry file, CancellationToken cancellationToken) =>
            ValueTask.FromResult(LeasePath is null ? null : new LocalFileLease(LeasePath, file.Length, () => Interlocked.Increment(ref LeasesReleased)));
    }

    private static MemoryUnderFileSystem Source(out byte[] content)
    {
        var source = new MemoryUnderFileSystem();
        content = TestData.Bytes((10 * TestData.Page) + 123, 7);
        source.Write("a/file.bin", content);
        return source;
    }

    [Fact]
    public async Task ReadAsync_CustomSource_FetchesEveryMissThroughItAndNeverTheMount()
    {
        var source = Source(out var content);
        var copy = Source(out _);
        var pages = new RecordingSource(copy);
        await using var cache = await DatasetCache.OpenAsync(TestData.MemOnly(), [new DatasetMount("data", source)], pages);
        _ = await cache.StatAsync("/data/a/file.bin", CancellationToken.None);
        source.ResetCounters();

        var bytes = await TestData.ReadAllAsync(cache, "/data/a/file.bin");
        var again = await TestData.ReadAllAsync(cache, "/data/a/file.bin");

        Assert.Equal(content, bytes);
        Assert.Equal(content, again);
        Assert.Same(pages, cache.PageSource);
        Assert.Equal(11, pages.Calls.Count);
        Assert.All(pages.Calls, c => Assert.Equal(("data", "a/file.bin"), (c.Mount, c.Path)));
        Assert.Equal(Enumerable.Range(0, 11).Select(i => (long)i * TestData.Page), pages.Calls.Select(c => c.Offset).Order());
        Assert.Equal(123, pages.Calls.Single(c => c.Offset == 10 * TestData.Page).Length);
        Assert.Equal(0, source.Reads);
        Assert.Equal(11, copy.Reads);
    }

    [Fact]
    public async Task ReadAsync_ConcurrentReadersOfOnePage_OneSourceCall()
    {
        var source = Source(out var content);
        var pages = new RecordingSource(source) { Gate = new SemaphoreSlim(0) };
        await using var cache = await DatasetCache.OpenAsync(TestData.MemOnly(), [new DatasetMount("data", source)], pages);
        var entry = (await cache.StatAsync("/data/a/file.bin", CancellationToken.None))!;

        var readers = Enumerable.Range(0, 8).Select(async _ =>
        {
            var buffer = new byte[100];
            var n = await cache.ReadAsync(entry, 50, buffer, CancellationToken.None);
            return buffer.AsSpan(0, n).ToArray();
        }).ToArray();
        await Task.Delay(100);
        pages.Gate.Release();
        var results = await Task.WhenAll(readers);

        Assert.Single(pages.Calls);
        Assert.All(results, r => Assert.Equal(content.AsSpan(50, 100).ToArray(), r));
    }

    [Fact]
    public async Task DefaultSource_IsTheUnderFileSystem()
    {
        var source = Source(out var content);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);

        var bytes = await TestData.ReadAllAsync(cache, "/data/a/file.bin");

        Assert.Same(UnderFileSystemPageSource.Instance, cache.PageSource);
        Assert.Equal(content, bytes);
        Assert.Equal(11, source.Reads);
    }

    [Fact]
    public async Task LeaseLocalFile_NotHeldLocally_AsksThePageSourceAndReleasesThroughIt()
    {
        var source = Source(out _);
        var pages = new RecordingSource(source) { LeasePath = "/somewhere/blob" };
        await using var cache = await DatasetCache.OpenAsync(TestData.MemOnly(), [new DatasetMount("data", source)], pages);
        var entry = (await cache.StatAsync("/data/a/file.bin", CancellationToken.None))!;

        var asyncLease = await cache.LeaseLocalFileAsync(entry, CancellationToken.None);
        Assert.True(cache.TryLeaseLocalFile(entry, out var syncLease));

        Assert.Equal("/somewhere/blob", asyncLease!.Path);
        Assert.Equal("/somewhere/blob", syncLease!.Path);
        Assert.Equal(entry.Length, syncLease.Length);
        asyncLease.Dispose();
        asyncLease.Dispose();
        syncLease.Dispose();
        Assert.Equal(2, pages.LeasesReleased);
        Assert.False(cache.TryGetLocalFile(entry, out _));
    }

    [Fact]
    public async Task LeaseLocalFile_HeldOnOwnDisk_OwnBlobWinsOverThePageSource()
    {
        using var dir = new TempDirectory();
        var source = Source(out var content);
        var pages = new RecordingSource(source) { LeasePath = "/somewhere/blob" };
        await using var cache = await DatasetCache.OpenAsync(TestData.WithDisk(dir.Path), [new DatasetMount("data", source)], pages);
        _ = await TestData.ReadAllAsync(cache, "/data/a/file.bin");
        var entry = (await cache.StatAsync("/data/a/file.bin", CancellationToken.None))!;

        using var lease = await cache.LeaseLocalFileAsync(entry, CancellationToken.None);

        Assert.StartsWith(dir.Path, lease!.Path, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllBytesAsync(lease.Path));
    }

    [Fact]
    public async Task LeaseLocalFile_DefaultSourceAndNothingCached_ReturnsNull()
    {
        var source = Source(out _);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);
        var entry = (await cache.StatAsync("/data/a/file.bin", CancellationToken.None))!;

        Assert.Null(await cache.LeaseLocalFileAsync(entry, CancellationToken.None));
        Assert.False(cache.TryLeaseLocalFile(entry, out var lease));
        Assert.Null(lease);
    }

    [Fact]
    public async Task GetEntry_NamedVersion_ReadsThatVersionWithoutAStat()
    {
        var source = Source(out var content);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);
        var stat = (await source.StatAsync("a/file.bin", CancellationToken.None))!;
        source.ResetCounters();

        var entry = cache.GetEntry("data", stat);
        var buffer = new byte[content.Length];
        var n = await cache.ReadAsync(entry, 0, buffer, CancellationToken.None);

        Assert.Equal("/data/a/file.bin", entry.Path);
        Assert.Equal(content.Length, n);
        Assert.Equal(content, buffer);
        Assert.Equal(0, source.Stats);
    }

    [Fact]
    public async Task GetEntry_StaleVersion_ReadFailsWithVersionMismatch()
    {
        var source = Source(out _);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);
        var stat = (await source.StatAsync("a/file.bin", CancellationToken.None))!;
        source.Write("a/file.bin", TestData.Bytes(stat.Length == 0 ? 1 : (int)stat.Length, 99));

        var entry = cache.GetEntry("data", stat);
        var error = await Assert.ThrowsAsync<UfsException>(async () => await cache.ReadAsync(entry, 0, new byte[10], CancellationToken.None));

        Assert.Equal(UfsErrorKind.VersionMismatch, error.Kind);
    }

    [Theory]
    [InlineData("nope", "a/file.bin", "no mount")]
    [InlineData("data", "../etc/passwd", "'..'")]
    [InlineData("data", "/abs", "absolute")]
    [InlineData("data", "", "root")]
    public async Task GetEntry_BadInput_ThrowsNamingTheProblem(string mount, string path, string expected)
    {
        var source = Source(out _);
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(), source);

        var error = Assert.Throws<ArgumentException>(() => cache.GetEntry(mount, new UfsEntry(path, false, 10, DateTimeOffset.UnixEpoch, "v1")));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadFilesAsync_PageSelector_LoadsOnlySelectedPagesAndCountsOnlyThem()
    {
        var source = new MemoryUnderFileSystem();
        var big = TestData.Bytes(40 * TestData.Page, 1);
        source.Write("big.bin", big);
        source.Write("small.bin", TestData.Bytes(100, 2));
        await using var cache = await TestData.OpenAsync(TestData.MemOnly(quota: 128 * TestData.Page), source);

        // Odd pages of big.bin only; small.bin not at all.
        var summary = await cache.LoadFilesAsync(
            cache.WalkAsync("/data", CancellationToken.None),
            (file, offset) => file.Name == "big.bin" && offset / TestData.Page % 2 == 1,
            null,
            CancellationToken.None);

        Assert.Equal(1, summary.Files);
        Assert.Equal(20L * TestData.Page, summary.Bytes);
        Assert.Equal(20L * TestData.Page, summary.BytesFetched);
        Assert.Equal(20L * TestData.Page, cache.GetSummary().Cached);
        source.ResetCounters();
        var bytes = await TestData.ReadAllAsync(cache, "/data/big.bin", chunk: TestData.Page);
        Assert.Equal(big, bytes);
        Assert.Equal(20, source.Reads);
    }
}
