using Fluid.Engine.Tests.Support;
using Fluid.Testing;
using static Fluid.Testing.Shell;

namespace Fluid.Engine.Tests;

/// <summary>The source going away while a dataset is mounted: EIO within the timeout, cached files stay readable, recovery.</summary>
public sealed class SourceFaultTests : IAsyncLifetime
{
    private readonly S3ServerFixture _s3 = new();
    private FaultProxy _proxy = null!;
    private EngineSite _site = null!;

    public async Task InitializeAsync()
    {
        await _s3.InitializeAsync();
        _proxy = new FaultProxy(_s3.Port);

        // 1 s per attempt, one retry: a source call gives up after about 2.1 s; the FUSE request 2 s later.
        _site = await EngineSite.StartAsync(_s3, _proxy.Endpoint, sourceTimeout: "1s", retries: 1, ttl: "2s", seed: 21);
    }

    public async Task DisposeAsync()
    {
        _proxy.SwitchTo(Fault.Pass);
        await _site.DisposeAsync();
        await _proxy.DisposeAsync();
        await _s3.DisposeAsync();
    }

    [Theory]
    [InlineData(Fault.Hang)]
    [InlineData(Fault.Reset)]
    public async Task SourceGoesAway_UncachedGivesEio_CachedStaysReadable_ThenRecovers(Fault outage)
    {
        var files = _site.Dataset.Files.Keys.Where(k => !k.StartsWith("big/", StringComparison.Ordinal) && _site.Dataset.Files[k].Length > 0).Order(StringComparer.Ordinal).ToList();
        var cached = files[0];
        var uncached = files[^1];
        OkWhileHealthy($"cmp {Q(Path.Combine(_site.Dataset.LocalCopy, cached))} {Q(_site.FilePath(cached))}");
        OkWhileHealthy($"ls {Q(Path.GetDirectoryName(_site.FilePath(uncached))!)}"); // its name is known; its bytes are not

        _proxy.SwitchTo(outage);
        await Task.Delay(2500); // past the metadata TTL: attributes must be checked against the source again

        var failed = Run($"cat {Q(_site.FilePath(uncached))} > /dev/null", TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("Input/output error", failed.Stderr, StringComparison.Ordinal);
        Assert.True(failed.Elapsed < TimeSpan.FromSeconds(outage == Fault.Hang ? 9 : 4), $"took {failed.Elapsed}; started {DateTime.Now - failed.Elapsed:HH:mm:ss.fff}\n{_site.Logs.Text}");

        var big = Run($"cat {Q(_site.FilePath("big/large-1.bin"))} > /dev/null", TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, big.ExitCode);

        // Pages and metadata already cached are served while the source is away (stale-if-error).
        Ok($"cmp {Q(Path.Combine(_site.Dataset.LocalCopy, cached))} {Q(_site.FilePath(cached))}", TimeSpan.FromSeconds(30));
        Assert.True(_site.Host.Mount!.Completion.IsCompleted is false, "the mount stays alive");
        Assert.Contains(_site.Logs.Entries, e => e.Id == 5001 && e.Message.Contains("EIO", StringComparison.Ordinal));

        _proxy.SwitchTo(Fault.Pass);
        OkWhileHealthy($"cmp {Q(Path.Combine(_site.Dataset.LocalCopy, uncached))} {Q(_site.FilePath(uncached))}");
        OkWhileHealthy($"cmp {Q(Path.Combine(_site.Dataset.LocalCopy, "big/large-1.bin"))} {Q(_site.FilePath("big/large-1.bin"))}");
    }

    [Fact]
    public async Task UnreachableSource_ListingAnUnknownDirectoryGivesEio()
    {
        _proxy.SwitchTo(Fault.Reset);
        await Task.Delay(2500);
        var listing = Run($"ls {Q(_site.FilePath("big"))}", TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, listing.ExitCode);
        Assert.Contains("Input/output error", listing.Stderr, StringComparison.Ordinal);
        _proxy.SwitchTo(Fault.Pass);
        Assert.Contains("large-1.bin", OkWhileHealthy($"ls {Q(_site.FilePath("big"))}").Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// A command while the source is healthy. The source timeout is 1 s here so that outages show quickly; a loaded
    /// machine can exceed it once (the first S3 call of a process also pays for JIT). A failed read poisons nothing,
    /// so up to three attempts are allowed; the bytes are still compared.
    /// </summary>
    private static ShellResult OkWhileHealthy(string command)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = Run(command, TimeSpan.FromSeconds(30));
            if (result.ExitCode == 0 || attempt == 3)
            {
                Assert.True(result.ExitCode == 0, $"`{command}` failed {attempt} times: {result}");
                return result;
            }
        }
    }
}
