using System.Text.Json;
using System.Text.RegularExpressions;
using Fluid.Cache.Cluster.Ring;
using Fluid.Engine.Tests.Support;
using Fluid.Testing;
using static Fluid.Testing.Shell;

namespace Fluid.Engine.Tests;

/// <summary>
/// `fluid up --workers 3` end to end: three real worker processes reading a real S3 server with the manifest's
/// secrets, a real FUSE mount over them, the CLI's status and load, and a worker killed with SIGKILL mid-read.
/// </summary>
public sealed class ClusterUpTests(S3ServerFixture s3) : IClassFixture<S3ServerFixture>, IAsyncLifetime
{
    private static readonly string[] WorkerIds = ["worker-0", "worker-1", "worker-2"];
    private UpSite _site = null!;

    public async Task InitializeAsync() => _site = await UpSite.CreateAsync(s3, 11, "wk");

    public Task DisposeAsync()
    {
        _site.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Load_TwoReplicasThroughTheControlSocket_EachFileOnItsFirstTwoRingWorkers()
    {
        await _site.StartUpAsync("--workers", "3", "--client-cache", "0");

        var load = _site.Cli.Ok("load", _site.Name, "--replicas", "2");

        Assert.Contains($"Loaded {_site.Dataset.Files.Count} files ({Fluid.Engine.Control.Units.Bytes(2 * _site.Dataset.TotalBytes)}", load.Stdout, StringComparison.Ordinal);
        var ring = new HashRing(WorkerIds);
        var placement = new PlacementOptions();
        var expected = WorkerIds.ToDictionary(id => id, _ => 0L);
        var successors = new int[2];
        foreach (var (path, content) in _site.Dataset.Files)
        {
            Assert.Equal(2, ring.Successors(placement.KeyOf("s3", path, content.Length, 0), successors));
            expected[WorkerIds[successors[0]]] += content.Length;
            expected[WorkerIds[successors[1]]] += content.Length;
        }

        var status = _site.Status();
        Assert.Equal(2 * _site.Dataset.TotalBytes, status.GetProperty("cached").GetInt64());
        foreach (var worker in status.GetProperty("workers").EnumerateArray())
        {
            Assert.Equal(expected[worker.GetProperty("id").GetString()!], worker.GetProperty("cached").GetInt64());
        }
    }

    [Fact]
    public async Task ThreeWorkers_LoadSpreadsByTheRing_ReadsSurviveAKilledWorker_ItComesBack()
    {
        var up = await _site.StartUpAsync("--workers", "3", "--client-cache", "0");
        foreach (var id in WorkerIds)
        {
            Assert.Contains($"  {id}: data 127.0.0.1:", up.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("3 workers of MEM 64.00MiB, SSD 256.00MiB each", up.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(S3ServerFixture.SecretKey, up.Stdout + up.Stderr, StringComparison.Ordinal);

        // Every worker answers; the dataset's capacity is the sum of theirs.
        var status = _site.Status();
        var workers = status.GetProperty("workers").EnumerateArray().ToList();
        Assert.Equal(WorkerIds, workers.Select(w => w.GetProperty("id").GetString()));
        Assert.All(workers, w => Assert.Equal("Ready", w.GetProperty("state").GetString()));
        Assert.Equal(3 * ((64L + 256) << 20), status.GetProperty("cacheCapacity").GetInt64());

        // The load puts each file on the worker the ring names, and nowhere else.
        var load = _site.Cli.Ok("load", _site.Name);
        Assert.Contains($"Loaded {_site.Dataset.Files.Count} files", load.Stdout, StringComparison.Ordinal);
        var ring = new HashRing(WorkerIds);
        var placement = new PlacementOptions();
        var expected = WorkerIds.ToDictionary(id => id, _ => 0L);
        foreach (var (path, content) in _site.Dataset.Files)
        {
            expected[ring.Workers[ring.OwnerOf(placement.KeyOf("s3", path, content.Length, 0))]] += content.Length;
        }

        var loaded = _site.Status();
        Assert.Equal(_site.Dataset.TotalBytes, loaded.GetProperty("cached").GetInt64());
        Assert.Equal(100.0, loaded.GetProperty("cachedPercentage").GetDouble());
        foreach (var worker in loaded.GetProperty("workers").EnumerateArray())
        {
            Assert.Equal(expected[worker.GetProperty("id").GetString()!], worker.GetProperty("cached").GetInt64());
        }

        var table = _site.Cli.Ok("status").Stdout;
        Assert.Contains("  worker-1 ", table, StringComparison.Ordinal);
        Assert.Equal(5, table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // header, dataset, 3 workers

        // A second `up` of the running dataset is refused before it touches the workers' token.
        var tokenFile = Path.Combine(_site.Cli.RunDirectory, _site.Name + ".workers", "token");
        var token = await File.ReadAllTextAsync(tokenFile);
        Assert.Equal("-rw-------", Ok($"stat -c %A {Q(tokenFile)}").Stdout.Trim());
        var again = _site.Cli.Run("up", "-f", _site.Manifest, "--mount", Path.Combine(_site.Root, "other"), "--workers", "2");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already up", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(token, await File.ReadAllTextAsync(tokenFile));

        // Four readers compare every file, round after round, while worker-1 is killed: no error, no wrong byte.
        // Without a cache of its own in the mount (--client-cache 0), every page the kernel lacks goes to a worker.
        var files = string.Join(' ', _site.Dataset.Files.Keys.Select(p => Q(p)));
        using var stop = new CancellationTokenSource();
        var rounds = 0;
        var readers = Enumerable.Range(0, 4).Select(i => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (i == 0)
                {
                    EvictMountedPages();
                    Interlocked.Increment(ref rounds);
                }

                var result = Run($"cd {Q(_site.Dataset.LocalCopy)} && for f in {files}; do cmp \"$f\" {Q(Path.Combine(_site.MountPoint, "train"))}/\"$f\" || exit 1; done", TimeSpan.FromSeconds(120));
                if (result.ExitCode != 0)
                {
                    return result;
                }
            }

            return new ShellResult(0, string.Empty, string.Empty, TimeSpan.Zero);
        })).ToList();
        while (Volatile.Read(ref rounds) < 2)
        {
            await Task.Delay(50);
        }

        Ok($"pkill -9 -f -- '--id worker-1 .*--exit-with {up.Process.Id}( |$)'");
        var killedAt = Volatile.Read(ref rounds);
        while (Volatile.Read(ref rounds) < killedAt + 3)
        {
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        foreach (var result in await Task.WhenAll(readers))
        {
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        var cluster = _site.Status().GetProperty("cluster");
        Assert.True(cluster.GetProperty("failovers").GetInt64() > 0, "the kill did not happen during reads: " + cluster);

        // The group starts it again at the same place; the client takes it back into the ring.
        await up.WaitForAsync("worker-1 exited with code 137", TimeSpan.FromSeconds(20), inStderr: true);
        var back = await _site.WaitForStatusAsync(s => s.GetProperty("workers")[1].GetProperty("state").GetString() == "Ready", TimeSpan.FromSeconds(30));
        Assert.Equal(expected["worker-1"], back.GetProperty("workers")[1].GetProperty("cached").GetInt64()); // its disk tier survived
        var big = Path.Combine(_site.MountPoint, "train/big/large-1.bin");
        Ok($"cmp {Q(Path.Combine(_site.Dataset.LocalCopy, "big/large-1.bin"))} {Q(big)}");

        var down = _site.Cli.Ok("down", _site.Name);
        Assert.Contains($"Dataset {_site.Name} is down", down.Stdout, StringComparison.Ordinal);
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(30)), "fluid up did not exit after fluid down");
        Assert.Equal(0, up.Process.ExitCode);
        Assert.Equal(1, Run($"pgrep -f -- '--exit-with {up.Process.Id}( |$)'").ExitCode); // no worker left behind
        Assert.False(File.Exists(Path.Combine(_site.Cli.RunDirectory, _site.Name + ".workers", "token")));
    }

    [Fact]
    public async Task WorkersOnDisk_TheMountPassesTheirFilesToTheKernel()
    {
        // Only a disk tier: after the load every file sits whole in a co-located worker's SSD directory.
        var diskOnly = Regex.Replace(await File.ReadAllTextAsync(_site.Manifest), @"\n\s*- mediumtype: MEM\n\s*path: /dev/shm\n\s*quota: 64Mi", string.Empty);
        Assert.DoesNotContain("MEM", diskOnly, StringComparison.Ordinal);
        await File.WriteAllTextAsync(_site.Manifest, diskOnly);
        var up = await _site.StartUpAsync("--workers", "2", "--passthrough", "Auto", "--client-cache", "0");
        Assert.Contains("passthrough on", up.Stdout, StringComparison.Ordinal);
        _site.Cli.Ok("load", _site.Name);

        foreach (var file in new[] { "big/large-1.bin", "big/large-2.bin" })
        {
            Ok($"cmp {Q(Path.Combine(_site.Dataset.LocalCopy, file))} {Q(Path.Combine(_site.MountPoint, "train", file))}");
        }

        var status = _site.Status();
        var fuse = status.GetProperty("fuse");
        var cluster = status.GetProperty("cluster");
        Assert.True(fuse.GetProperty("passthroughOpens").GetInt64() >= 2, fuse.ToString());
        Assert.True(cluster.GetProperty("leases").GetInt64() >= 2, cluster.ToString());
        Assert.Equal(0, cluster.GetProperty("sourceFallbacks").GetInt64());
        _site.Cli.Ok("down", _site.Name);
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, up.Process.ExitCode);
    }

    [Fact]
    public async Task UpKilled_WorkersStopByThemselves()
    {
        var up = await _site.StartUpAsync("--workers", "2");
        Assert.Equal(0, Run($"pgrep -f -- '--exit-with {up.Process.Id}( |$)'").ExitCode);
        up.Process.Kill();
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(10)));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (Run($"pgrep -f -- '--exit-with {up.Process.Id}( |$)'").ExitCode == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(1, Run($"pgrep -f -- '--exit-with {up.Process.Id}( |$)'").ExitCode);
        Run($"umount -l {Q(_site.MountPoint)}");
    }

