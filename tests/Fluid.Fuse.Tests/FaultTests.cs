using System.Diagnostics;
using Fluid.Fuse.Backend;
using Fluid.Fuse.Tests.Support;
using static Fluid.Testing.Shell;

namespace Fluid.Fuse.Tests;

/// <summary>A backend that hangs, fails or crawls never hangs the kernel, and the mount recovers.</summary>
public sealed class FaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1.5);

    private static FuseOptions Options => TestMount.DefaultOptions with { RequestTimeout = Timeout, Passthrough = PassthroughMode.Off };

    [Fact]
    public async Task HangingReads_AnswerEioWithinTheTimeout_OtherFilesStayReadable_AndTheMountRecovers()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, Options);
        const string Slow = "train/class-a/sample-06.bin";
        Ok($"cat {Q(mount.Path("hello.txt"))}"); // cached before the backend goes quiet

        mount.Faults.Affects = path => path == Slow;
        mount.Faults.Operations = new HashSet<string> { "read" };
        mount.Faults.Fault = Fault.Hang;

        var watch = Stopwatch.StartNew();
        var hung = Run($"cat {Q(mount.Path(Slow))} > /dev/null", TimeSpan.FromSeconds(30));
        watch.Stop();
        Assert.NotEqual(0, hung.ExitCode);
        Assert.Contains("Input/output error", hung.Stderr, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < Timeout * 4, $"took {watch.Elapsed}");
        Assert.True(mount.Metrics.Timeouts >= 1);

        // The mount is alive: other files, listings and metadata still work while the backend call hangs.
        Ok($"cmp {Q(tree.SourcePath("val/sample-02.bin"))} {Q(mount.Path("val/sample-02.bin"))}");
        Assert.Contains("train", Ok($"ls {Q(mount.MountPoint)}").Stdout, StringComparison.Ordinal);
        Assert.Equal("hello, fluid\n", Ok($"cat {Q(mount.Path("hello.txt"))}").Stdout);

        // The backend answers again: the same file reads correctly.
        mount.Faults.Heal();
        Ok($"cmp {Q(tree.SourcePath(Slow))} {Q(mount.Path(Slow))}");
    }

    [Fact]
    public async Task BackendThatStopsAnsweringEverything_GivesEio_ButCachedFilesStayReadable()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, Options);
        var cached = "train/class-b/sample-04.bin";
        Ok($"cmp {Q(tree.SourcePath(cached))} {Q(mount.Path(cached))}");

        mount.Faults.Fault = Fault.Hang; // every stat, list, open and read

        var watch = Stopwatch.StartNew();
        var uncached = Run($"stat {Q(mount.Path("val/sample-05.bin"))}", TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, uncached.ExitCode);
        Assert.Contains("Input/output error", uncached.Stderr, StringComparison.Ordinal);
        var read = Run($"cat {Q(mount.Path("val/sample-02.bin"))} > /dev/null", TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, read.ExitCode);
        Assert.True(watch.Elapsed < Timeout * 6, $"took {watch.Elapsed}");

        // What the kernel already holds (names, attributes, pages) is served without the backend.
        Ok($"cmp {Q(tree.SourcePath(cached))} {Q(mount.Path(cached))}");
        Assert.True(mount.Faults.HangingCalls >= 0);

        mount.Faults.Heal();
        Ok($"cmp {Q(tree.SourcePath("val/sample-02.bin"))} {Q(mount.Path("val/sample-02.bin"))}");
        Ok($"stat {Q(mount.Path("val/sample-05.bin"))}");
    }

    [Fact]
    public async Task StuckSynchronousBackend_IsReplacedByANewReader()
    {
        using var tree = new TestTree();
        var gate = new ManualResetEventSlim();
        var backend = new BlockingBackend(new DirectoryBackend(tree.Source), gate, "val/sample-05.bin");
        var options = Options with { ReaderThreads = 2 };
        var mount = await FuseMount.MountAsync(backend, tree.MountPoint, options);
        try
        {
            // Two readers blocked inside the backend (a synchronous call that never returns)...
            var first = Task.Run(() => Run($"stat {Q(Path.Combine(mount.MountPoint, "val/sample-05.bin"))}", TimeSpan.FromSeconds(30)));
            await WaitUntilAsync(() => backend.Blocked >= 1);
            var second = Task.Run(() => Run($"stat {Q(Path.Combine(mount.MountPoint, "val/sample-05.bin"))}", TimeSpan.FromSeconds(30)));

            // ...yet both callers get EIO within the timeout and other requests are still served by new readers.
            Assert.Contains("Input/output error", (await first).Stderr, StringComparison.Ordinal);
            Assert.Contains("Input/output error", (await second).Stderr, StringComparison.Ordinal);
            Ok($"cat {Q(Path.Combine(mount.MountPoint, "hello.txt"))}");
            Assert.True(mount.ReaderThreads > 2, $"readers: {mount.ReaderThreads}");
        }
        finally
        {
            gate.Set();
            await mount.DisposeAsync();
            backend.Inner.Dispose();
        }
    }

    [Fact]
    public async Task FailingBackend_GivesEio()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, Options);
        mount.Faults.Affects = path => path.StartsWith("val", StringComparison.Ordinal);
        mount.Faults.Operations = new HashSet<string> { "read" };
        mount.Faults.Fault = Fault.Fail;
        var read = Run($"cat {Q(mount.Path("val/sample-02.bin"))} > /dev/null");
        Assert.NotEqual(0, read.ExitCode);
        Assert.Contains("Input/output error", read.Stderr, StringComparison.Ordinal);

        mount.Faults.Operations = new HashSet<string> { "stat" };
        var stat = Run($"stat {Q(mount.Path("val/sample-05.bin"))}");
        Assert.Contains("Input/output error", stat.Stderr, StringComparison.Ordinal);

        mount.Faults.Operations = new HashSet<string> { "list" };
        mount.Faults.Affects = path => path == "train/class-b";
        var list = Run($"ls {Q(mount.Path("train/class-b"))}");
        Assert.NotEqual(0, list.ExitCode);
        Assert.Contains("Input/output error", list.Stderr, StringComparison.Ordinal);
        Assert.True(mount.Metrics.Errors >= 3);

        mount.Faults.Heal();
        Ok($"cmp {Q(tree.SourcePath("val/sample-02.bin"))} {Q(mount.Path("val/sample-02.bin"))}");
        Assert.Contains("sample-01.bin", Ok($"ls {Q(mount.Path("train/class-b"))}").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowBackend_WithinTheTimeout_Succeeds()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, Options with { RequestTimeout = TimeSpan.FromSeconds(10) });
        mount.Faults.Delay = TimeSpan.FromMilliseconds(150);
        mount.Faults.Fault = Fault.Slow;
        Ok($"cmp {Q(tree.SourcePath("val/sample-07.bin"))} {Q(mount.Path("val/sample-07.bin"))}", TimeSpan.FromSeconds(60));
        Assert.Equal(0, mount.Metrics.Timeouts);
    }

    [Fact]
    public async Task Interrupt_AnswersEintr_AndCancelsTheBackendCall()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree, Options with { RequestTimeout = TimeSpan.FromSeconds(20) });
        mount.Faults.Affects = path => path.StartsWith("hang", StringComparison.Ordinal);
        mount.Faults.Fault = Fault.Hang;
        var script = Path.Combine(tree.Root, "interrupt.py");
        await File.WriteAllTextAsync(script, """
            import os, signal, sys, time
            class Stop(Exception): pass
            def on_alarm(signum, frame): raise Stop()
            signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, 0.5)
            start = time.monotonic()
            try:
                os.stat(os.path.join(sys.argv[1], "hang-here"))
                print("returned")
            except Stop:
                print("interrupted %.1f" % (time.monotonic() - start))
            """);
        var result = Ok($"python3 {Q(script)} {Q(mount.MountPoint)}", TimeSpan.FromSeconds(60));
        Assert.StartsWith("interrupted", result.Stdout, StringComparison.Ordinal);
        var seconds = double.Parse(result.Stdout.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(seconds < 5, result.Stdout);
        Assert.True(mount.Metrics.Interrupts >= 1);
        await WaitUntilAsync(() => mount.Faults.HangingCalls == 0);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "condition not reached in 20 s");
            await Task.Delay(20);
        }
    }

    /// <summary>A backend whose stat blocks its thread (not a task) for one path until a gate opens.</summary>
    private sealed class BlockingBackend(DirectoryBackend inner, ManualResetEventSlim gate, string blockedPath) : IFuseBackend
    {
        private int _blocked;

        public DirectoryBackend Inner => inner;

        public int Blocked => Volatile.Read(ref _blocked);

        public ValueTask<FsResult<FsEntry>> StatAsync(string path, CancellationToken cancellationToken)
        {
            if (path == blockedPath)
            {
                Interlocked.Increment(ref _blocked);
                gate.Wait(TimeSpan.FromSeconds(60));
            }

            return inner.StatAsync(path, cancellationToken);
        }

        public IAsyncEnumerable<FsEntry> ListAsync(string path, CancellationToken cancellationToken) => inner.ListAsync(path, cancellationToken);

        public ValueTask<FsResult<IFuseFile>> OpenAsync(string path, CancellationToken cancellationToken) => inner.OpenAsync(path, cancellationToken);

        public ValueTask<FsResult<FsCapacity>> StatFsAsync(CancellationToken cancellationToken) => inner.StatFsAsync(cancellationToken);
    }
}
