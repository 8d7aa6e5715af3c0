using System.Diagnostics;
using Fluid.Fuse.Mounting;
using Fluid.Fuse.Tests.Support;
using static Fluid.Testing.Shell;

namespace Fluid.Fuse.Tests;

/// <summary>Mounting, unmounting, stale mounts after kill -9, fusermount3, invalidation.</summary>
public sealed class LifecycleTests
{
    private static string FluidDll
    {
        get
        {
            // artifacts/bin/Fluid.Fuse.Tests/<config>/ → artifacts/bin/Fluid.Cli/<config>/fluid.dll
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var path = Path.Combine(testDir.Parent!.Parent!.FullName, "Fluid.Cli", testDir.Name, "fluid.dll");
            Assert.True(File.Exists(path), $"{path} is missing (the test project builds Fluid.Cli)");
            return path;
        }
    }

    [Fact]
    public async Task KillDashNine_LeavesAStaleMount_WhichTheNextMountClears()
    {
        using var tree = new TestTree();
        using (var daemon = StartDaemon(tree))
        {
            Assert.Equal("hello, fluid\n", Ok($"cat {Q(tree.MountPath("hello.txt"))}").Stdout);
            daemon.Kill(); // SIGKILL: no chance to unmount
            daemon.WaitForExit();
        }

        var stale = Run($"stat {Q(tree.MountPoint)}", TimeSpan.FromSeconds(10));
        Assert.Contains("Transport endpoint is not connected", stale.Stderr, StringComparison.Ordinal);
        Assert.Contains(MountTable.At(tree.MountPoint), m => m.FileSystemType == FuseMounter.FileSystemType);

        // A new mount at the same place detects the dead one, clears it with a message, and serves again.
        await using var mount = await TestMount.StartAsync(tree);
        Assert.Contains(mount.Logger.Entries, e => e.Id.Id == 4002 && e.Message.Contains("ENOTCONN", StringComparison.Ordinal));
        Assert.Equal("hello, fluid\n", Ok($"cat {Q(mount.Path("hello.txt"))}").Stdout);
        Assert.Single(MountTable.At(tree.MountPoint));
    }

    [Fact]
    public async Task Sigterm_UnmountsCleanly()
    {
        using var tree = new TestTree();
        using var daemon = StartDaemon(tree, "--stats");
        Ok($"cmp {Q(tree.SourcePath("val/sample-02.bin"))} {Q(tree.MountPath("val/sample-02.bin"))}");
        Ok($"kill -TERM {daemon.Id}");
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(20)), "the daemon did not exit after SIGTERM");
        Assert.Equal(0, daemon.ExitCode);
        var output = await daemon.StandardOutput.ReadToEndAsync();
        Assert.Contains("Unmounted", output, StringComparison.Ordinal);
        Assert.Contains("requests[", output, StringComparison.Ordinal);
        Assert.Empty(MountTable.At(tree.MountPoint));
        Assert.Empty(Directory.GetFileSystemEntries(tree.MountPoint)); // the empty directory is back
    }

    [Fact]
    public async Task MountingOverALiveMount_IsRefused()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestMount.StartAsync(tree));
        Assert.Contains("already mounted by a running fluid process", error.Message, StringComparison.Ordinal);
        Assert.Equal("hello, fluid\n", Ok($"cat {Q(mount.Path("hello.txt"))}").Stdout);
    }

    [Fact]
    public async Task DisposingTheMount_Unmounts_AndCompletes()
    {
        using var tree = new TestTree();
        var mount = await TestMount.StartAsync(tree);
        Ok($"cat {Q(mount.Path("hello.txt"))}");
        Assert.Single(MountTable.At(tree.MountPoint));
        await mount.DisposeAsync();
        Assert.True(mount.Mount.Completion.IsCompleted);
        Assert.Empty(MountTable.At(tree.MountPoint));
        Assert.False(File.Exists(tree.MountPath("hello.txt")));
    }

    [Fact]
    public async Task Fusermount_MountsThroughTheSetuidHelper()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, TestMount.DefaultOptions with { MountMethod = MountMethod.Fusermount });
        var entry = Assert.Single(MountTable.At(tree.MountPoint));
        Assert.Equal("fuse.fluid", entry.FileSystemType);
        Ok($"cmp {Q(tree.SourcePath("val/sample-07.bin"))} {Q(mount.Path("val/sample-07.bin"))}");
    }

    [Fact]
    public async Task Invalidate_MakesTheKernelSeeNewContent()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, TestMount.DefaultOptions with { MetadataTtl = TimeSpan.FromHours(1), Passthrough = PassthroughMode.Off });
        Assert.Equal("hello, fluid\n", Ok($"cat {Q(mount.Path("hello.txt"))}").Stdout);
        var mtime = File.GetLastWriteTimeUtc(tree.SourcePath("hello.txt"));
        await File.WriteAllTextAsync(tree.SourcePath("hello.txt"), "HELLO, FLUID\n");
        File.SetLastWriteTimeUtc(tree.SourcePath("hello.txt"), mtime); // same size and mtime: only an explicit invalidation can tell

        Assert.Equal("hello, fluid\n", Ok($"cat {Q(mount.Path("hello.txt"))}").Stdout); // still the cached page
        mount.Mount.Invalidate("hello.txt");
        Assert.Equal("HELLO, FLUID\n", Ok($"cat {Q(mount.Path("hello.txt"))}").Stdout);

        Assert.NotEqual(0, Run($"cat {Q(mount.Path("added.txt"))}").ExitCode);
        await File.WriteAllTextAsync(tree.SourcePath("added.txt"), "new");
        Assert.NotEqual(0, Run($"cat {Q(mount.Path("added.txt"))}").ExitCode); // the absence is cached (negative entry)
        mount.Mount.Invalidate("added.txt");
        mount.Mount.Invalidate(string.Empty);
        Assert.Equal("new", Ok($"cat {Q(mount.Path("added.txt"))}").Stdout);
    }

    private static Process StartDaemon(TestTree tree, params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { FluidDll, "mount-dir", tree.Source, tree.MountPoint, "--timeout", "10" }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null || !line.Result.StartsWith("Mounted", StringComparison.Ordinal))
        {
            process.Kill();
            Assert.Fail($"the daemon did not report a mount: {line.Result} {process.StandardError.ReadToEnd()}");
        }

        return process;
    }
}
