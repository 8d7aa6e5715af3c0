using Fluid.Storage.Mounts;
using Fluid.Storage.Walking;
using Fluid.Testing;

namespace Fluid.Storage.Tests;

public sealed class UfsWalkerTests : IAsyncLifetime
{
    private readonly string _root = TestPaths.CreateTempDirectory("walker");
    private readonly TestTree _tree = TestTree.Generate(seed: 7, directories: 30, filesPerDirectory: 40, minSize: 0, maxSize: 64);

    public Task InitializeAsync() => _tree.WriteToAsync(_root);

    public Task DisposeAsync()
    {
        TestPaths.DeleteQuietly(_root);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task WalkAsync_Tree_YieldsEveryEntryOnce()
    {
        await using var ufs = UfsRegistry.CreateDefault().Create(new UfsMount("w", "local://" + _root));
        var files = new List<string>();
        var directories = new List<string>();
        await foreach (var entry in UfsWalker.WalkAsync(ufs, string.Empty, CancellationToken.None))
        {
            (entry.IsDirectory ? directories : files).Add(entry.Path);
        }

        Assert.Equal(_tree.Files.Select(f => f.Path).Order(StringComparer.Ordinal), files.Order(StringComparer.Ordinal));
        Assert.Equal(_tree.Directories.Order(StringComparer.Ordinal), directories.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SummarizeAsync_Cancelled_StopsWithOperationCanceled()
    {
        await using var ufs = UfsRegistry.CreateDefault().Create(new UfsMount("w", "local://" + _root));
        using var cancel = new CancellationTokenSource();
        var reports = 0;
        var progress = new SynchronousProgress<UfsTreeSummary>(_ =>
        {
            reports++;
            cancel.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => UfsWalker.SummarizeAsync(ufs, string.Empty, progress, cancel.Token));
        Assert.Equal(1, reports);
    }

    [Fact]
    public async Task SummarizeAsync_FileOrMissingStart_IsHandled()
    {
        await using var ufs = UfsRegistry.CreateDefault().Create(new UfsMount("w", "local://" + _root));
        var file = _tree.Files.First(f => f.Length > 0);
        var single = await UfsWalker.SummarizeAsync(ufs, file.Path, null, CancellationToken.None);
        Assert.Equal(new UfsTreeSummary(file.Length, 1, 0), single);
        var error = await Assert.ThrowsAsync<UfsException>(() => UfsWalker.SummarizeAsync(ufs, "missing", null, CancellationToken.None));
        Assert.Equal(UfsErrorKind.NotFound, error.Kind);
    }
}