    [Fact]
    public async Task AWorkerThatCannotStart_FailsTheUpWithItsLogAndLeavesNothingBehind()
    {
        // The tier's directory lies under a regular file: the manifest is fine, the workers cannot create it.
        var blocker = Path.Combine(_site.Root, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        await File.WriteAllTextAsync(_site.Manifest, _site.Dataset.Manifest(_site.Name, s3.Endpoint, "/train", Path.Combine(blocker, "cache")));
        var result = _site.Cli.Run("up", "-f", _site.Manifest, "--mount", _site.MountPoint, "--workers", "2");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("exited while starting with code 1", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"cannot create the cache directory {blocker}/cache", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(S3ServerFixture.SecretKey, result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_site.Cli.RunDirectory, _site.Name + ".workers", "token")));
        Assert.False(File.Exists(Path.Combine(_site.Cli.RunDirectory, _site.Name + ".sock")));
        await Task.Delay(200);
        Assert.Equal(1, Run($"pgrep -f -- {Q("--config " + _site.Manifest)}").ExitCode);
    }

    [Theory]
    [InlineData("--workers -1", "--workers: -1 must be between 0 and 64")]
    [InlineData("--workers 2 --client-cache lots", "--client-cache: \"lots\" is not a size")]
    public void BadFlags_AreRefusedBeforeAnythingStarts(string flags, string message)
    {
        var result = _site.Cli.Run(["up", "-f", _site.Manifest, "--mount", _site.MountPoint, .. flags.Split(' ')]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_site.Cli.RunDirectory, _site.Name + ".workers")));
    }

    [Fact]
    public void WorkersFromStandardInput_AreRefused()
    {
        var result = Run($"cat {Q(_site.Manifest)} | FLUID_RUN_DIR={Q(_site.Cli.RunDirectory)} dotnet {Q(FluidCli.Dll)} up -f - --workers 2 --mount {Q(_site.MountPoint)}");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("give files, not '-'", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Drops the kernel's cached pages of the mounted files only (fadvise DONTNEED through dd), so the next
    /// reads reach the mount again; a global drop_caches would disturb other tests running beside this one.
    /// </summary>
    private void EvictMountedPages() =>
        Ok($"find {Q(_site.MountPoint)} -type f -exec dd if={{}} iflag=nocache count=0 status=none \\;");
}
