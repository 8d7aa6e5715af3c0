using System.Globalization;
using Fluid.Fuse.Backend;
using Fluid.Fuse.Protocol;
using Fluid.Fuse.Tests.Support;
using static Fluid.Testing.Shell;

namespace Fluid.Fuse.Tests;

/// <summary>FUSE passthrough for locally available files, statfs figures, and request accounting.</summary>
public sealed class PassthroughAndStatFsTests
{
    /// <summary>Passthrough exists from Linux 6.9 and needs CAP_SYS_ADMIN; these machines (6.x, root) have both.</summary>
    private static bool KernelSupportsPassthrough
    {
        get
        {
            var release = Environment.OSVersion.Version;
            return Native.LibC.GetEUid() == 0 && (release.Major > 6 || (release.Major == 6 && release.Minor >= 9));
        }
    }

    [Fact]
    public async Task LocalFileBackedOpen_UsesPassthrough_AndReadsTheRightBytes()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, TestMount.DefaultOptions with { Passthrough = PassthroughMode.Auto, PassthroughMinSize = 0 });
        // Detected at run time: active exactly when the kernel offers it (6.9+ with CONFIG_FUSE_PASSTHROUGH) and we may register backing files.
        Assert.Equal(mount.Mount.KernelOffersPassthrough && Native.LibC.GetEUid() == 0, mount.Mount.PassthroughActive || mount.Metrics.PassthroughFallbacks > 0);
        if (KernelSupportsPassthrough)
        {
            Assert.True(mount.Mount.KernelOffersPassthrough, "a 6.9+ kernel should offer FUSE passthrough");
        }

        if (!mount.Mount.PassthroughActive)
        {
            return; // unsupported here: the mount still works through the page cache (covered elsewhere)
        }

        const string Big = "val/sample-07.bin";
        Ok($"cmp {Q(tree.SourcePath(Big))} {Q(mount.Path(Big))}");
        Ok($"dd if={Q(mount.Path(Big))} of=/dev/null bs=1M skip=1 status=none");
        Assert.True(mount.Metrics.PassthroughOpens >= 2, mount.Metrics.ToString());
        Assert.Equal(0, mount.Metrics.PassthroughFallbacks);
        // The bytes never went through user space: the kernel read the backing file itself.
        Assert.Equal(0, mount.Metrics.ReadRequests);
        Assert.Equal(0, mount.Metrics.BytesRead);

        // Concurrent opens of one file share one backing file; mmap works through passthrough too.
        var script = Path.Combine(tree.Root, "mapped.py");
        await File.WriteAllTextAsync(script, """
            import hashlib, mmap, sys
            a = open(sys.argv[1], "rb"); b = open(sys.argv[1], "rb")
            m = mmap.mmap(a.fileno(), 0, access=mmap.ACCESS_READ)
            print(hashlib.sha256(m[:]).hexdigest() == hashlib.sha256(b.read()).hexdigest())
            """);
        Assert.Equal("True\n", Ok($"python3 {Q(script)} {Q(mount.Path(Big))}").Stdout);
        Assert.Equal(0, mount.Metrics.ReadRequests);
    }

    [Fact]
    public async Task FilesBelowTheMinimumSize_AreServedThroughThePageCache()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, TestMount.DefaultOptions with { PassthroughMinSize = 1024 * 1024 });
        if (!mount.Mount.PassthroughActive)
        {
            return;
        }

        Ok($"cat {Q(mount.Path("hello.txt"))} {Q(mount.Path("train/class-a/sample-03.bin"))} > /dev/null");
        Ok($"cat {Q(mount.Path("val/sample-07.bin"))} > /dev/null");
        Assert.Equal(1, mount.Metrics.PassthroughOpens);
        Assert.Equal(2, mount.Metrics.CachedOpens);
        Assert.Equal(4096 + 13, mount.Metrics.BytesRead);
    }

    [Fact]
    public async Task PassthroughOff_ReadsThroughTheFileSystem()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, TestMount.DefaultOptions with { Passthrough = PassthroughMode.Off });
        Assert.False(mount.Mount.PassthroughActive);
        Assert.True(mount.Mount.ZeroMessageOpens);
        Ok($"cmp {Q(tree.SourcePath("val/sample-07.bin"))} {Q(mount.Path("val/sample-07.bin"))}");
        Assert.Equal(new FileInfo(tree.SourcePath("val/sample-07.bin")).Length, mount.Metrics.BytesRead);
        Assert.Equal(0, mount.Metrics.PassthroughOpens);

        // Zero-message opens: one OPEN (answered ENOSYS) and one FLUSH (ENOSYS) for the whole mount, never a RELEASE.
        for (var i = 0; i < 5; i++)
        {
            Ok($"cat {Q(mount.Path("hello.txt"))} > /dev/null");
        }

        Assert.Equal(1, mount.Metrics.Requests(FuseOpcode.Open));
        Assert.Equal(1, mount.Metrics.Requests(FuseOpcode.Flush));
        Assert.Equal(0, mount.Metrics.Requests(FuseOpcode.Release));
    }

    [Fact]
    public async Task Statfs_ReportsTheBackendsCapacity()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree);
        mount.Faults.Capacity = new FsCapacity(CapacityBytes: 10L << 30, UsedBytes: 3L << 30, Files: 1234);
        var fields = Ok($"stat -f -c '%b %f %a %S %c %l' {Q(mount.MountPoint)}").Stdout.Trim().Split(' ');
        Assert.Equal(
            new[] { ((10L << 30) / 4096).ToString(CultureInfo.InvariantCulture), ((7L << 30) / 4096).ToString(CultureInfo.InvariantCulture), ((7L << 30) / 4096).ToString(CultureInfo.InvariantCulture), "4096", "1234", "255" },
            fields);
        var df = Ok($"df -B1 --output=size,used,avail {Q(mount.MountPoint)} | tail -1").Stdout.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([(10L << 30).ToString(CultureInfo.InvariantCulture), (3L << 30).ToString(CultureInfo.InvariantCulture), (7L << 30).ToString(CultureInfo.InvariantCulture)], df);
        Assert.Equal("fuse.fluid\n", Ok($"findmnt -n -o FSTYPE {Q(mount.MountPoint)}").Stdout);

        // Without an override, the directory backend reports the file system holding the source.
        mount.Faults.Capacity = null;
        var blocks = long.Parse(Ok($"stat -f -c '%b' {Q(mount.MountPoint)}").Stdout, CultureInfo.InvariantCulture);
        var source = Ok($"stat -f -c '%b %S' {Q(tree.Source)}").Stdout.Trim().Split(' ').Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(source[0] * source[1] / 4096, blocks);
    }

    [Fact]
    public async Task Metrics_CountRequestsByOpcode()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree);
        Ok($"ls -la {Q(mount.MountPoint)} > /dev/null && stat {Q(mount.Path("val"))} > /dev/null");
        var byOpcode = mount.Metrics.RequestsByOpcode();
        Assert.Equal(1, byOpcode[FuseOpcode.Init]);
        Assert.True(byOpcode[FuseOpcode.OpenDir] >= 1);
        Assert.True(byOpcode.GetValueOrDefault(FuseOpcode.ReadDirPlus) + byOpcode.GetValueOrDefault(FuseOpcode.ReadDir) >= 1);
        Assert.Contains("Init=1", mount.Metrics.ToString(), StringComparison.Ordinal);
    }
}
