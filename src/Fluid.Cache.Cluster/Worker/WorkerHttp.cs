using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Fluid.Cache.Cluster.Diagnostics;
using Fluid.Cache.Cluster.Security;
using Fluid.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fluid.Cache.Cluster.Worker;

/// <summary>
/// The worker's control port on Kestrel: <c>/healthz</c> and <c>/readyz</c> (open, for probes),
/// <c>/metrics</c> (open; counters only, no dataset content), <c>/summary</c> and <c>POST /v1/load</c>
/// (credential required).
/// </summary>
internal sealed class WorkerHttp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WorkerHost _host;
    private readonly CredentialCheck _auth;
    private readonly ILogger _logger;

    private WorkerHttp(WebApplication app, WorkerHost host, CredentialCheck auth, ILogger logger)
    {
        _app = app;
        _host = host;
        _auth = auth;
        _logger = logger;
    }

    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    public static async Task<WorkerHttp> StartAsync(WorkerHost host, IPEndPoint endpoint, CredentialCheck auth, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64L << 20;
            kestrel.Listen(endpoint);
        });
        var app = builder.Build();
        var http = new WorkerHttp(app, host, auth, logger);
        app.MapGet("/healthz", static context =>
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("ok\n", context.RequestAborted);
        });
        app.MapGet("/readyz", http.ReadyAsync);
        app.MapGet("/metrics", http.MetricsAsync);
        app.MapGet("/summary", http.SummaryAsync);
        app.MapPost("/v1/load", http.LoadAsync);
        await app.StartAsync(cancellationToken);
        // The bound port (the endpoint may ask for port 0); wildcard binds are reached on loopback.
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var port = bound is null ? endpoint.Port : BindingAddress.Parse(bound).Port;
        var reachable = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) ? "127.0.0.1"
            : endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        http.Address = new Uri($"http://{reachable}:{port}/");
        return http;
    }

    public int Port => Address.Port;

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    private Task ReadyAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain";
        if (_host.IsReady)
        {
            return context.Response.WriteAsync("ready\n", context.RequestAborted);
        }

        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return context.Response.WriteAsync("not ready\n", context.RequestAborted);
    }

    private Task MetricsAsync(HttpContext context)
    {
        context.Response.ContentType = PrometheusExporter.ContentType;
        return context.Response.WriteAsync(_host.CollectMetrics(), context.RequestAborted);
    }

    private async Task SummaryAsync(HttpContext context)
    {
        if (!await AuthorizeAsync(context))
        {
            return;
        }

        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, _host.GetSummary(), ClusterJsonContext.Default.WorkerSummary, context.RequestAborted);
    }

    private async Task LoadAsync(HttpContext context)
    {
        if (!await AuthorizeAsync(context))
        {
            return;
        }

        LoadRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, ClusterJsonContext.Default.LoadRequest, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest, $"load request: {ex.Message}");
            return;
        }

        var cache = _host.Cache;
        var entries = new List<DatasetEntry>();
        var ranges = new Dictionary<DatasetEntry, List<(long Start, long End)>>(ReferenceEqualityComparer.Instance);
        var byIdentity = new Dictionary<(string, string, string, long), DatasetEntry>();
        for (var i = 0; i < (request?.Pieces.Count ?? 0); i++)
        {
            var piece = request!.Pieces[i];
            DatasetEntry entry;
            try
            {
                if (piece.Offset < 0 || piece.Count < 0 || piece.Offset > piece.Length)
                {
                    throw new ArgumentException($"range {piece.Offset}+{piece.Count} of a {piece.Length}-byte file");
                }

                var key = (piece.Mount, piece.Path, piece.Version, piece.Length);
                if (!byIdentity.TryGetValue(key, out entry!))
                {
                    entry = cache.GetEntry(piece.Mount, new UfsEntry(piece.Path, false, piece.Length, new DateTimeOffset(piece.ModifiedTicks, TimeSpan.Zero), piece.Version));
                    byIdentity[key] = entry;
                    entries.Add(entry);
                    ranges[entry] = [];
                }
            }
            catch (ArgumentException ex)
            {
                await PlainAsync(context, StatusCodes.Status400BadRequest, $"pieces[{i}]: {ex.Message}");
                return;
            }

            ranges[entry].Add((piece.Offset, piece.Offset + piece.Count));
        }

        Interlocked.Increment(ref _host.Metrics.LoadBatches);
        context.Response.ContentType = "application/x-ndjson";
        var lines = Channel.CreateUnbounded<LoadProgress>(new UnboundedChannelOptions { SingleReader = true });
        var progress = new ChannelProgress(lines.Writer);
        var load = cache.LoadFilesAsync(ListAsync(entries), (entry, offset) => Includes(ranges, entry, offset), progress, context.RequestAborted);
        _ = load.ContinueWith(_ => lines.Writer.TryComplete(), TaskScheduler.Default);
        await foreach (var p in lines.Reader.ReadAllAsync(context.RequestAborted))
        {
            await WriteLineAsync(context, new LoadLine
            {
                Type = "progress",
                FilesDone = p.FilesDone,
                FilesTotal = p.FilesTotal,
                BytesDone = p.BytesDone,
                BytesTotal = p.BytesTotal,
                ElapsedSeconds = p.Elapsed.TotalSeconds,
            });
        }

        LoadLine last;
        try
        {
            var summary = await load;
            Interlocked.Add(ref _host.Metrics.LoadBytesFetched, summary.BytesFetched);
            last = new LoadLine
            {
                Type = "summary",
                FilesDone = summary.Files,
                FilesTotal = summary.Files,
                BytesDone = summary.Bytes,
                BytesTotal = summary.Bytes,
                BytesFetched = summary.BytesFetched,
                BytesAlreadyCached = summary.BytesAlreadyCached,
                FailedFiles = summary.FailedFiles,
                Errors = summary.Errors,
                ElapsedSeconds = summary.Elapsed.TotalSeconds,
            };
        }
        catch (Exception ex) when (ex is UfsException or IOException)
        {
            last = new LoadLine { Type = "error", Message = ex.Message };
        }

        await WriteLineAsync(context, last);
    }

    private static bool Includes(Dictionary<DatasetEntry, List<(long Start, long End)>> ranges, DatasetEntry entry, long offset)
    {
        foreach (var (start, end) in ranges[entry])
        {
            if (offset >= start && offset < end)
            {
                return true;
            }
        }

        return false;
    }

    private static async IAsyncEnumerable<DatasetEntry> ListAsync(List<DatasetEntry> entries)
    {
        foreach (var entry in entries)
        {
            yield return entry;
        }

        await Task.CompletedTask;
    }

    private static async Task WriteLineAsync(HttpContext context, LoadLine line)
    {
        await JsonSerializer.SerializeAsync(context.Response.Body, line, ClusterJsonContext.Default.LoadLine, context.RequestAborted);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private async Task<bool> AuthorizeAsync(HttpContext context)
    {
        var failure = _auth.CheckHeader(context.Request.Headers.Authorization.ToString());
        if (failure == AuthFailure.None)
        {
            return true;
        }

        _host.Metrics.CountAuthFailure(failure, http: true);
        Log.AuthRefused(_logger, "http", context.Connection.RemoteIpAddress?.ToString() ?? "?", failure == AuthFailure.Missing ? "missing" : "wrong");
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await PlainAsync(context, StatusCodes.Status401Unauthorized, "missing or wrong credential for this dataset");
        return false;
    }

    private static Task PlainAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }

    /// <summary>Hands progress reports to the response writer.</summary>
    private sealed class ChannelProgress(ChannelWriter<LoadProgress> writer) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value) => writer.TryWrite(value);
    }
}
