using System.Net;
using System.Text;
using Fluid.Operator.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Hosting;

/// <summary>
/// The controller's HTTP endpoints: <c>/healthz</c> (the process serves), <c>/readyz</c> (its caches are synced) and
/// <c>/metrics</c> (Prometheus text), on HttpListener so the controller needs no web framework.
/// </summary>
public sealed class HealthServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<bool> _ready;
    private readonly PrometheusExporter _metrics;
    private readonly ILogger _logger;

    /// <summary>Listens on <paramref name="address"/> (<c>host:port</c>; <c>0.0.0.0</c> or <c>*</c> for every address).</summary>
    public HealthServer(string address, Func<bool> ready, PrometheusExporter metrics, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        _ready = ready ?? throw new ArgumentNullException(nameof(ready));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
        {
            throw new ArgumentException($"the metrics address \"{address}\" must be host:port (for example 0.0.0.0:8080)", nameof(address));
        }

        var host = address[..colon];
        host = host is "0.0.0.0" or "" or "::" ? "*" : host;
        _listener.Prefixes.Add($"http://{host}:{port}/");
        Port = port;
    }

    /// <summary>The port listened on.</summary>
    public int Port { get; }

    /// <summary>Serves requests until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        using var stop = cancellationToken.Register(() => _listener.Stop());
        while (!cancellationToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException e)
            {
                Log.HealthRequestFailed(_logger, e);
                continue;
            }

            // Each request on its own: a slow or failing /metrics must never stall the probes or end the loop.
            _ = Task.Run(() => ServeAsync(context, cancellationToken), CancellationToken.None);
        }
    }

    private async Task ServeAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        try
        {
            int status;
            string body;
            try
            {
                (status, body) = context.Request.Url?.AbsolutePath switch
                {
                    "/healthz" => (200, "ok\n"),
                    "/readyz" => _ready() ? (200, "ok\n") : (503, "informers not synced\n"),
                    "/metrics" => (200, _metrics.Collect()),
                    _ => (404, "not found\n"),
                };
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.HealthRequestFailed(_logger, e);
                (status, body) = (500, "internal error: " + e.GetType().Name + "\n");
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = context.Request.Url?.AbsolutePath == "/metrics" && status == 200 ? "text/plain; version=0.0.4" : "text/plain";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes, cancellationToken);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Log.HealthRequestFailed(_logger, e);
            context.Response.Abort();
        }
    }

    /// <inheritdoc />
    public void Dispose() => ((IDisposable)_listener).Dispose();
}
