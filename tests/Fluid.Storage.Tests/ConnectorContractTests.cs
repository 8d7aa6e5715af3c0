using Fluid.Storage.Tests.Support;
using Fluid.Storage.Walking;
using Fluid.Testing;

namespace Fluid.Storage.Tests;

/// <summary>The same contract checked against every connector over real servers.</summary>
[Collection(StorageServersCollection.Name)]
public sealed class ConnectorContractTests
{
    private readonly StorageServersFixture _servers;

    public ConnectorContractTests(StorageServersFixture servers)
    {
        _servers = servers;
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task ReadAsync_RandomRanges_ReturnSourceBytes(string connector)
    {
        await using var ufs = _servers.Create(connector);
        var random = new Random(connector.Length * 7919);
        foreach (var file in _servers.Tree.Files)
        {
            var expected = TestTree.ContentOf(file);
            var entry = await ufs.StatAsync(file.Path, CancellationToken.None);
            Assert.NotNull(entry);
            Assert.False(entry.IsDirectory);
            Assert.Equal(file.Length, entry.Length);

            for (var i = 0; i < 4; i++)
            {
                var offset = file.Length == 0 ? 0 : random.NextInt64(0, file.Length);
                var size = random.Next(1, 70_000);
                var buffer = new byte[size];
                var read = await ufs.ReadAsync(entry, offset, buffer, CancellationToken.None);
                var want = (int)Math.Min(size, file.Length - offset);
                Assert.Equal(want, read);
                Assert.True(expected.AsSpan((int)offset, want).SequenceEqual(buffer.AsSpan(0, read)), $"{connector}: bytes of {file.Path} at {offset}+{size} differ");
            }

            // The whole file in one read, and a read past the end.
            var whole = new byte[file.Length + 10];
            Assert.Equal(file.Length, await ufs.ReadAsync(entry, 0, whole, CancellationToken.None));
            Assert.True(expected.AsSpan().SequenceEqual(whole.AsSpan(0, (int)file.Length)));
            Assert.Equal(0, await ufs.ReadAsync(entry, file.Length, new byte[16], CancellationToken.None));
        }
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task ListAsync_EveryDirectory_ReturnsExactlyItsChildren(string connector)
    {
        await using var ufs = _servers.Create(connector);
        var tree = _servers.Tree;
        foreach (var directory in tree.Directories.Prepend(string.Empty))
        {
            var expectedFiles = tree.Files.Where(f => UfsPath.Parent(f.Path) == directory).ToDictionary(f => f.Path, f => f.Length);
            var expectedDirectories = tree.Directories.Where(d => UfsPath.Parent(d) == directory).Order(StringComparer.Ordinal).ToList();

            var files = new Dictionary<string, long>();
            var directories = new List<string>();
            await foreach (var entry in ufs.ListAsync(directory, CancellationToken.None))
            {
                Assert.Equal(directory, UfsPath.Parent(entry.Path));
                Assert.False(string.IsNullOrEmpty(entry.Version));
                if (entry.IsDirectory)
                {
                    directories.Add(entry.Path);
                }
                else
                {
                    files.Add(entry.Path, entry.Length);
                }
            }

            Assert.Equal(expectedFiles.OrderBy(p => p.Key, StringComparer.Ordinal), files.OrderBy(p => p.Key, StringComparer.Ordinal));
            Assert.Equal(expectedDirectories, directories.Order(StringComparer.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task ListAsync_EntryVersions_MatchStat(string connector)
    {
        await using var ufs = _servers.Create(connector);
        var directory = _servers.Tree.Directories[0];
        var count = 0;
        await foreach (var entry in ufs.ListAsync(directory, CancellationToken.None))
        {
            var stat = await ufs.StatAsync(entry.Path, CancellationToken.None);
            Assert.NotNull(stat);
            Assert.Equal(entry.IsDirectory, stat.IsDirectory);
            if (!entry.IsDirectory)
            {
                // A listed entry can be read directly: its version is the one reads check against.
                Assert.Equal(entry.Version, stat.Version);
                Assert.Equal(entry.Length, stat.Length);
                count++;
            }
        }

        Assert.True(count > 0);
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task StatAsync_DirectoriesRootAndMissing_AreReportedAsSuch(string connector)
    {
        await using var ufs = _servers.Create(connector);
        var root = await ufs.StatAsync(string.Empty, CancellationToken.None);
        Assert.NotNull(root);
        Assert.True(root.IsDirectory);
        Assert.Equal(string.Empty, root.Path);

        foreach (var directory in _servers.Tree.Directories)
        {
            var entry = await ufs.StatAsync(directory, CancellationToken.None);
            Assert.NotNull(entry);
            Assert.True(entry.IsDirectory, directory);
            Assert.Equal(directory, entry.Path);
        }

        Assert.Null(await ufs.StatAsync("no-such-file.bin", CancellationToken.None));
        Assert.Null(await ufs.StatAsync("no/such/dir", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task ListAsync_MissingOrFile_FailsWithKind(string connector)
    {
        await using var ufs = _servers.Create(connector);
        var missing = await Assert.ThrowsAsync<UfsException>(() => ListAllAsync(ufs, "no-such-dir"));
        Assert.Equal(UfsErrorKind.NotFound, missing.Kind);
        Assert.Contains("no-such-dir", missing.Message, StringComparison.Ordinal);
        Assert.Contains("list", missing.Message, StringComparison.Ordinal);

        var file = _servers.Tree.Files.First(f => f.Length > 0).Path;
        var notDirectory = await Assert.ThrowsAsync<UfsException>(() => ListAllAsync(ufs, file));
        Assert.Equal(UfsErrorKind.NotADirectory, notDirectory.Kind);
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task ReadAsync_FileRewrittenAfterStat_ThrowsVersionMismatch(string connector)
    {
        await using var ufs = _servers.Create(connector, "scratch");
        var name = $"rewrite-{connector}-{Guid.NewGuid():N}.bin";
        var first = TestTree.Bytes(1, 50_000);
        var second = TestTree.Bytes(2, 50_000);
        var baseTime = DateTime.UtcNow.AddMinutes(-10);
        await _servers.WriteScratchAsync(connector, name, first, baseTime);
        var before = await ufs.StatAsync(name, CancellationToken.None);
        Assert.NotNull(before);

        // Same size, new content, a later modification time: only the version can tell them apart.
        await _servers.WriteScratchAsync(connector, name, second, baseTime.AddSeconds(5));
        var error = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(before, 100, new byte[1000], CancellationToken.None));
        Assert.Equal(UfsErrorKind.VersionMismatch, error.Kind);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);

        var after = await ufs.StatAsync(name, CancellationToken.None);
        Assert.NotNull(after);
        Assert.NotEqual(before.Version, after.Version);
        var buffer = new byte[1000];
        Assert.Equal(1000, await ufs.ReadAsync(after, 100, buffer, CancellationToken.None));
        Assert.True(second.AsSpan(100, 1000).SequenceEqual(buffer));
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task ReadAsync_FileShrunkAfterStat_ThrowsVersionMismatch(string connector)
    {
        await using var ufs = _servers.Create(connector, "scratch");
        var name = $"shrink-{connector}-{Guid.NewGuid():N}.bin";
        var baseTime = DateTime.UtcNow.AddMinutes(-10);
        await _servers.WriteScratchAsync(connector, name, TestTree.Bytes(3, 40_000), baseTime);
        var before = await ufs.StatAsync(name, CancellationToken.None);
        Assert.NotNull(before);

        await _servers.WriteScratchAsync(connector, name, TestTree.Bytes(4, 10_000), baseTime.AddSeconds(5));
        var error = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(before, 20_000, new byte[1000], CancellationToken.None));
        Assert.Equal(UfsErrorKind.VersionMismatch, error.Kind);
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task ReadAsync_DeletedFile_ThrowsNotFound(string connector)
    {
        await using var ufs = _servers.Create(connector, "scratch");
        var name = $"deleted-{connector}-{Guid.NewGuid():N}.bin";
        await _servers.WriteScratchAsync(connector, name, TestTree.Bytes(5, 1000));
        var entry = await ufs.StatAsync(name, CancellationToken.None);
        Assert.NotNull(entry);
        if (connector == "s3")
        {
            await _servers.S3.Client.DeleteObjectAsync(_servers.Bucket, "scratch/" + name);
        }
        else
        {
            File.Delete(Path.Combine(_servers.Nginx.Root, "scratch", name));
        }

        var error = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(entry, 0, new byte[10], CancellationToken.None));
        Assert.Equal(UfsErrorKind.NotFound, error.Kind);
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task Calls_InvalidPaths_AreRefusedBeforeAnyRequest(string connector)
    {
        await using var ufs = _servers.Create(connector);
        foreach (var path in new[] { "..", "../etc/passwd", "a/../../b", "/etc/passwd", "a//b", "./a", "a/" })
        {
            var stat = await Assert.ThrowsAsync<UfsException>(() => ufs.StatAsync(path, CancellationToken.None));
            Assert.Equal(UfsErrorKind.InvalidPath, stat.Kind);
            var list = await Assert.ThrowsAsync<UfsException>(() => ListAllAsync(ufs, path));
            Assert.Equal(UfsErrorKind.InvalidPath, list.Kind);
            var fake = new UfsEntry(path, false, 10, DateTimeOffset.UnixEpoch, "v");
            var read = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(fake, 0, new byte[10], CancellationToken.None));
            Assert.Equal(UfsErrorKind.InvalidPath, read.Kind);
        }
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task ReadAsync_Directory_ThrowsIsADirectory(string connector)
    {
        await using var ufs = _servers.Create(connector);
        var directory = await ufs.StatAsync(_servers.Tree.Directories[0], CancellationToken.None);
        Assert.NotNull(directory);
        var error = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(directory, 0, new byte[10], CancellationToken.None));
        Assert.Equal(UfsErrorKind.IsADirectory, error.Kind);
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task SummarizeAsync_WholeTree_CountsEveryFileAndByte(string connector)
    {
        await using var ufs = _servers.Create(connector);
        var reports = new List<UfsTreeSummary>();
        var summary = await UfsWalker.SummarizeAsync(ufs, string.Empty, new SynchronousProgress<UfsTreeSummary>(reports.Add), CancellationToken.None);
        Assert.Equal(_servers.Tree.Files.Count, summary.FileCount);
        Assert.Equal(_servers.Tree.TotalBytes, summary.TotalBytes);
        Assert.Equal(_servers.Tree.Directories.Count, summary.DirectoryCount);
        Assert.Equal(summary, reports[^1]);

        var sub = _servers.Tree.Directories[0];
        var subSummary = await UfsWalker.SummarizeAsync(ufs, sub, null, CancellationToken.None);
        var expected = _servers.Tree.Files.Where(f => f.Path.StartsWith(sub + "/", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Count, subSummary.FileCount);
        Assert.Equal(expected.Sum(f => f.Length), subSummary.TotalBytes);
    }

    [Theory]
    [MemberData(nameof(StorageServersFixture.Connectors), MemberType = typeof(StorageServersFixture))]
    public async Task DisplayName_NamesTheSourceWithoutSecrets(string connector)
    {
        await using var ufs = _servers.Create(connector);
        Assert.False(string.IsNullOrWhiteSpace(ufs.DisplayName));
        Assert.DoesNotContain(S3ServerFixture.SecretKey, ufs.DisplayName, StringComparison.Ordinal);
        Assert.Contains("tree", ufs.DisplayName, StringComparison.Ordinal);
    }

    internal static async Task<List<UfsEntry>> ListAllAsync(IUnderFileSystem ufs, string path)
    {
        var entries = new List<UfsEntry>();
        await foreach (var entry in ufs.ListAsync(path, CancellationToken.None))
        {
            entries.Add(entry);
        }

        return entries;
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread (Progress&lt;T&gt; posts asynchronously).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
