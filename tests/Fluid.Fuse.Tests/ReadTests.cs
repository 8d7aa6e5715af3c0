using System.Globalization;
using Fluid.Fuse.Protocol;
using Fluid.Fuse.Tests.Support;
using static Fluid.Testing.Shell;

namespace Fluid.Fuse.Tests;

/// <summary>Reads through real mounts with the programs users run, in each way the file system can serve opens.</summary>
public sealed class ReadTests
{
    public static TheoryData<string> Modes => ["passthrough", "zero-message", "open-messages"];

    internal static FuseOptions OptionsFor(string mode) => mode switch
    {
        "passthrough" => TestMount.DefaultOptions with { Passthrough = PassthroughMode.Auto, PassthroughMinSize = 0 },
        "zero-message" => TestMount.DefaultOptions with { Passthrough = PassthroughMode.Off, ZeroMessageOpens = true },
        "open-messages" => TestMount.DefaultOptions with { Passthrough = PassthroughMode.Off, ZeroMessageOpens = false },
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task UserTools_SeeAndReadTheSourceTree(string mode)
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, OptionsFor(mode));

        // find: same files and directories as the source.
        var expected = Ok($"cd {Q(tree.Source)} && find . | sort").Stdout;
        var actual = Ok($"cd {Q(mount.MountPoint)} && find . | sort").Stdout;
        Assert.Equal(expected, actual);
        Assert.Equal(Ok($"cd {Q(tree.Source)} && find . -type f | sort").Stdout, Ok($"cd {Q(mount.MountPoint)} && find . -type f | sort").Stdout);

        // ls -la: names, read-only modes, sizes.
        var listing = Ok($"ls -la {Q(mount.Path("train/class-a"))}").Stdout;
        Assert.Contains("dr-xr-xr-x", listing, StringComparison.Ordinal);
        Assert.Contains("-r--r--r--", listing, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(tree.SourcePath("train/class-a")))
        {
            Assert.Contains(Path.GetFileName(file), listing, StringComparison.Ordinal);
        }

        // stat: size, type and mtime (seconds) of every file agree with the source.
        foreach (var file in tree.Files)
        {
            var source = Ok($"stat -c '%s %F %Y' {Q(tree.SourcePath(file))}").Stdout;
            var mounted = Ok($"stat -c '%s %F %Y %a' {Q(mount.Path(file))}").Stdout;
            Assert.Equal(source.Trim() + " 444", mounted.Trim());
        }

        // cat and cmp every file against the source.
        foreach (var file in tree.Files)
        {
            Ok($"cmp {Q(tree.SourcePath(file))} {Q(mount.Path(file))}");
        }

        Assert.Equal("hello, fluid\n", Ok($"cat {Q(mount.Path("hello.txt"))}").Stdout);
        Assert.Equal(Ok($"cat {Q(tree.SourcePath("ünïcødé-名前.bin"))} | sha256sum").Stdout, Ok($"cat {Q(mount.Path("ünïcødé-名前.bin"))} | sha256sum").Stdout);

        // dd at offsets, including across 4 KiB pages and the 1 MiB request boundary and past the end.
        var big = "val/sample-07.bin";
        foreach (var (bs, skip, count) in new[] { (1, 0, 1), (4096, 1, 3), (1000, 1047, 5), (65536, 15, 2), (1, 3 * 1024 * 1024 + 6, 10), (4096, 100000, 1) })
        {
            var a = Ok($"dd if={Q(tree.SourcePath(big))} bs={bs} skip={skip} count={count} status=none | sha256sum").Stdout;
            var b = Ok($"dd if={Q(mount.Path(big))} bs={bs} skip={skip} count={count} status=none | sha256sum").Stdout;
            Assert.Equal(a, b);
        }

        // A second pass is served without new READ requests: the kernel page cache or passthrough does the work.
        var reads = await QuiescedReadsAsync(mount.Metrics); // asynchronous readahead of the first pass has finished
        foreach (var file in tree.Files)
        {
            Ok($"cmp {Q(tree.SourcePath(file))} {Q(mount.Path(file))}");
        }

