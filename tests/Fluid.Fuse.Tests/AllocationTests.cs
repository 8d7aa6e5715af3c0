using Fluid.Fuse.Tests.Support;
using static Fluid.Testing.Shell;

namespace Fluid.Fuse.Tests;

/// <summary>Runs alone: it measures what the whole test process allocates.</summary>
[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>The READ path does not allocate per request (pooled contexts, buffers and async state).</summary>
[Collection(nameof(AllocationTests))]
public sealed class AllocationTests
{
    [Fact]
    public async Task ReadRequests_AllocateNothingPerRequest()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, TestMount.DefaultOptions with { Passthrough = PassthroughMode.Off });
        var script = Path.Combine(tree.Root, "direct.py");
        // O_DIRECT bypasses the page cache, so every pread becomes one READ request.
        await File.WriteAllTextAsync(script, """
            import mmap, os, sys
            fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
            buf = mmap.mmap(-1, 65536)
            size = os.fstat(fd).st_size
            for i in range(int(sys.argv[2])):
                os.preadv(fd, [buf], (i * 65536) % (size - 65536) // 4096 * 4096)
            """);
        var file = Q(mount.Path("val/sample-07.bin"));
        Ok($"python3 {Q(script)} {file} 100"); // warm up: JIT, pools, shared handle

        var readsBefore = mount.Metrics.ReadRequests;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        Ok($"python3 {Q(script)} {file} 20000", TimeSpan.FromSeconds(120));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        var reads = mount.Metrics.ReadRequests - readsBefore;

        Assert.True(reads >= 20000, $"only {reads} READ requests");
        // Starting the python process costs a fixed few hundred KiB; a per-request allocation of even
        // one small object (a Task, a closure, a buffer) would add 20000 × 32+ bytes on top.
        Assert.True(allocated < 512 * 1024, $"{allocated} bytes allocated for {reads} READ requests ({(double)allocated / reads:F1} B/request)");
    }
}
