using System.Globalization;
using System.Text.Json;
using Fluid.Engine.Tests.Support;
using Fluid.Testing;
using static Fluid.Testing.Shell;

namespace Fluid.Engine.Tests;

/// <summary>The standalone commands end to end: real `fluid up` processes, real mounts, the CLI talking to the control socket.</summary>
public sealed class CliTests(S3ServerFixture s3) : IClassFixture<S3ServerFixture>, IAsyncLifetime
{
    private readonly string _root = TestPaths.CreateTempDirectory("engine-cli");
    private readonly List<FluidCli.Daemon> _daemons = [];
    private S3Dataset _dataset = null!;
    private FluidCli _cli = null!;
    private string _name = null!;
    private string _manifest = null!;

    private string MountPoint => Path.Combine(_root, "mnt");

    public async Task InitializeAsync()
    {
        _dataset = await S3Dataset.CreateAsync(s3, 5, Path.Combine(_root, "local"));
        _cli = new FluidCli(Path.Combine(_root, "run"));
        _name = "cli" + Guid.NewGuid().ToString("N")[..10];
        _manifest = Path.Combine(_root, "dataset.yaml");
        await File.WriteAllTextAsync(_manifest, _dataset.Manifest(_name, s3.Endpoint, "/train", Path.Combine(_root, "ssd")));
    }

