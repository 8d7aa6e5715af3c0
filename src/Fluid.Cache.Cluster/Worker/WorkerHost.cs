using System.Net;
using Fluid.Cache.Cluster.Diagnostics;
using Fluid.Cache.Cluster.Security;
using Fluid.Storage.Mounts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Cache.Cluster.Worker;

/// <summary>
/// A running cache worker: its own <see cref="DatasetCache"/> (own tiers and quotas), the binary data
/// port that serves pages and leases, and the HTTP control port (health, readiness, summary,
/// Prometheus metrics, load). Start it with <see cref="StartAsync(WorkerOptions, ILoggerFactory?, CancellationToken)"/>;
/// <see cref="StopAsync"/> (or dispose) shuts it down gracefully.
/// </summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly WorkerOptions _options;
    private readonly DatasetCache _cache;
    private readonly MeterCollection _meters;
    private readonly PrometheusExporter _exporter;
    private readonly LeaseTable _leases;
    private readonly PageServer _server;
    private readonly ILogger _logger;
    private readonly Timer _ticker;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stoppingToken = new();
    private WorkerHttp? _http;
    private Task _totals = Task.CompletedTask;
    private volatile bool _ready;
    private int _stopping;

    private WorkerHost(WorkerOptions options, DatasetCache cache, MeterCollection meters, WorkerMetrics metrics, ILogger logger)
    {
        _options = options;
        _cache = cache;
        _meters = meters;
        _logger = logger;
        Metrics = metrics;
        _exporter = new PrometheusExporter(meters);
        _leases = new LeaseTable(options.LeaseTtl, options.MaxLeases, metrics);
        var auth = new CredentialCheck(options.Token.DeriveCredential(options.DatasetIdentity));
        Auth = auth;
        _server = new PageServer(options, cache, auth, metrics, _leases, logger);
        _ticker = new Timer(
            static state =>
            {
                var host = (WorkerHost)state!;
                host.Metrics.Sample();
                host._leases.Sweep();
            },
            this,
            TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(1));
    }

    /// <summary>Creates the mounts' under file systems, opens the cache, and starts both ports.</summary>
    /// <exception cref="ArgumentException">Invalid options; the message lists every problem.</exception>
    public static Task<WorkerHost> StartAsync(WorkerOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfInvalid(options, mountsRequired: true);
        var registry = UfsRegistry.CreateDefault(options.Registry ?? new UfsRegistryOptions { LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance });
        var mounts = options.Mounts.Select(m => new DatasetMount(m.Name, registry.Create(m))).ToList();
        return StartAsync(options, mounts, loggerFactory, cancellationToken);
    }

    /// <summary>Like <see cref="StartAsync(WorkerOptions, ILoggerFactory?, CancellationToken)"/> over mounts created by the caller (<see cref="WorkerOptions.Mounts"/> is ignored).</summary>
    public static async Task<WorkerHost> StartAsync(WorkerOptions options, IReadOnlyList<DatasetMount> mounts, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(mounts);
        ThrowIfInvalid(options, mountsRequired: false);
        var logger = (ILogger?)loggerFactory?.CreateLogger<WorkerHost>() ?? NullLogger<WorkerHost>.Instance;
        var meters = new MeterCollection();
        DatasetCache? cache = null;
        WorkerHost? host = null;
        try
        {
            cache = await DatasetCache.OpenAsync(options.Cache with { Name = options.DatasetIdentity }, mounts, loggerFactory, meters, cancellationToken);
            var metrics = new WorkerMetrics(options.DatasetIdentity, options.WorkerId, meters);
            host = new WorkerHost(options, cache, meters, metrics, logger);
            host._server.Start();
            if (options.HttpEndpoint is { } httpEndpoint)
            {
                host._http = await WorkerHttp.StartAsync(host, httpEndpoint, host.Auth, logger, cancellationToken);
            }

            host._ready = true;
            if (options.WalksTotals)
            {
                host._totals = Task.Run(host.ComputeTotalsAsync, CancellationToken.None);
            }

            Log.WorkerReady(logger, options.WorkerId, options.DatasetIdentity, host.DataEndpoint.ToString(), host.HttpPort == 0 ? "off" : host._http!.Address.ToString(), options.NodeName);
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

                meters.Dispose();
            }

            throw;
        }
    }

    public WorkerOptions Options => _options;

    /// <summary>This worker's cache.</summary>
    public DatasetCache Cache => _cache;

    /// <summary>Where the data port listens (the bound port when 0 was asked for).</summary>
    public IPEndPoint DataEndpoint => _server.LocalEndpoint;

    /// <summary>The control port's bound port; 0 without one.</summary>
    public int HttpPort => _http?.Port ?? 0;

    /// <summary>True between a successful start and the beginning of shutdown.</summary>
    public bool IsReady => _ready;

    /// <summary>Completes when the worker has stopped.</summary>
    public Task Stopped => _stopped.Task;

    internal WorkerMetrics Metrics { get; }

    internal CredentialCheck Auth { get; }

    /// <summary>This worker's share of the dataset's cache state.</summary>
    public WorkerSummary GetSummary()
    {
        var summary = _cache.GetSummary();
        var counters = summary.Counters;
        long pages = 0;
        var tiers = new WorkerTier[summary.Tiers.Count];
        for (var i = 0; i < tiers.Length; i++)
        {
            var t = summary.Tiers[i];
            tiers[i] = new WorkerTier(t.Medium.ToString().ToUpperInvariant(), t.Name, t.Used, t.Quota, t.Pages);
            pages += t.Pages;
        }

        return new WorkerSummary
        {
            WorkerId = _options.WorkerId,
            NodeName = _options.NodeName,
            Dataset = _options.DatasetIdentity,
            Ready = _ready,
            Cached = summary.Cached,
            CacheCapacity = summary.CacheCapacity,
            CacheHitRatio = summary.CacheHitRatio,
            BytesRead = counters.HitBytes + counters.MissBytes,
            BytesServed = Volatile.Read(ref Metrics.BytesServed),
            Throughput = Metrics.Throughput,
            SourceBytes = counters.SourceBytes,
            Pages = pages,
            Reads = Metrics.RequestsOf(Protocol.Opcode.Read),
            AuthFailures = Metrics.AuthFailures,
            Leases = _leases.Count,
            UfsTotal = summary.UfsTotal,
            FileNum = summary.FileNum,
            Tiers = tiers,
        };
    }

    /// <summary>
    /// Walks the sources once for the Dataset's <c>ufsTotal</c> and <c>fileNum</c>, which the summary then
    /// carries (the operator writes them into the Dataset's status); a failure is logged and leaves them unknown.
    /// </summary>
    private async Task ComputeTotalsAsync()
    {
        try
        {
            var totals = await _cache.ComputeTotalsAsync(_stoppingToken.Token);
            Log.TotalsComputed(_logger, _options.WorkerId, totals.FileNum, totals.UfsTotal);
        }
        catch (OperationCanceledException) when (_stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is Fluid.Storage.UfsException or IOException or ObjectDisposedException)
        {
            Log.TotalsFailed(_logger, _options.WorkerId, ex.Message);
        }
    }

    /// <summary>The worker's cache and cluster metrics in the Prometheus text format.</summary>
    public string CollectMetrics() => _exporter.Collect();

    /// <summary>
    /// Graceful shutdown: readiness turns false, the data port stops accepting, requests in flight get
    /// <see cref="WorkerOptions.ShutdownGrace"/> to finish, then the control port and the cache close.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            await _stopped.Task;
            return;
        }

        _ready = false;
        await _stoppingToken.CancelAsync();
        try
        {
            await _totals;
            Log.WorkerStopping(_logger, _options.WorkerId, _server.ConnectionCount, _options.ShutdownGrace.TotalSeconds);
            await _server.StopAsync(_options.ShutdownGrace);
            if (_http is not null)
            {
                await _http.DisposeAsync();
            }

            await _ticker.DisposeAsync();
            _leases.Dispose();
            await _server.DisposeAsync();
            await _cache.DisposeAsync();
            _exporter.Dispose();
            Metrics.Dispose();
            _meters.Dispose();
            _stoppingToken.Dispose();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static void ThrowIfInvalid(WorkerOptions options, bool mountsRequired)
    {
        var errors = options.Validate(mountsRequired);
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid worker configuration:\n  " + string.Join("\n  ", errors), nameof(options));
        }
    }
}
