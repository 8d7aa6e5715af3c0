using System.Diagnostics;
using Fluid.Storage.Mounts;
using Fluid.Storage.Tests.Support;
using Fluid.Testing;

namespace Fluid.Storage.Tests;

/// <summary>local:// and pvc:// specifics: the mount root can never be left, versions, special files.</summary>
public sealed class LocalUnderFileSystemTests : IDisposable
{
    private readonly string _base = TestPaths.CreateTempDirectory("local-ufs");
    private readonly string _root;
    private readonly string _outside;
    private readonly CapturingLoggerFactory _logs = new();
    private readonly UfsRegistry _registry;

    public LocalUnderFileSystemTests()
    {
        _root = Path.Combine(_base, "root");
        _outside = Path.Combine(_base, "outside");
        Directory.CreateDirectory(Path.Combine(_root, "inner"));
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_root, "inner", "ok.txt"), "inside");
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "outside secret");
        _registry = UfsRegistry.CreateDefault(new UfsRegistryOptions { PvcRoot = _base, LoggerFactory = _logs });
    }

    public void Dispose() => TestPaths.DeleteQuietly(_base);

    [Fact]
    public async Task SymlinkToFileOutsideRoot_IsAbsentEverywhere()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "escape.txt"), Path.Combine(_outside, "secret.txt"));
        await using var ufs = Create();

        Assert.Null(await ufs.StatAsync("escape.txt", CancellationToken.None));
        var names = await NamesAsync(ufs, string.Empty);
        Assert.DoesNotContain("escape.txt", names);
        Assert.Contains("inner", names);

        // Even with a forged entry (size and version of the outside file) the read is refused.
        var forged = await ForgeEntryAsync("escape.txt", Path.Combine(_outside, "secret.txt"));
        var error = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(forged, 0, new byte[64], CancellationToken.None));
        Assert.Equal(UfsErrorKind.NotFound, error.Kind);
        Assert.Contains(_logs.Messages, m => m.Contains("leaves the mount root", StringComparison.Ordinal) && m.Contains("escape.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SymlinkedDirectoryOutsideRoot_CannotBeTraversed()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "out"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_root, "inner", "up"), "../..");
        await using var ufs = Create();

        Assert.Null(await ufs.StatAsync("out", CancellationToken.None));
        Assert.Null(await ufs.StatAsync("out/secret.txt", CancellationToken.None));
        Assert.Null(await ufs.StatAsync("inner/up/outside/secret.txt", CancellationToken.None));
        var error = await Assert.ThrowsAsync<UfsException>(() => ConnectorContractTests.ListAllAsync(ufs, "out"));
        Assert.Equal(UfsErrorKind.NotFound, error.Kind);
        Assert.DoesNotContain("up", await NamesAsync(ufs, "inner"));
    }

    [Fact]
    public async Task SymlinkInsideRoot_IsFollowed()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "alias.txt"), Path.Combine("inner", "ok.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "inner-alias"), Path.Combine(_root, "inner"));
        await using var ufs = Create();

        var alias = await ufs.StatAsync("alias.txt", CancellationToken.None);
        Assert.NotNull(alias);
        Assert.Equal(6, alias.Length);
        var buffer = new byte[6];
        Assert.Equal(6, await ufs.ReadAsync(alias, 0, buffer, CancellationToken.None));
        Assert.Equal("inside"u8.ToArray(), buffer);
        Assert.Equal(["ok.txt"], await NamesAsync(ufs, "inner-alias"));
        var listed = (await ConnectorContractTests.ListAllAsync(ufs, string.Empty)).Single(e => e.Name == "inner-alias");
        Assert.True(listed.IsDirectory);
    }

    [Fact]
    public async Task DanglingAndLoopingSymlinks_AreAbsent()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "dangling"), Path.Combine(_root, "nothing-here"));
        File.CreateSymbolicLink(Path.Combine(_root, "loop-a"), Path.Combine(_root, "loop-b"));
        File.CreateSymbolicLink(Path.Combine(_root, "loop-b"), Path.Combine(_root, "loop-a"));
        await using var ufs = Create();

        Assert.Null(await ufs.StatAsync("dangling", CancellationToken.None));
        Assert.Null(await ufs.StatAsync("loop-a", CancellationToken.None));
        Assert.Equal(["inner"], await NamesAsync(ufs, string.Empty));
    }

    [Fact]
    public async Task RootItselfASymlink_StillConfinesPaths()
    {
        var linkedRoot = Path.Combine(_base, "linked-root");
        Directory.CreateSymbolicLink(linkedRoot, _root);
        await using var ufs = _registry.Create(new UfsMount("linked", "local://" + linkedRoot));
        Assert.NotNull(await ufs.StatAsync("inner/ok.txt", CancellationToken.None));
        File.CreateSymbolicLink(Path.Combine(_root, "escape"), _outside);
        Assert.Null(await ufs.StatAsync("escape/secret.txt", CancellationToken.None));
    }

    [Fact]
    public async Task Fifo_IsHiddenAndNeverOpened()
    {
        var fifo = Path.Combine(_root, "pipe");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        await using var ufs = Create();
        Assert.Null(await ufs.StatAsync("pipe", CancellationToken.None));
        Assert.DoesNotContain("pipe", await NamesAsync(ufs, string.Empty));
    }

    [Fact]
    public async Task Version_ChangesWithContentAndMtime_NotWithoutThem()
    {
        var path = Path.Combine(_root, "v.bin");
        await File.WriteAllBytesAsync(path, [1, 2, 3]);
        await using var ufs = Create();
        var first = await ufs.StatAsync("v.bin", CancellationToken.None);
        var again = await ufs.StatAsync("v.bin", CancellationToken.None);
        Assert.NotNull(first);
        Assert.Equal(first.Version, again!.Version);

        // Rewritten with the same size and the same second: the nanoseconds (or inode) still differ.
        var mtime = File.GetLastWriteTimeUtc(path);
        File.Delete(path);
        await File.WriteAllBytesAsync(path, [9, 9, 9]);
        File.SetLastWriteTimeUtc(path, mtime.AddTicks(10));
        var rewritten = await ufs.StatAsync("v.bin", CancellationToken.None);
        Assert.NotEqual(first.Version, rewritten!.Version);
    }

    [Fact]
    public async Task Pvc_ResolvesUnderThePvcRoot()
    {
        await using var ufs = _registry.Create(new UfsMount("claim", "pvc://root/inner"));
        Assert.Equal("pvc://root/inner", ufs.DisplayName);
        var entry = await ufs.StatAsync("ok.txt", CancellationToken.None);
        Assert.NotNull(entry);
        Assert.Equal(6, entry.Length);
        Assert.Null(await ufs.StatAsync("secret.txt", CancellationToken.None));
    }

    [Fact]
    public async Task MissingRoot_FailsWithAClearError()
    {
        await using var ufs = _registry.Create(new UfsMount("gone", "local://" + Path.Combine(_base, "does-not-exist")));
        var error = await Assert.ThrowsAsync<UfsException>(() => ufs.StatAsync("x", CancellationToken.None));
        Assert.Equal(UfsErrorKind.Unavailable, error.Kind);
        Assert.Contains("the mount root", error.Message, StringComparison.Ordinal);
        Assert.Contains("does-not-exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_FileRewrittenDuringLifetimeOfEntry_NeverMixesVersions()
    {
        var path = Path.Combine(_root, "grow.bin");
        await File.WriteAllBytesAsync(path, TestTree.Bytes(11, 4096));
        await using var ufs = Create();
        var entry = await ufs.StatAsync("grow.bin", CancellationToken.None);
        await using (var append = new FileStream(path, FileMode.Append))
        {
            append.Write(new byte[10]);
        }

        var error = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(entry!, 0, new byte[100], CancellationToken.None));
        Assert.Equal(UfsErrorKind.VersionMismatch, error.Kind);
        Assert.Contains("grow.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains("read", error.Message, StringComparison.Ordinal);
    }

    private IUnderFileSystem Create() => _registry.Create(new UfsMount("root", "local://" + _root));

    private static async Task<List<string>> NamesAsync(IUnderFileSystem ufs, string path) =>
        (await ConnectorContractTests.ListAllAsync(ufs, path)).Select(e => e.Name).Order(StringComparer.Ordinal).ToList();

    private async Task<UfsEntry> ForgeEntryAsync(string path, string realFile)
    {
        // Stat the real file through a mount of its own directory to learn its true version.
        await using var outside = _registry.Create(new UfsMount("outside", "local://" + Path.GetDirectoryName(realFile)));
        var real = await outside.StatAsync(Path.GetFileName(realFile), CancellationToken.None);
        return real! with { Path = path };
    }
}
