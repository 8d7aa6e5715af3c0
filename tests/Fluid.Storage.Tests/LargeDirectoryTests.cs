using System.Globalization;
using Fluid.Storage.Mounts;
using Fluid.Testing;
using Xunit.Abstractions;

namespace Fluid.Storage.Tests;

/// <summary>A directory of 100,000 entries, served by nginx and read locally.</summary>
public sealed class LargeDirectoryFixture : IAsyncLifetime
{
    public const int EntryCount = 100_000;

    public NginxFixture Nginx { get; } = new();

    public UfsRegistry Registry { get; } = UfsRegistry.CreateDefault();

    public async Task InitializeAsync()
    {
        await Nginx.InitializeAsync();
        var big = Path.Combine(Nginx.Root, "big");
        Directory.CreateDirectory(big);
        await Parallel.ForAsync(0, EntryCount, new ParallelOptions { MaxDegreeOfParallelism = 2 }, (i, _) =>
        {
            File.Create(Path.Combine(big, Name(i))).Dispose();
            return ValueTask.CompletedTask;
        });
    }

    public Task DisposeAsync() => Nginx.DisposeAsync();

    /// <summary>Long-ish names so the index document is large (about 11 MB of JSON).</summary>
    public static string Name(int i) => string.Create(CultureInfo.InvariantCulture, $"entry-{i:D6}-abcdefghijklmnopqrstuvwx.bin");
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LargeDirectoryCollection : ICollectionFixture<LargeDirectoryFixture>
{
    // Runs alone: the tests measure the process's retained memory.
    public const string Name = "large directory";
}

[Collection(LargeDirectoryCollection.Name)]
public sealed class LargeDirectoryTests
{
    private const long MaxRetainedGrowth = 4 * 1024 * 1024;

    private readonly LargeDirectoryFixture _fixture;
    private readonly ITestOutputHelper _output;

    public LargeDirectoryTests(LargeDirectoryFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task Local_ListingOf100000Entries_DoesNotGrowMemory()
    {
        await using var ufs = _fixture.Registry.Create(new UfsMount("big", "local://" + _fixture.Nginx.Root));
        await AssertStreamsInConstantMemoryAsync(ufs, _output);
    }

    [Fact]
    public async Task HttpJson_ListingOf100000Entries_DoesNotGrowMemory()
    {
        await using var ufs = _fixture.Registry.Create(_fixture.Nginx.JsonMount("big"));
        await AssertStreamsInConstantMemoryAsync(ufs, _output);
    }

    private static async Task AssertStreamsInConstantMemoryAsync(IUnderFileSystem ufs, ITestOutputHelper output)
    {
        // Warm up (JIT, connection pool) so the baseline holds what every listing needs anyway.
        await foreach (var _ in ufs.ListAsync("big", CancellationToken.None))
        {
            break;
        }

        var baseline = Retained();
        long count = 0;
        long peak = 0;
        var seen = new bool[LargeDirectoryFixture.EntryCount];
        await foreach (var entry in ufs.ListAsync("big", CancellationToken.None))
        {
            count++;
            Assert.False(entry.IsDirectory);
            var index = int.Parse(entry.Name.AsSpan(6, 6), CultureInfo.InvariantCulture);
            Assert.Equal(LargeDirectoryFixture.Name(index), entry.Name);
            seen[index] = true;
            if (count % 10_000 == 0)
            {
                peak = Math.Max(peak, Retained() - baseline);
            }
        }

        Assert.Equal(LargeDirectoryFixture.EntryCount, count);
        Assert.All(seen, Assert.True);

        // The same listing held in a list, to show what the bound protects against.
        var held = new List<UfsEntry>();
        await foreach (var entry in ufs.ListAsync("big", CancellationToken.None))
        {
            held.Add(entry);
        }

        var materialized = Retained() - baseline;
        GC.KeepAlive(held);
        output.WriteLine($"{ufs.DisplayName}: {count:N0} entries; retained growth while streaming {peak:N0} bytes; holding the listing {materialized:N0} bytes");
        Assert.True(peak < MaxRetainedGrowth, $"{ufs.DisplayName}: memory grew by {peak:N0} bytes while streaming (holding the listing takes {materialized:N0})");
        Assert.True(peak * 4 < materialized, $"{ufs.DisplayName}: streaming retained {peak:N0} bytes, holding the listing {materialized:N0}");
    }

    private static long Retained()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
