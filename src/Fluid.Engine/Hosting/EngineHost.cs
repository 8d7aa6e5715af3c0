using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Fluid.Cache;
using Fluid.Engine.Configuration;
using Fluid.Engine.Control;
using Fluid.Engine.FileSystem;
using Fluid.Engine.Namespace;
using Fluid.Fuse;
using Fluid.Storage;
using Fluid.Storage.Mounts;
using Microsoft.Extensions.Logging;

namespace Fluid.Engine.Hosting;

/// <summary>
/// Runs one dataset on this machine: opens its sources and cache, walks the sources for <c>ufsTotal</c>
/// and <c>fileNum</c> in the background, mounts it through FUSE, and serves the control socket that
/// <c>fluid status/load/ls/down</c> talk to. Stops on SIGINT/SIGTERM, on <c>fluid down</c>, or when the
/// mount is removed from outside; then unmounts, closes the cache and removes its socket.
/// </summary>
public sealed class EngineHost : IAsyncDisposable
{
    private readonly EngineHostOptions _options;
    private readonly ILogger _logger;
    private readonly List<IUnderFileSystem> _sources;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<string> _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ThroughputMeter _throughput = new();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private ControlServer? _control;
    private Task _totals = Task.CompletedTask;
    private Task _sampler = Task.CompletedTask;
    private volatile string _totalsState = "walking";
    private RunDirectory? _runDirectory;
    private int _disposed;

    private EngineHost(EngineConfiguration configuration, EngineHostOptions options, List<IUnderFileSystem> sources, DatasetCache cache, DatasetNamespace datasetNamespace, CacheFuseBackend backend)
    {
        Configuration = configuration;
        _options = options;
        _logger = options.LoggerFactory.CreateLogger<EngineHost>();
        _sources = sources;
        Cache = cache;
        Namespace = datasetNamespace;
        Backend = backend;
    }

    public EngineConfiguration Configuration { get; }

    public DatasetCache Cache { get; }

    public DatasetNamespace Namespace { get; }

    public CacheFuseBackend Backend { get; }

    /// <summary>The FUSE mount, or null when running without one.</summary>
    public FuseMount? Mount { get; private set; }

    /// <summary>The control socket, or null when running without one.</summary>
    public string? SocketPath { get; private set; }

    /// <summary>Completes with the reason once a stop was requested (signal, <c>fluid down</c>, mount removed).</summary>
    public Task<string> StopRequested => _stopRequested.Task;

    /// <summary>Completes when the background walk for the totals has ended.</summary>
    public Task Totals => _totals;

