using Fluid.Fuse.Backend;
using Fluid.Fuse.FileSystem;
using Fluid.Fuse.Mounting;

namespace Fluid.Fuse.Tests;

/// <summary>The pieces that need no mount: mount table parsing, path validation, options, the inode table.</summary>
public sealed class UnitTests
{
    [Fact]
    public void MountTable_Parse_DecodesEscapesAndFields()
    {
        var entry = MountTable.Parse(@"42 27 0:39 / /tmp/with\040space/mnt ro,nosuid,nodev,relatime shared:1 - fuse.fluid fluid ro,user_id=0,group_id=0");
        Assert.NotNull(entry);
        Assert.Equal("/tmp/with space/mnt", entry.MountPoint);
        Assert.Equal("0:39", entry.Device);
        Assert.Equal("fuse.fluid", entry.FileSystemType);
        Assert.Equal("fluid", entry.Source);
        Assert.Null(MountTable.Parse("garbage"));
        Assert.Equal("a\\b\tc", MountTable.Unescape(@"a\134b\011c"));
    }

    [Theory]
    [InlineData("", Errno.None)]
    [InlineData("a", Errno.None)]
    [InlineData("a/b c/d.txt", Errno.None)]
    [InlineData("..", Errno.ENOENT)]
    [InlineData("a/../b", Errno.ENOENT)]
    [InlineData("./a", Errno.ENOENT)]
    [InlineData("/etc", Errno.ENOENT)]
    [InlineData("a//b", Errno.ENOENT)]
    [InlineData("a/", Errno.ENOENT)]
    [InlineData("a\0b", Errno.EINVAL)]
    public void DirectoryBackend_ValidatePath_AcceptsOnlyCleanRelativePaths(string path, Errno expected) =>
        Assert.Equal(expected, DirectoryBackend.ValidatePath(path));

    [Fact]
    public void DirectoryBackend_ValidatePath_RejectsOverlongNames() =>
        Assert.Equal(Errno.ENAMETOOLONG, DirectoryBackend.ValidatePath("dir/" + new string('n', 256)));

    [Fact]
    public void FuseOptions_Validate_NamesEveryBadField()
    {
        var problems = new FuseOptions
        {
            RequestTimeout = TimeSpan.Zero,
            ReaderThreads = 0,
            MaxRead = 1000,
            PassthroughMinSize = -1,
            SourceName = "a,b",
        }.Validate();
        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("requestTimeout:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("readerThreads:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("maxRead:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("passthroughMinSize:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("sourceName:", StringComparison.Ordinal));
        Assert.Empty(new FuseOptions().Validate());
    }

    [Fact]
    public async Task MountAsync_WithBadOptions_ThrowsBeforeMounting()
    {
        using var backend = new DirectoryBackend(Path.GetTempPath());
        var error = await Assert.ThrowsAsync<ArgumentException>(() => FuseMount.MountAsync(backend, "/nonexistent-mount-point", new FuseOptions { ReaderThreads = 0 }));
        Assert.Contains("readerThreads", error.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => FuseMount.MountAsync(backend, "/nonexistent-mount-point-" + Guid.NewGuid()));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InodeTable_LookupsAndForgets_KeepNodesWhileReferenced()
    {
        var now = 0L;
        var table = new InodeTable(new FsEntry(string.Empty, FsEntryKind.Directory, 0, DateTimeOffset.UnixEpoch), now);
        var file = new FsEntry("a", FsEntryKind.File, 5, DateTimeOffset.UnixEpoch, "v1");
        var hash = InodeTable.ChildHash(table.Root, "a");
        var node = table.Remember("a", hash, file, now);
        var again = table.Remember("a", hash, file with { Version = "v2" }, now);
        Assert.Same(node, again);
        Assert.Equal(2, node.Lookups);
        Assert.Equal("v2", node.Attributes.Entry.Version);
        Assert.Null(table.Forget(node.Id, 1));
        Assert.Same(node, table.Forget(node.Id, 1));
        Assert.False(table.TryGet(node.Id, out _));

        // A new node for the same path gets a new id but the same inode number (the path hash).
        var fresh = table.Remember("a", hash, file, now);
        Assert.NotEqual(node.Id, fresh.Id);
        Assert.Equal(node.Ino, fresh.Ino);

        // A path that changed kind gets a new node: the kernel cannot change an inode's type.
        var directory = table.Remember("a", hash, file with { Kind = FsEntryKind.Directory }, now);
        Assert.NotSame(fresh, directory);
        Assert.True(directory.IsDirectory);
        Assert.Null(table.Forget(FuseConstantsRoot, 100));
        Assert.True(table.TryGet(FuseConstantsRoot, out _));
    }

    [Fact]
    public void InodeTable_ChildHash_EqualsTheHashOfTheJoinedPath()
    {
        var table = new InodeTable(new FsEntry(string.Empty, FsEntryKind.Directory, 0, DateTimeOffset.UnixEpoch), 0);
        var dir = table.Remember("d", InodeTable.ChildHash(table.Root, "d"), new FsEntry("d", FsEntryKind.Directory, 0, DateTimeOffset.UnixEpoch), 0);
        var viaParent = InodeTable.ChildHash(dir, "x");
        var sub = table.Remember("d/x", viaParent, new FsEntry("x", FsEntryKind.File, 0, DateTimeOffset.UnixEpoch), 0);
        var other = InodeTable.ChildHash(table.Root, "dx");
        Assert.NotEqual(viaParent, other);
        Assert.NotEqual(1UL, sub.Ino);
        Assert.NotEqual(0UL, sub.Ino);
    }

    private const ulong FuseConstantsRoot = 1;
}
