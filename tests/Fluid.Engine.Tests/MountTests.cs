using System.Security.Cryptography;
using Fluid.Engine.Tests.Support;
using Fluid.Fuse.Backend;
using Fluid.Testing;
using static Fluid.Testing.Shell;

namespace Fluid.Engine.Tests;

/// <summary>One S3-backed dataset mounted through the cache, shared by the tests of <see cref="MountTests"/>.</summary>
public sealed class MountFixture : IAsyncLifetime
{
    public S3ServerFixture S3 { get; } = new();

    public EngineSite Site { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await S3.InitializeAsync();
        Site = await EngineSite.StartAsync(S3);
    }

    public async Task DisposeAsync()
    {
        if (Site is not null)
        {
            await Site.DisposeAsync();
        }

        await S3.DisposeAsync();
    }
}

/// <summary>An S3 dataset mounted through the cache engine, checked with the programs users run.</summary>
public sealed class MountTests(MountFixture fixture) : IClassFixture<MountFixture>
{
    private EngineSite Site => fixture.Site;

    [Fact]
    public void LsStatFind_ShowTheSourceTree()
    {
        var found = Ok($"cd {Q(Site.Files)} && find . -type f | sort").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Site.Dataset.Files.Keys.Select(k => "./" + k).Order(StringComparer.Ordinal), found);

        var listing = Ok($"ls -la {Q(Site.FilePath("big"))}").Stdout;
        Assert.Contains("large-1.bin", listing, StringComparison.Ordinal);
        Assert.Contains(((3 << 20) + 12345).ToString(System.Globalization.CultureInfo.InvariantCulture), listing, StringComparison.Ordinal);
        Assert.StartsWith("dr-x", Ok($"stat -c '%A' {Q(Site.Files)}").Stdout, StringComparison.Ordinal);

        // The mount's path (/train) is all the root shows: the cache's own name for the mount (s3) never appears.
        Assert.Equal("train\n", Ok($"ls {Q(Site.MountPoint)}").Stdout);