    /// <summary>Starts the dataset: sources, cache, FUSE mount, control socket, background walk.</summary>
    public static async Task<EngineHost> StartAsync(EngineConfiguration configuration, EngineHostOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var logger = options.LoggerFactory.CreateLogger<EngineHost>();
        RunDirectory? runDirectory = null;
        if (options.RunDirectory is not null)
        {
            runDirectory = new RunDirectory(options.RunDirectory);
            runDirectory.Create();
            ClearStaleState(runDirectory, configuration.Id, options.MountPoint, logger);
        }

        var registry = options.Registry ?? UfsRegistry.CreateDefault(new UfsRegistryOptions
        {
            LoggerFactory = options.LoggerFactory,
            DefaultPolicy = configuration.SourcePolicy,
        });
        var sources = new List<IUnderFileSystem>();
        DatasetCache? cache = null;
        EngineHost? host = null;
        try
        {
            var mounts = new List<DatasetMount>();
            foreach (var mount in configuration.Mounts)
            {
                var source = registry.Create(mount.Source);
                sources.Add(source);
                mounts.Add(new DatasetMount(mount.Name, source));
            }

            foreach (var tier in configuration.Cache.Tiers)
            {
                foreach (var directory in tier.Directories)
                {
                    CreateTierDirectory(directory.Path);
                }
            }

            cache = options.Cluster is { } cluster
                ? await cluster.OpenCacheAsync(configuration.Cache, mounts, options.LoggerFactory, null, cancellationToken)
                : await options.CacheFactory(configuration.Cache, mounts, options.LoggerFactory, cancellationToken);
            var datasetNamespace = new DatasetNamespace([.. configuration.Mounts.Select(m => (m.Path, m.Name))]);
            var backend = new CacheFuseBackend(cache, datasetNamespace, options.LoggerFactory.CreateLogger<CacheFuseBackend>())
            {
                BackingFileMinSize = options.Fuse.PassthroughMinSize,
            };
            host = new EngineHost(configuration, options, sources, cache, datasetNamespace, backend) { _runDirectory = runDirectory };
            cache.FileVersionChanged += host.OnVersionChanged;
            backend.StaleFile += host.OnVersionChanged;
            if (options.MountPoint is not null)
            {
                await host.MountAsync(options.MountPoint, cancellationToken);
            }

            if (runDirectory is not null)
            {
                host.SocketPath = runDirectory.SocketPath(configuration.Id);
                host._control = await ControlServer.StartAsync(host.SocketPath, host, options.LoggerFactory, cancellationToken);
                runDirectory.WriteState(new DaemonState(configuration.Id, configuration.Name, configuration.Namespace, Environment.ProcessId,
                    host.Mount?.MountPoint, host.SocketPath, host._startedAt));
            }

            host.StartBackgroundWork();
            return host;
        }
        catch
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
            else
            {
                if (cache is not null)
                {
                    await cache.DisposeAsync();
                }

                foreach (var source in sources)
                {
                    await source.DisposeAsync();
                }

                if (options.Cluster is not null)
                {
                    await options.Cluster.DisposeAsync();
                }
            }

            throw;
        }
    }

    /// <summary>Serves until a stop is requested, a signal arrives, the mount goes away or <paramref name="cancellationToken"/> is cancelled; then shuts down.</summary>
    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we exit on our own, after unmounting
            RequestStop(context.Signal == PosixSignal.SIGINT ? "interrupted" : "terminated");
        }

        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
        using (PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal))
        using (cancellationToken.Register(() => RequestStop("signal")))
        {
            var reason = await StopRequested;
            await DisposeAsync();
            return reason;
        }
    }

    /// <summary>Asks the host to stop (idempotent); <see cref="RunAsync"/> then shuts it down.</summary>
    public void RequestStop(string reason)
    {
        if (_stopRequested.TrySetResult(reason))
        {
            Log.ShuttingDown(_logger, Configuration.Id, reason);
        }
    }

    /// <summary>The dataset's state: Fluid's cache figures, counters, throughput and the mount's counters.</summary>
    public DatasetStatusReport GetStatus()
    {
        var summary = Cache.GetSummary();
        var counters = summary.Counters;
        var (read, source) = _throughput.Rates(counters.BytesServed, counters.SourceBytes);
        var mount = Mount;
        var phase = _stopRequested.Task.IsCompleted ? "NotBound" : "Bound";
        var cacheStates = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["cached"] = Units.Bytes(summary.Cached),
            ["cacheCapacity"] = Units.Bytes(summary.CacheCapacity),
            ["cachedPercentage"] = summary.CachedPercentage is { } percentage ? Units.Percent(percentage) : string.Empty,
            ["cacheHitRatio"] = Units.Percent(summary.CacheHitRatio * 100),
        };
        return new DatasetStatusReport
        {
            Id = Configuration.Id,
            Name = Configuration.Name,
            Namespace = Configuration.Namespace,
            Phase = phase,
            MountPoint = mount?.MountPoint,
            Pid = Environment.ProcessId,
            StartedAt = _startedAt,
            UfsTotal = summary.UfsTotal,
            FileNum = summary.FileNum,
            Totals = _totalsState,
            Cached = summary.Cached,
            CacheCapacity = summary.CacheCapacity,
            CachedPercentage = summary.CachedPercentage,
            CacheHitRatio = summary.CacheHitRatio,
            ReadThroughput = Math.Max(0, read),
            SourceThroughput = Math.Max(0, source),
            Mounts = [.. Configuration.Mounts.Select(m => new MountReport(m.Name, m.Path, m.Source.SafeMountPoint))],
            Tiers = [.. summary.Tiers.Select(t => new TierReport(t.Medium.ToString().ToUpperInvariant(), t.Name, t.Used, t.Quota, t.Pages, t.Evictions))],
            Counters = counters,
            Fuse = mount is null ? null : new FuseReport
            {
                PassthroughActive = mount.PassthroughActive,
                KernelOffersPassthrough = mount.KernelOffersPassthrough,
                ZeroMessageOpens = mount.ZeroMessageOpens,
                PassthroughOpens = mount.Metrics.PassthroughOpens,
                PassthroughFallbacks = mount.Metrics.PassthroughFallbacks,
                BackingFilesOffered = Backend.BackingFilesOffered,
                CachedOpens = mount.Metrics.CachedOpens,
                ReadRequests = mount.Metrics.ReadRequests,
                BytesRead = mount.Metrics.BytesRead,
                Errors = mount.Metrics.Errors,
                Timeouts = mount.Metrics.Timeouts,
                ReaderThreads = mount.ReaderThreads,
            },
            Status = new FluidDatasetStatus
            {
                Phase = phase,
                UfsTotal = summary.UfsTotal is { } total ? Units.Bytes(total) : string.Empty,
                FileNum = summary.FileNum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
                CacheStates = cacheStates,
            },
        };
    }

    /// <summary>
    /// The dataset's state with, when it runs on cache workers, one row per worker and the dataset's cache
    /// figures summed over the workers (as the operator writes them into the Dataset's status).
    /// </summary>
    public async Task<DatasetStatusReport> GetStatusAsync(CancellationToken cancellationToken)
    {
        var local = GetStatus();
        if (_options.Cluster is not { } cluster)
        {
            return local;
        }

        var statuses = await cluster.GetWorkerStatusesAsync(cancellationToken);
        return ClusterStatus.Combine(local, statuses, cluster.GetCounters());
    }

    /// <summary>
    /// Prefetches dataset paths ("/" or none: everything) into the cache. Paths name files or directories
    /// as they appear in the mount; a path that names nothing fails before anything is loaded.
    /// </summary>
    public Task<LoadSummary> LoadAsync(IReadOnlyList<string> datasetPaths, IProgress<LoadProgress>? progress, CancellationToken cancellationToken) =>
        LoadAsync(datasetPaths, replicas: 1, progress, cancellationToken);

    /// <summary>
    /// Like <see cref="LoadAsync(IReadOnlyList{string}, IProgress{LoadProgress}?, CancellationToken)"/>, with
    /// <paramref name="replicas"/> copies of each file on distinct cache workers; one cache in this process
    /// holds one copy, which is logged.
    /// </summary>
    public async Task<LoadSummary> LoadAsync(IReadOnlyList<string> datasetPaths, int replicas, IProgress<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(datasetPaths);
        if (replicas > 1 && _options.Cluster is null)
        {
            Log.OneCopyOnly(_logger, replicas);
            replicas = 1;
        }

        var cachePaths = new List<string>();
        foreach (var path in datasetPaths.Count == 0 ? ["/"] : datasetPaths)
        {
            var normalized = path.StartsWith('/') ? path : "/" + path;
            var resolved = Namespace.CachePathsUnder(normalized);
            if (resolved.Count == 0)
            {
                throw new UfsException(UfsErrorKind.NotFound, "dataset " + Configuration.Id, normalized, "load", "no such file or directory");
            }

            cachePaths.AddRange(resolved);
        }

        var shown = string.Join(", ", datasetPaths.Count == 0 ? ["/"] : datasetPaths);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        Log.LoadStarted(_logger, shown);
        try
        {
            var summary = _options.Cluster is { } cluster
                ? await cluster.LoadAsync(Cache, cachePaths, replicas, progress, linked.Token)
                : await Cache.LoadAsync(cachePaths, progress, linked.Token);
            Log.LoadFinished(_logger, shown, summary.Files, summary.Bytes, summary.BytesFetched, summary.FailedFiles, summary.Elapsed.TotalSeconds);
            return summary;
        }
        catch (OperationCanceledException)
        {
            Log.LoadCancelled(_logger, shown);
            throw;
        }
    }

    /// <summary>Streams the entries of a dataset directory (a file lists itself).</summary>
    public async IAsyncEnumerable<ListEntry> ListAsync(string datasetPath, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(datasetPath);
        var normalized = datasetPath.StartsWith('/') ? datasetPath : "/" + datasetPath;
        var fusePath = normalized.Trim('/');
        var stat = await Backend.StatAsync(fusePath, cancellationToken);
        if (!stat.IsSuccess)
        {
            throw new FileSystemErrorException(stat.Error, normalized);
        }

        if (!stat.Value.IsDirectory)
        {
            yield return ToListEntry(stat.Value with { Name = normalized[(normalized.LastIndexOf('/') + 1)..] });
            yield break;
        }

        await foreach (var entry in Backend.ListAsync(fusePath, cancellationToken))
        {
            yield return ToListEntry(entry);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        RequestStop("disposed");
        await _stopping.CancelAsync();
        await StepAsync("stopping the control socket", async () =>
        {
            if (_control is not null)
            {
                await _control.DisposeAsync();
            }
        });
        await StepAsync("unmounting", async () =>
        {
            if (Mount is not null)
            {
                await Mount.DisposeAsync();
            }
        });
        await StepAsync("background work", async () =>
        {
            await Task.WhenAll(_totals, _sampler).WaitAsync(TimeSpan.FromSeconds(10));
        });
        Cache.FileVersionChanged -= OnVersionChanged;
        await StepAsync("closing the cache", async () => await Cache.DisposeAsync());
        if (_options.Cluster is { } client)
        {
            await StepAsync("closing the cluster client", async () => await client.DisposeAsync());
        }

        foreach (var source in _sources)
        {
            await StepAsync("closing a source", async () => await source.DisposeAsync());
        }

        if (_runDirectory is not null && SocketPath is not null)
        {
            await StepAsync("removing the control socket", () =>
            {
                File.Delete(SocketPath);
                File.Delete(_runDirectory.StatePath(Configuration.Id));
                return Task.CompletedTask;
            });
        }

        _stopping.Dispose();
    }

    private async Task MountAsync(string mountPoint, CancellationToken cancellationToken)
    {
        mountPoint = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        if (!StaleMounts.IsMountPoint(mountPoint))
        {
            // A dead mount left there by a killed engine cannot even be stat'ed; the FUSE layer clears it.
            Directory.CreateDirectory(mountPoint);
        }

        var ttl = Configuration.Cache.MetadataTtl;

        // Without a disk tier no file can be handed to the kernel, and a passthrough-capable mount pays an
        // OPEN and a RELEASE round trip per open; zero-message opens are then strictly better. On workers,
        // the files come from the disk tiers of co-located workers (short-circuit leases).
        var hasDiskTier = Configuration.Cache.Tiers.Any(t => t.Medium != MediumType.Mem) || _options.Cluster is not null;
        var fuse = _options.Fuse with
        {
            Passthrough = hasDiskTier ? _options.Fuse.Passthrough : PassthroughMode.Off,
            MetadataTtl = ttl,
            NegativeTtl = ttl < _options.Fuse.NegativeTtl ? ttl : _options.Fuse.NegativeTtl,
            RequestTimeout = Configuration.RequestTimeout,
            SourceName = "fluid:" + Configuration.Id.Replace('/', '.'),
        };

        // Backing files need a lease that only the kernel's RELEASE of a passthrough open gives back.
        Backend.OfferBackingFiles = fuse.Passthrough != PassthroughMode.Off;
        Mount = await FuseMount.MountAsync(Backend, mountPoint, fuse, _options.LoggerFactory.CreateLogger<FuseMount>(), cancellationToken);
        Backend.OfferBackingFiles = Mount.PassthroughActive;
        _ = Mount.Completion.ContinueWith(_ => RequestStop("the mount was removed"), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void StartBackgroundWork()
    {
        var token = _stopping.Token;
        if (_options.ComputeTotals)
        {
            _totals = Task.Run(async () =>
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    var totals = await Cache.ComputeTotalsAsync(token);
                    _totalsState = "done";
                    Log.TotalsComputed(_logger, Configuration.Id, totals.FileNum, totals.UfsTotal, watch.Elapsed.TotalSeconds);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    _totalsState = "cancelled";
                }
                catch (Exception ex) when (ex is UfsException or IOException or ArgumentException or ObjectDisposedException)
                {
                    _totalsState = "failed: " + ex.Message;
                    Log.TotalsFailed(_logger, Configuration.Id, ex.Message);
                }
            }, CancellationToken.None);
        }
        else
        {
            _totalsState = "not computed";
        }

        _sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                do
                {
                    var counters = Cache.GetCounters();
                    _throughput.Sample(counters.BytesServed, counters.SourceBytes);
                }
                while (await timer.WaitForNextTickAsync(token));
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
    }

    /// <summary>
    /// A file (named by its cache path) changed at the source: the kernel must drop what it keeps of it.
    /// Raised inside FUSE requests, so the notification is sent from another thread.
    /// </summary>
    private void OnVersionChanged(string path)
    {
        var mount = Mount;
        if (mount is null)
        {
            return;
        }

        var datasetPath = Namespace.ToDatasetPath(path);
        _ = Task.Run(() =>
        {
            try
            {
                mount.Invalidate(datasetPath);
                Log.Invalidated(_logger, datasetPath);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The mount is going away; nothing is cached any more.
            }
        });
    }

    private async Task StepAsync(string step, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ShutdownStepFailed(_logger, Configuration.Id, step, ex);
        }
    }

    private static void ClearStaleState(RunDirectory runDirectory, string id, string? newMountPoint, ILogger logger)
    {
        var socket = runDirectory.SocketPath(id);
        var statePath = runDirectory.StatePath(id);
        var state = File.Exists(statePath) ? runDirectory.ReadState(statePath) : null;
        if (RunDirectory.IsListening(socket))
        {
            var where = state?.MountPoint is { } mounted ? $", mounted at {mounted}" : string.Empty;
            throw new InvalidOperationException($"dataset {id} is already up (pid {state?.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}{where}); stop it with `fluid down {id}`");
        }

        if (File.Exists(socket))
        {
            File.Delete(socket);
            Log.StaleSocketRemoved(logger, socket);
        }

        if (state is not null)
        {
            // The engine that wrote this was killed: its mount point may still hold a dead mount.
            if (state.MountPoint is { } old && !RunDirectory.ProcessExists(state.Pid) &&
                (newMountPoint is null || Path.GetFullPath(newMountPoint).TrimEnd('/') != old) && StaleMounts.TryClear(old))
            {
                Log.StaleMountCleared(logger, old, state.Pid);
            }

            File.Delete(statePath);
        }
    }

    private static void CreateTierDirectory(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create the cache directory {path}: {ex.Message}", ex);
        }
    }

    private static ListEntry ToListEntry(Fuse.Backend.FsEntry entry) => new()
    {
        Name = entry.Name,
        Type = entry.IsDirectory ? "dir" : "file",
        Size = entry.Length,
        Modified = entry.LastModified,
    };
}

/// <summary>A dataset path that cannot be listed or read, with the errno the mount would give.</summary>
public sealed class FileSystemErrorException : Exception
{
    public FileSystemErrorException(Fuse.Backend.Errno error, string path)
        : base($"{path}: {Describe(error)}")
    {
        Error = error;
        Path = path;
    }

    public FileSystemErrorException()
        : this(Fuse.Backend.Errno.EIO, string.Empty)
    {
    }

    public FileSystemErrorException(string message)
        : base(message)
    {
        Path = string.Empty;
    }

    public FileSystemErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
    }

    public Fuse.Backend.Errno Error { get; }

    public string Path { get; }

    private static string Describe(Fuse.Backend.Errno error) => error switch
    {
        Fuse.Backend.Errno.ENOENT => "no such file or directory",
        Fuse.Backend.Errno.ENOTDIR => "not a directory",
        Fuse.Backend.Errno.EACCES => "permission denied",
        _ => $"I/O error ({error}); see the engine's log",
    };
}
