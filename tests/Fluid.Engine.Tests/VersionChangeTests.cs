using System.Text;
using Fluid.Engine.Tests.Support;
using Fluid.Fuse;
using Fluid.Testing;
using static Fluid.Testing.Shell;

namespace Fluid.Engine.Tests;

/// <summary>A file rewritten at the source: once the cache sees the new version, the kernel forgets the old one.</summary>
public sealed class VersionChangeTests(S3ServerFixture s3) : IClassFixture<S3ServerFixture>
{
    [Fact]
    public async Task NewVersionSeenByTheCache_IsInvalidatedInTheKernel()
    {
        // A long TTL and kept page caches: without an invalidation the kernel would serve the old bytes for a minute.
        await using var site = await EngineSite.StartAsync(s3, ttl: "60s", fuse: new FuseOptions { Passthrough = PassthroughMode.Off, ReaderThreads = 3 }, seed: 31);
        var file = site.FilePath("big/readme.txt");
        Assert.Equal("large files for passthrough\n", Ok($"cat {Q(file)}").Stdout);
        // The walk for ufsTotal lists the source too; on a slow machine it could see the new version before the listing below does.
        await site.Host.Totals.WaitAsync(TimeSpan.FromSeconds(60));

        await s3.PutAsync(site.Dataset.Bucket, "big/readme.txt", Encoding.UTF8.GetBytes("LARGE FILES FOR PASSTHROUGH\n"));
        Assert.Equal("large files for passthrough\n", Ok($"cat {Q(file)}").Stdout); // still within the TTL

        // A listing asks the source and sees the new ETag; the cache drops the old pages and the kernel its copy.
        var names = new List<string>();
        await foreach (var entry in site.Host.ListAsync("/train/big", CancellationToken.None))
        {
            names.Add(entry.Name);
        }

        Assert.Contains("readme.txt", names);
        string seen = string.Empty;
        for (var i = 0; i < 50 && seen != "LARGE FILES FOR PASSTHROUGH\n"; i++)
        {
            await Task.Delay(100);
            // A read that races the change may get ESTALE once (the old version is gone at the source); never old bytes after it.
            var cat = Run($"cat {Q(file)}");
            Assert.True(cat.ExitCode == 0 || cat.Stderr.Contains("Stale file handle", StringComparison.Ordinal), $"{cat}\n{site.Logs.Text}\n{site.Host.Mount!.Metrics}");
            seen = cat.Stdout;
        }

        Assert.Equal("LARGE FILES FOR PASSTHROUGH\n", seen);
        Assert.Contains(site.Logs.Entries, e => e.Id == 5012 && e.Message.Contains("/train/big/readme.txt", StringComparison.Ordinal));
    }
}