        foreach (var (path, content) in Site.Dataset.Files)
        {
            var stat = Ok($"stat -c '%s %F' {Q(Site.FilePath(path))}").Stdout.Trim();
            Assert.Equal($"{content.Length} regular {(content.Length == 0 ? "empty file" : "file")}", stat);
        }
    }

    [Fact]
    public void CatAndCmp_EveryFileEqualsTheSource()
    {
        foreach (var path in Site.Dataset.Files.Keys)
        {
            Ok($"cmp {Q(Path.Combine(Site.Dataset.LocalCopy, path))} {Q(Site.FilePath(path))}");
        }

        Assert.Equal("large files for passthrough\n", Ok($"cat {Q(Site.FilePath("big/readme.txt"))}").Stdout);
    }

    [Fact]
    public void Dd_AtOffsets_ReturnsThoseBytes()
    {
        var content = Site.Dataset.Files["big/large-1.bin"];
        foreach (var (skip, count) in new[] { (0, 1), (255, 3), (256, 300), (767, 10), (800, 100) })
        {
            var output = Path.Combine(Site.Root, $"dd-{skip}");
            Ok($"dd if={Q(Site.FilePath("big/large-1.bin"))} of={Q(output)} bs=4096 skip={skip} count={count} status=none");
            var expected = content.AsSpan().Slice(Math.Min(content.Length, skip * 4096)).ToArray();
            expected = expected[..Math.Min(expected.Length, count * 4096)];
            Assert.Equal(expected, File.ReadAllBytes(output));
        }
    }

    [Fact]
    public void RandomReads_MatchTheSourceByteForByte()
    {
        var random = new Random(11);
        var paths = Site.Dataset.Files.Where(f => f.Value.Length > 0).Select(f => f.Key).ToArray();
        for (var i = 0; i < 300; i++)
        {
            var path = paths[random.Next(paths.Length)];
            var content = Site.Dataset.Files[path];
            var offset = random.NextInt64(content.Length);
            var length = random.Next(1, 2 << 20);
            var buffer = new byte[length];
            using var handle = File.OpenHandle(Site.FilePath(path));
            var total = 0;
            int read;
            while (total < length && (read = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total)) > 0)
            {
                total += read;
            }

            var expected = content.AsSpan((int)offset, (int)Math.Min(length, content.Length - offset));
            Assert.True(expected.SequenceEqual(buffer.AsSpan(0, total)), $"{path} at {offset}+{length}");
        }
    }

    [Fact]
    public void PythonLoader_SeveralProcesses_ReadsEveryFile()
    {
        var script = Path.Combine(Site.Root, "loader.py");
        File.WriteAllText(script, """
            import hashlib, os, sys
            from multiprocessing import Pool

            def digest(path):
                with open(path, "rb") as f:
                    return path, hashlib.sha256(f.read()).hexdigest()

            root = sys.argv[1]
            paths = [os.path.join(d, n) for d, _, names in os.walk(root) for n in names]
            with Pool(4) as pool:
                for path, h in pool.map(digest, paths, chunksize=2):
                    print(os.path.relpath(path, root) + "\t" + h)
            """);
        var lines = Ok($"python3 {Q(script)} {Q(Site.Files)}", TimeSpan.FromSeconds(120)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var digests = lines.Select(l => l.Split('\t')).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        Assert.Equal(Site.Dataset.Files.Count, digests.Count);
        foreach (var (path, content) in Site.Dataset.Files)
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), digests[path]);
        }
    }

    [Fact]
    public void Writes_AreRefusedWithErofs()
    {
        var existing = Site.FilePath("big/readme.txt");
        foreach (var command in new[]
        {
            $"touch {Q(Site.FilePath("new.txt"))}",
            $"echo x > {Q(existing)}",
            $"echo x >> {Q(existing)}",
            $"rm -f {Q(existing)}",
            $"mv {Q(existing)} {Q(Site.FilePath("moved.txt"))}",
            $"mkdir {Q(Site.FilePath("newdir"))}",
            $"truncate -s 0 {Q(existing)}",
            $"ln -s {Q(existing)} {Q(Site.FilePath("link"))}",
        })
        {
            var result = Run(command);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("Read-only file system", result.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal("large files for passthrough\n", Ok($"cat {Q(existing)}").Stdout);
    }

    [Fact]
    public async Task DotDot_CannotLeaveTheMount()
    {
        // The kernel resolves ".." itself; inside the mount it stays inside the dataset.
        var direct = Ok($"cat {Q(Site.FilePath("big/readme.txt"))}").Stdout;
        Assert.Equal(direct, Ok($"cat {Q(Site.FilePath("big/../big/readme.txt"))}").Stdout);
        Assert.Equal("train\n", Ok($"ls {Q(Site.FilePath("big/../.."))}").Stdout);

        // The backend and the cache never resolve "..", ".", or empty segments.
        foreach (var path in new[] { "train/../train", "train/big/..", "train/./big", "train//big", ".." })
        {
            var stat = await Site.Host.Backend.StatAsync(path, CancellationToken.None);
            Assert.Equal(Errno.ENOENT, stat.Error);
            var open = await Site.Host.Backend.OpenAsync(path + "/readme.txt", CancellationToken.None);
            Assert.Equal(Errno.ENOENT, open.Error);
        }

        await Assert.ThrowsAsync<ArgumentException>(async () => await Site.Host.Cache.StatAsync("/s3/../etc", CancellationToken.None));
    }

    [Fact]
    public void Statfs_ReportsTheCacheCapacity()
    {
        var fields = Ok($"stat -f -c '%b %S %f' {Q(Site.MountPoint)}").Stdout.Trim().Split(' ');
        var capacity = long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal((64L + 256) << 20, capacity);
        var free = long.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture) * 4096;
        var expectedFree = capacity - Site.Host.Cache.GetSummary().Cached;
        Assert.InRange(free, expectedFree - (4 << 20), expectedFree + (4 << 20)); // rounded to blocks
    }

    [Fact]
    public async Task Passthrough_IsUsedForFilesCachedWholeOnTheSsdTier()
    {
        var mount = Site.Host.Mount!;
        Assert.True(mount.PassthroughActive, "the kernel here offers FUSE passthrough (Linux >= 6.9, root)");
        // One cache in this process: two replicas are asked for, one copy is loaded and the log says so.
        var summary = await Site.Host.LoadAsync(["/train/big"], replicas: 2, null, CancellationToken.None);
        Assert.Equal(3, summary.Files);
        Assert.Equal(Site.Dataset.Files.Where(f => f.Key.StartsWith("big/", StringComparison.Ordinal)).Sum(f => (long)f.Value.Length), summary.Bytes);
        Assert.Contains(Site.Logs.Entries, e => e.Id == 5016 && e.Message.Contains("one copy is loaded", StringComparison.Ordinal));
        Assert.Equal(0, summary.FailedFiles);

        var opensBefore = mount.Metrics.PassthroughOpens;
        var offeredBefore = Site.Host.Backend.BackingFilesOffered;
        var readsBefore = mount.Metrics.ReadRequests;
        Ok($"cmp {Q(Path.Combine(Site.Dataset.LocalCopy, "big/large-2.bin"))} {Q(Site.FilePath("big/large-2.bin"))}");
        Ok($"cmp {Q(Path.Combine(Site.Dataset.LocalCopy, "big/large-1.bin"))} {Q(Site.FilePath("big/large-1.bin"))}");

        Assert.True(mount.Metrics.PassthroughOpens >= opensBefore + 2, $"passthrough opens {opensBefore} -> {mount.Metrics.PassthroughOpens}");
        Assert.True(Site.Host.Backend.BackingFilesOffered >= offeredBefore + 2);
        Assert.Equal(readsBefore, mount.Metrics.ReadRequests); // the kernel read the local files itself

        // RELEASE arrives after close(2) returns; each one gives the lease back.
        for (var i = 0; i < 40 && mount.OpenFiles > 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(0, mount.OpenFiles);
    }
}