    public Task DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            daemon.Dispose();
        }

        // A test that failed half-way may leave a mount of a killed daemon behind.
        Run($"umount -l {Q(MountPoint)} 2>/dev/null");
        TestPaths.DeleteQuietly(_root);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task StatusLsLoadDown_ThroughTheControlSocket()
    {
        var up = await StartUpAsync("--passthrough", "Auto");
        Assert.Contains($"Dataset {_name} is up: mounted at {MountPoint}", up.Stdout, StringComparison.Ordinal);
        Assert.Contains("/train  <-  s3://" + _dataset.Bucket, up.Stdout, StringComparison.Ordinal);

        // -o json carries Fluid's figures as numbers and in Fluid's string forms.
        var status = await WaitForTotalsAsync();
        Assert.Equal(_name, status.GetProperty("name").GetString());
        Assert.Equal("Bound", status.GetProperty("phase").GetString());
        Assert.Equal(MountPoint, status.GetProperty("mountPoint").GetString());
        Assert.Equal(_dataset.TotalBytes, status.GetProperty("ufsTotal").GetInt64());
        Assert.Equal(_dataset.Files.Count, status.GetProperty("fileNum").GetInt64());
        Assert.Equal((64L + 256) << 20, status.GetProperty("cacheCapacity").GetInt64());
        Assert.Equal("320.00MiB", status.GetProperty("status").GetProperty("cacheStates").GetProperty("cacheCapacity").GetString());
        Assert.Equal(_dataset.Files.Count.ToString(CultureInfo.InvariantCulture), status.GetProperty("status").GetProperty("fileNum").GetString());
        Assert.Equal("/train", status.GetProperty("mounts")[0].GetProperty("path").GetString());
        Assert.DoesNotContain(S3ServerFixture.SecretKey, status.GetRawText(), StringComparison.Ordinal);
        Assert.True(status.GetProperty("fuse").GetProperty("passthroughActive").GetBoolean());

        var table = _cli.Ok("status").Stdout;
        Assert.Contains("NAME", table, StringComparison.Ordinal);
        Assert.Contains("UFS TOTAL SIZE   CACHED", table, StringComparison.Ordinal);
        Assert.Contains("CACHED PERCENTAGE", table, StringComparison.Ordinal);
        Assert.Contains("HIT RATIO", table, StringComparison.Ordinal);
        Assert.Contains(_name, table, StringComparison.Ordinal);
        Assert.Contains("Bound", table, StringComparison.Ordinal);

        var listing = _cli.Ok("ls", _name, "/train/big").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, listing.Length);
        Assert.Contains(listing, l => l.StartsWith("file", StringComparison.Ordinal) && l.Contains(((3 << 20) + 12345).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) && l.EndsWith("large-1.bin", StringComparison.Ordinal));
        Assert.Equal("dir", _cli.Ok("ls", _name).Stdout.Split(' ')[0]);
        var missing = _cli.Run("ls", _name, "/train/nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no such file or directory", missing.Stderr, StringComparison.Ordinal);

        // Piped: plain lines, then the summary.
        var load = _cli.Ok("load", _name);
        Assert.Contains($"Loaded {_dataset.Files.Count} files", load.Stdout, StringComparison.Ordinal);
        var loaded = Status();
        Assert.Equal(_dataset.TotalBytes, loaded.GetProperty("cached").GetInt64());
        Assert.Equal(100.0, loaded.GetProperty("cachedPercentage").GetDouble());
        Assert.Equal("100.0%", loaded.GetProperty("status").GetProperty("cacheStates").GetProperty("cachedPercentage").GetString());
        Assert.True(loaded.GetProperty("counters").GetProperty("sourceBytes").GetInt64() >= _dataset.TotalBytes);
        Assert.Contains("0.00B from the source", _cli.Ok("load", _name, "/train/big").Stdout, StringComparison.Ordinal);
        var badLoad = _cli.Run("load", _name, "/elsewhere");
        Assert.Equal(1, badLoad.ExitCode);
        Assert.Contains("/elsewhere", badLoad.Stderr, StringComparison.Ordinal);

        // Reads of loaded data are hits.
        Ok($"cmp {Q(Path.Combine(_dataset.LocalCopy, "big/large-2.bin"))} {Q(Path.Combine(MountPoint, "train/big/large-2.bin"))}");

        var down = _cli.Ok("down", _name);
        Assert.Contains($"Dataset {_name} is down; unmounted {MountPoint}", down.Stdout, StringComparison.Ordinal);
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(30)), "fluid up did not exit after fluid down");
        Assert.Equal(0, up.Process.ExitCode);
        Assert.Contains("(fluid down)", up.Stdout, StringComparison.Ordinal);
        AssertCleanedUp();
        var after = _cli.Run("status", _name);
        Assert.Equal(1, after.ExitCode);
        Assert.Contains("is not up", after.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KillDashNine_TheNextUpRecoversTheMountPointAndTheSocket()
    {
        var first = await StartUpAsync();
        first.Process.Kill(); // SIGKILL: no unmount, no socket removal
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(10)));
        var socket = Path.Combine(_cli.RunDirectory, _name + ".sock");
        Assert.True(File.Exists(socket));
        Assert.Contains("Transport endpoint is not connected", Run($"stat {Q(MountPoint)}").Stderr, StringComparison.Ordinal);
        var stale = _cli.Run("status", _name);
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("not running", stale.Stderr, StringComparison.Ordinal);

        var second = await StartUpAsync();
        Assert.Contains("Removed the stale control socket", second.Stderr, StringComparison.Ordinal);
        Assert.Contains("Cleared a stale FUSE mount", second.Stderr, StringComparison.Ordinal);
        Ok($"cmp {Q(Path.Combine(_dataset.LocalCopy, "big/large-1.bin"))} {Q(Path.Combine(MountPoint, "train/big/large-1.bin"))}");
        var recovered = Status();
        Assert.Equal("Bound", recovered.GetProperty("phase").GetString());
        Assert.False(recovered.GetProperty("fuse").GetProperty("passthroughActive").GetBoolean()); // the default
        Assert.True(recovered.GetProperty("fuse").GetProperty("zeroMessageOpens").GetBoolean());

        // A second `up` of the running dataset is refused and leaves it alone.
        var again = _cli.Run("up", "-f", _manifest, "--mount", Path.Combine(_root, "other"));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already up", again.Stderr, StringComparison.Ordinal);

        // SIGTERM: a clean shutdown.
        Ok($"kill -TERM {second.Process.Id}");
        Assert.True(second.WaitForExit(TimeSpan.FromSeconds(30)), "fluid up did not exit after SIGTERM");
        Assert.Equal(0, second.Process.ExitCode);
        Assert.Contains($"Dataset {_name} is down (", second.Stdout, StringComparison.Ordinal);
        AssertCleanedUp();
    }

    [Fact]
    public async Task CtrlC_CancelsTheLoadInTheEngine()
    {
        await using var proxy = new SwitchableProxy(s3.Port);
        await File.WriteAllTextAsync(_manifest, _dataset.Manifest(_name, proxy.Endpoint, "/train", Path.Combine(_root, "ssd"), sourceTimeout: "30s"));
        var up = await StartUpAsync();
        await WaitForTotalsAsync();
        proxy.Mode = ProxyMode.Hang; // the load waits on the source

        using var load = _cli.Start("load", _name);
        await Task.Delay(1500);
        Assert.False(load.Process.HasExited, $"the load ended early: {load.Stdout} {load.Stderr}");
        Ok($"kill -INT {load.Process.Id}");
        Assert.True(load.WaitForExit(TimeSpan.FromSeconds(10)), "fluid load did not stop on Ctrl-C");
        Assert.Equal(130, load.Process.ExitCode);
        Assert.Contains("cancelled", load.Stderr, StringComparison.Ordinal);
        await up.WaitForAsync("Load of / cancelled", TimeSpan.FromSeconds(10), inStderr: true);

        proxy.Mode = ProxyMode.Pass;
        Assert.Contains($"Loaded {_dataset.Files.Count} files", _cli.Ok("load", _name).Stdout, StringComparison.Ordinal);
        _cli.Ok("down", _name);
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Up_WithAnInvalidManifest_NamesTheFields()
    {
        var bad = Path.Combine(_root, "bad.yaml");
        await File.WriteAllTextAsync(bad, """
            apiVersion: data.fluid.io/v1alpha1
            kind: Dataset
            metadata:
              name: bad
            spec:
              mounts:
                - mountPoint: s3://some-bucket
                  name: data
                  encryptOptions:
                    - name: secret-key
                      valueFrom:
                        secretKeyRef:
                          name: missing-secret
                          key: secret-key
            ---
            apiVersion: data.fluid.io/v1alpha1
            kind: FluidCacheRuntime
            metadata:
              name: bad
            spec:
              tieredstore:
                levels:
                  - mediumtype: MEM
                    path: /dev/shm
                    quota: 1Gi
                    high: "0.5"
                    low: "0.9"
            """);
        var result = _cli.Run("up", "-f", bad, "--mount", Path.Combine(_root, "bad-mnt"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("FluidCacheRuntime/bad: spec.tieredstore.levels[0].low", result.Stderr, StringComparison.Ordinal);

        await File.WriteAllTextAsync(bad, (await File.ReadAllTextAsync(bad)).Replace("high: \"0.5\"", "high: \"0.95\"", StringComparison.Ordinal).Replace("low: \"0.9\"", "low: \"0.5\"", StringComparison.Ordinal));
        result = _cli.Run("up", "-f", bad, "--mount", Path.Combine(_root, "bad-mnt"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Dataset/bad: spec.mounts[0].encryptOptions[0].valueFrom.secretKeyRef: secret \"missing-secret\" key \"secret-key\" was not found", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "bad-mnt")));
    }

    private async Task<FluidCli.Daemon> StartUpAsync(params string[] extra)
    {
        var daemon = _cli.Start(["up", "-f", _manifest, "--mount", MountPoint, "-v", .. extra]);
        _daemons.Add(daemon);
        await daemon.WaitForAsync("Ctrl-C or `fluid down", TimeSpan.FromSeconds(60));
        return daemon;
    }

    private JsonElement Status()
    {
        using var document = JsonDocument.Parse(_cli.Ok("status", _name, "-o", "json").Stdout);
        return document.RootElement.Clone();
    }

    private async Task<JsonElement> WaitForTotalsAsync()
    {
        for (var i = 0; i < 100; i++)
        {
            var status = Status();
            if (status.GetProperty("totals").GetString() == "done")
            {
                return status;
            }

            await Task.Delay(100);
        }

        Assert.Fail("ufsTotal was not computed within 10 s");
        return default;
    }

    private void AssertCleanedUp()
    {
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), line => line.Contains(" " + MountPoint + " ", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_cli.RunDirectory, _name + ".sock")), "the control socket was not removed");
        Assert.False(File.Exists(Path.Combine(_cli.RunDirectory, _name + ".json")), "the state file was not removed");
        Assert.Empty(Directory.GetFileSystemEntries(MountPoint));
    }
}
