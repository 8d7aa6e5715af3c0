using System.Globalization;
using System.Text.Json;
using Fluid.Engine.Tests.Support;
using Fluid.Testing;
using static Fluid.Testing.Shell;

namespace Fluid.Engine.Tests;

/// <summary>The standalone commands end to end: real `fluid up` processes, real mounts, the CLI talking to the control socket.</summary>
public sealed class CliTests(S3ServerFixture s3) : IClassFixture<S3ServerFixture>, IAsyncLifetime
{
    private UpSite _site = null!;

    public async Task InitializeAsync() => _site = await UpSite.CreateAsync(s3, 5, "cli");

    public Task DisposeAsync()
    {
        _site.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task StatusLsLoadDown_ThroughTheControlSocket()
    {
        var up = await _site.StartUpAsync("--passthrough", "Auto");
        Assert.Contains($"Dataset {_site.Name} is up: mounted at {_site.MountPoint}", up.Stdout, StringComparison.Ordinal);
        Assert.Contains("/train  <-  s3://" + _site.Dataset.Bucket, up.Stdout, StringComparison.Ordinal);

        // -o json carries Fluid's figures as numbers and in Fluid's string forms.
        var status = await _site.WaitForStatusAsync(s => s.GetProperty("totals").GetString() == "done", TimeSpan.FromSeconds(10));
        Assert.Equal(_site.Name, status.GetProperty("name").GetString());
        Assert.Equal("Bound", status.GetProperty("phase").GetString());
        Assert.Equal(_site.MountPoint, status.GetProperty("mountPoint").GetString());
        Assert.Equal(_site.Dataset.TotalBytes, status.GetProperty("ufsTotal").GetInt64());
        Assert.Equal(_site.Dataset.Files.Count, status.GetProperty("fileNum").GetInt64());
        Assert.Equal((64L + 256) << 20, status.GetProperty("cacheCapacity").GetInt64());
        Assert.Equal("320.00MiB", status.GetProperty("status").GetProperty("cacheStates").GetProperty("cacheCapacity").GetString());
        Assert.Equal(_site.Dataset.Files.Count.ToString(CultureInfo.InvariantCulture), status.GetProperty("status").GetProperty("fileNum").GetString());
        Assert.Equal("/train", status.GetProperty("mounts")[0].GetProperty("path").GetString());
        Assert.DoesNotContain(S3ServerFixture.SecretKey, status.GetRawText(), StringComparison.Ordinal);
        Assert.True(status.GetProperty("fuse").GetProperty("passthroughActive").GetBoolean());

        var table = _site.Cli.Ok("status").Stdout;
        Assert.Contains("NAME", table, StringComparison.Ordinal);
        Assert.Contains("UFS TOTAL SIZE   CACHED", table, StringComparison.Ordinal);
        Assert.Contains("CACHED PERCENTAGE", table, StringComparison.Ordinal);
        Assert.Contains("HIT RATIO", table, StringComparison.Ordinal);
        Assert.Contains(_site.Name, table, StringComparison.Ordinal);
        Assert.Contains("Bound", table, StringComparison.Ordinal);

        var listing = _site.Cli.Ok("ls", _site.Name, "/train/big").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, listing.Length);
        Assert.Contains(listing, l => l.StartsWith("file", StringComparison.Ordinal) && l.Contains(((3 << 20) + 12345).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) && l.EndsWith("large-1.bin", StringComparison.Ordinal));
        Assert.Equal("dir", _site.Cli.Ok("ls", _site.Name).Stdout.Split(' ')[0]);
        var missing = _site.Cli.Run("ls", _site.Name, "/train/nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no such file or directory", missing.Stderr, StringComparison.Ordinal);

        // Piped: plain lines, then the summary.
        var load = _site.Cli.Ok("load", _site.Name);
        Assert.Contains($"Loaded {_site.Dataset.Files.Count} files", load.Stdout, StringComparison.Ordinal);
        var loaded = _site.Status();
        Assert.Equal(_site.Dataset.TotalBytes, loaded.GetProperty("cached").GetInt64());
        Assert.Equal(100.0, loaded.GetProperty("cachedPercentage").GetDouble());
        Assert.Equal("100.0%", loaded.GetProperty("status").GetProperty("cacheStates").GetProperty("cachedPercentage").GetString());
        Assert.True(loaded.GetProperty("counters").GetProperty("sourceBytes").GetInt64() >= _site.Dataset.TotalBytes);
        Assert.Contains("0.00B from the source", _site.Cli.Ok("load", _site.Name, "/train/big").Stdout, StringComparison.Ordinal);
        var badLoad = _site.Cli.Run("load", _site.Name, "/elsewhere");
        Assert.Equal(1, badLoad.ExitCode);
        Assert.Contains("/elsewhere", badLoad.Stderr, StringComparison.Ordinal);

        // Reads of loaded data are hits.
        Ok($"cmp {Q(Path.Combine(_site.Dataset.LocalCopy, "big/large-2.bin"))} {Q(Path.Combine(_site.MountPoint, "train/big/large-2.bin"))}");

        var down = _site.Cli.Ok("down", _site.Name);
        Assert.Contains($"Dataset {_site.Name} is down; unmounted {_site.MountPoint}", down.Stdout, StringComparison.Ordinal);
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(30)), "fluid up did not exit after fluid down");
        Assert.Equal(0, up.Process.ExitCode);
        Assert.Contains("(fluid down)", up.Stdout, StringComparison.Ordinal);
        AssertCleanedUp();
        var after = _site.Cli.Run("status", _site.Name);
        Assert.Equal(1, after.ExitCode);
        Assert.Contains("is not up", after.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KillDashNine_TheNextUpRecoversTheMountPointAndTheSocket()
    {
        var first = await _site.StartUpAsync();
        first.Process.Kill(); // SIGKILL: no unmount, no socket removal
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(10)));
        var socket = Path.Combine(_site.Cli.RunDirectory, _site.Name + ".sock");
        Assert.True(File.Exists(socket));
        Assert.Contains("Transport endpoint is not connected", Run($"stat {Q(_site.MountPoint)}").Stderr, StringComparison.Ordinal);
        var stale = _site.Cli.Run("status", _site.Name);
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("not running", stale.Stderr, StringComparison.Ordinal);

        var second = await _site.StartUpAsync();
        Assert.Contains("Removed the stale control socket", second.Stderr, StringComparison.Ordinal);
        Assert.Contains("Cleared a stale FUSE mount", second.Stderr, StringComparison.Ordinal);
        Ok($"cmp {Q(Path.Combine(_site.Dataset.LocalCopy, "big/large-1.bin"))} {Q(Path.Combine(_site.MountPoint, "train/big/large-1.bin"))}");
        var recovered = _site.Status();
        Assert.Equal("Bound", recovered.GetProperty("phase").GetString());
        Assert.False(recovered.GetProperty("fuse").GetProperty("passthroughActive").GetBoolean()); // the default
        Assert.True(recovered.GetProperty("fuse").GetProperty("zeroMessageOpens").GetBoolean());

        // A second `up` of the running dataset is refused and leaves it alone.
        var again = _site.Cli.Run("up", "-f", _site.Manifest, "--mount", Path.Combine(_site.Root, "other"));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already up", again.Stderr, StringComparison.Ordinal);

        // SIGTERM: a clean shutdown.
        Ok($"kill -TERM {second.Process.Id}");
        Assert.True(second.WaitForExit(TimeSpan.FromSeconds(30)), "fluid up did not exit after SIGTERM");
        Assert.Equal(0, second.Process.ExitCode);
        Assert.Contains($"Dataset {_site.Name} is down (", second.Stdout, StringComparison.Ordinal);
        AssertCleanedUp();
    }

    [Fact]
    public async Task CtrlC_CancelsTheLoadInTheEngine()
    {
        await using var proxy = new FaultProxy(s3.Port);
        await File.WriteAllTextAsync(_site.Manifest, _site.Dataset.Manifest(_site.Name, proxy.Endpoint, "/train", Path.Combine(_site.Root, "ssd"), sourceTimeout: "30s"));
        var up = await _site.StartUpAsync();
        await _site.WaitForStatusAsync(s => s.GetProperty("totals").GetString() == "done", TimeSpan.FromSeconds(10));
        proxy.SwitchTo(Fault.Hang); // the load waits on the source

        using var load = _site.Cli.Start("load", _site.Name);
        await Task.Delay(1500);
        Assert.False(load.Process.HasExited, $"the load ended early: {load.Stdout} {load.Stderr}");
        Ok($"kill -INT {load.Process.Id}");
        Assert.True(load.WaitForExit(TimeSpan.FromSeconds(10)), "fluid load did not stop on Ctrl-C");
        Assert.Equal(130, load.Process.ExitCode);
        Assert.Contains("cancelled", load.Stderr, StringComparison.Ordinal);
        await up.WaitForAsync("Load of / cancelled", TimeSpan.FromSeconds(10), inStderr: true);

        proxy.SwitchTo(Fault.Pass);
        Assert.Contains($"Loaded {_site.Dataset.Files.Count} files", _site.Cli.Ok("load", _site.Name).Stdout, StringComparison.Ordinal);
        _site.Cli.Ok("down", _site.Name);
        Assert.True(up.WaitForExit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Up_WithAnInvalidManifest_NamesTheFields()
    {
        var bad = Path.Combine(_site.Root, "bad.yaml");
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
        var result = _site.Cli.Run("up", "-f", bad, "--mount", Path.Combine(_site.Root, "bad-mnt"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("FluidCacheRuntime/bad: spec.tieredstore.levels[0].low", result.Stderr, StringComparison.Ordinal);

        await File.WriteAllTextAsync(bad, (await File.ReadAllTextAsync(bad)).Replace("high: \"0.5\"", "high: \"0.95\"", StringComparison.Ordinal).Replace("low: \"0.9\"", "low: \"0.5\"", StringComparison.Ordinal));
        result = _site.Cli.Run("up", "-f", bad, "--mount", Path.Combine(_site.Root, "bad-mnt"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Dataset/bad: spec.mounts[0].encryptOptions[0].valueFrom.secretKeyRef: secret \"missing-secret\" key \"secret-key\" was not found", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_site.Root, "bad-mnt")));
    }

    private void AssertCleanedUp()
    {
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), line => line.Contains(" " + _site.MountPoint + " ", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_site.Cli.RunDirectory, _site.Name + ".sock")), "the control socket was not removed");
        Assert.False(File.Exists(Path.Combine(_site.Cli.RunDirectory, _site.Name + ".json")), "the state file was not removed");
        Assert.Empty(Directory.GetFileSystemEntries(_site.MountPoint));
    }
}
