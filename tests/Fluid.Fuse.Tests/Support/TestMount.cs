using System.Collections.Concurrent;
using Fluid.Fuse.Backend;
using Microsoft.Extensions.Logging;

namespace Fluid.Fuse.Tests.Support;

/// <summary>A real mount of a test tree; always unmounted on dispose, even when the test failed.</summary>
public sealed class TestMount : IAsyncDisposable
{
    private readonly DirectoryBackend _directory;

    private TestMount(TestTree tree, DirectoryBackend directory, FaultBackend faults, FuseMount mount, ListLogger logger)
    {
        Tree = tree;
        _directory = directory;
        Faults = faults;
        Mount = mount;
        Logger = logger;
    }

    public TestTree Tree { get; }

    public FaultBackend Faults { get; }

    public FuseMount Mount { get; }

    public ListLogger Logger { get; }

    public FuseMetrics Metrics => Mount.Metrics;

    public string MountPoint => Mount.MountPoint;

    public string Path(string relative) => System.IO.Path.Combine(Mount.MountPoint, relative);

    /// <summary>Short timeouts by default so failure tests finish quickly.</summary>
    public static FuseOptions DefaultOptions => new() { RequestTimeout = TimeSpan.FromSeconds(10), ReaderThreads = 3 };

    public static async Task<TestMount> StartAsync(TestTree tree, FuseOptions? options = null)
    {
        var logger = new ListLogger();
        var directory = new DirectoryBackend(tree.Source);
        var faults = new FaultBackend(directory);
        try
        {
            var mount = await FuseMount.MountAsync(faults, tree.MountPoint, options ?? DefaultOptions, logger);
            return new TestMount(tree, directory, faults, mount, logger);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Faults.Heal();
        await Mount.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>Collects log lines so tests can assert on what the file system reported.</summary>
public sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, eventId, formatter(state, exception)));
}
