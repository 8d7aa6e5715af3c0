using Fluid.Api.Manifests;
using Fluid.Engine.Configuration;
using Fluid.Engine.Hosting;
using Fluid.Fuse;
using Fluid.Testing;
using Microsoft.Extensions.Logging;

namespace Fluid.Engine.Tests.Support;

/// <summary>
/// A dataset on a real S3 server, brought up in this process with a real FUSE mount and control socket
/// in unique temporary directories; everything is unmounted and removed on dispose.
/// </summary>
public sealed class EngineSite : IAsyncDisposable
{
    private EngineSite(string root, S3Dataset dataset, EngineHost host, ListLoggerFactory logs)
    {
        Root = root;
        Dataset = dataset;
        Host = host;
        Logs = logs;
    }

    public string Root { get; }

    public S3Dataset Dataset { get; }

    public EngineHost Host { get; }

    public ListLoggerFactory Logs { get; }

    public string MountPoint => Host.Mount!.MountPoint;

    public string RunDirectory => Path.Combine(Root, "run");

    /// <summary>Where the dataset's files appear (the mount's path is /train).</summary>
    public string Files => Path.Combine(MountPoint, "train");

    public string FilePath(string path) => Path.Combine(Files, path);

    /// <param name="s3">The server holding the data.</param>
    /// <param name="endpoint">Where the engine reaches it (the server, or a proxy in front of it).</param>
    public static async Task<EngineSite> StartAsync(S3ServerFixture s3, string? endpoint = null, string sourceTimeout = "5s", int retries = 1, string ttl = "60s", FuseOptions? fuse = null, int seed = 7)
    {
        var root = TestPaths.CreateTempDirectory("engine");
        var logs = new ListLoggerFactory();
        try
        {
            var dataset = await S3Dataset.CreateAsync(s3, seed, Path.Combine(root, "local"));
            var name = "t" + Guid.NewGuid().ToString("N")[..12];
            var manifest = dataset.Manifest(name, endpoint ?? s3.Endpoint, "/train", Path.Combine(root, "ssd"), sourceTimeout: sourceTimeout, retries: retries, ttl: ttl);
            var configuration = EngineConfigurationMapper.FromManifests(ManifestReader.Read(manifest, "test.yaml"));
            var host = await EngineHost.StartAsync(configuration, new EngineHostOptions
            {
                MountPoint = Path.Combine(root, "mnt"),
                RunDirectory = Path.Combine(root, "run"),
                LoggerFactory = logs,
                // Passthrough on (not the engine's default) so the tests cover it.
                Fuse = fuse ?? new FuseOptions { ReaderThreads = 3, Passthrough = PassthroughMode.Auto },
            }, CancellationToken.None);
            return new EngineSite(root, dataset, host, logs);
        }
        catch
        {
            TestPaths.DeleteQuietly(root);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        TestPaths.DeleteQuietly(Root);
    }
}

/// <summary>Keeps every log entry, for assertions on messages and event ids.</summary>
public sealed class ListLoggerFactory : ILoggerFactory
{
    private readonly List<(LogLevel Level, int Id, string Message)> _entries = [];
    private readonly List<string> _lines = [];

    /// <summary>Every entry with its time, for failure messages.</summary>
    public string Text
    {
        get
        {
            lock (_entries)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public IReadOnlyList<(LogLevel Level, int Id, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._entries)
            {
                var message = formatter(state, exception);
                owner._entries.Add((logLevel, eventId.Id, message));
                owner._lines.Add($"{DateTime.Now:HH:mm:ss.fff} {logLevel} {eventId.Id} {message}");
            }
        }
    }
}