        Assert.Equal(reads, mount.Metrics.ReadRequests);
        if (mode == "passthrough" && mount.Mount.PassthroughActive)
        {
            Assert.Equal(0, mount.Metrics.ReadRequests);
        }
        else
        {
            Assert.True(mount.Metrics.ReadRequests > 0);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task RandomReads_MatchTheSourceByteForByte(string mode)
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, OptionsFor(mode));
        var random = new Random(42);
        var files = tree.Files.Where(f => new FileInfo(tree.SourcePath(f)).Length > 0).ToList();
        for (var i = 0; i < 300; i++)
        {
            var file = files[random.Next(files.Count)];
            var length = new FileInfo(tree.SourcePath(file)).Length;
            var offset = random.NextInt64(length);
            var size = random.Next(1, 300_000);
            var expected = new byte[size];
            var actual = new byte[size];
            using var source = File.OpenHandle(tree.SourcePath(file));
            using var mounted = File.OpenHandle(mount.Path(file));
            var n1 = ReadFully(source, expected, offset);
            var n2 = ReadFully(mounted, actual, offset);
            Assert.Equal(n1, n2);
            Assert.True(expected.AsSpan(0, n1).SequenceEqual(actual.AsSpan(0, n2)), $"{file} @ {offset} (+{size}) differs");
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task PythonLoader_WithSeveralProcesses_ReadsEveryFile(string mode)
    {
        using var tree = new TestTree();
        for (var i = 0; i < 200; i++)
        {
            tree.WriteFile($"shards/{i % 7}/item-{i:D4}.jpg", TestTree.RandomBytes(1000 + (i * 997 % 60000), 1000 + i));
        }

        await using var mount = await TestMount.StartAsync(tree, OptionsFor(mode));
        var expected = tree.Files.Select(f => $"{f} {TestTree.Sha256(File.ReadAllBytes(tree.SourcePath(f)))}").Order(StringComparer.Ordinal).ToList();

        // As a training loader does: walk the tree, then several worker processes read whole files.
        var script = Path.Combine(tree.Root, "loader.py");
        await File.WriteAllTextAsync(script, """
            import hashlib, os, sys
            from multiprocessing import Pool

            root = sys.argv[1]

            def digest(path):
                with open(path, "rb") as f:
                    return os.path.relpath(path, root) + " " + hashlib.sha256(f.read()).hexdigest()

            if __name__ == "__main__":
                paths = [os.path.join(d, n) for d, _, names in os.walk(root) for n in names]
                with Pool(4) as pool:
                    for epoch in range(2):
                        lines = sorted(pool.map(digest, paths, chunksize=8))
                print("\n".join(lines))
            """);
        var result = Ok($"python3 {Q(script)} {Q(mount.MountPoint)}", TimeSpan.FromSeconds(120));
        var actual = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task LargeDirectory_IsStreamedCompletely()
    {
        using var tree = new TestTree(populate: false);
        const int Count = 2500;
        for (var i = 0; i < Count; i++)
        {
            File.WriteAllText(tree.SourcePath($"f-{i:D5}-{new string('x', i % 40)}.txt"), i.ToString(CultureInfo.InvariantCulture));
        }

        await using var mount = await TestMount.StartAsync(tree);
        Assert.Equal(Count.ToString(CultureInfo.InvariantCulture), Ok($"ls -f {Q(mount.MountPoint)} | grep -c '^f-'").Stdout.Trim());
        var names = Directory.EnumerateFiles(mount.MountPoint).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var sourceNames = Directory.EnumerateFiles(tree.Source).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(sourceNames, names);

        Assert.True(mount.Metrics.Requests(FuseOpcode.ReadDirPlus) + mount.Metrics.Requests(FuseOpcode.ReadDir) >= 1);

        // A fresh process reads a few entries and seeks back (rewinddir) and forth (seekdir) mid-stream.
        var script = """
            import ctypes, ctypes.util, os, sys
            libc = ctypes.CDLL(ctypes.util.find_library("c"))
            class Dirent(ctypes.Structure):
                _fields_ = [("d_ino", ctypes.c_uint64), ("d_off", ctypes.c_int64), ("d_reclen", ctypes.c_ushort), ("d_type", ctypes.c_ubyte), ("d_name", ctypes.c_char * 256)]
            libc.opendir.restype = ctypes.c_void_p
            libc.readdir.restype = ctypes.POINTER(Dirent)
            libc.readdir.argtypes = [ctypes.c_void_p]
            libc.telldir.restype = ctypes.c_long
            libc.telldir.argtypes = [ctypes.c_void_p]
            libc.seekdir.argtypes = [ctypes.c_void_p, ctypes.c_long]
            libc.rewinddir.argtypes = [ctypes.c_void_p]
            d = libc.opendir(sys.argv[1].encode())
            def read(n):
                out = []
                for _ in range(n):
                    e = libc.readdir(d)
                    if not e: break
                    out.append(e.contents.d_name.decode())
                return out
            first = read(1500)
            pos = libc.telldir(d)
            after = read(3)
            libc.rewinddir(d)
            again = read(1500)
            libc.seekdir(d, pos)
            resumed = read(3)
            rest = read(100000)
            print(first == again, after == resumed, len(again) + len(resumed) + len(rest))
            """;
        var path = Path.Combine(tree.Root, "seek.py");
        await File.WriteAllTextAsync(path, script);
        var result = Ok($"python3 {Q(path)} {Q(mount.MountPoint)}");
        Assert.Equal($"True True {Count + 2}", result.Stdout.Trim());
    }

    private static int ReadFully(Microsoft.Win32.SafeHandles.SafeFileHandle handle, byte[] buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary>The READ count once it has stopped changing for half a second (at most 10 s): the kernel's readahead is done.</summary>
    private static async Task<long> QuiescedReadsAsync(FuseMetrics metrics)
    {
        var last = metrics.ReadRequests;
        var quiet = 0;
        for (var i = 0; i < 100 && quiet < 5; i++)
        {
            await Task.Delay(100);
            var now = metrics.ReadRequests;
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }

        return last;
    }
}
