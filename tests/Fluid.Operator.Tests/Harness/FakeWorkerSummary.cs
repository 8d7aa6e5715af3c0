using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Fluid.Cache.Cluster.Security;
using Fluid.Operator.Engines.FluidCache;

namespace Fluid.Operator.Tests.Harness;

/// <summary>
/// A worker's <c>/summary</c> endpoint on 127.0.0.1 and a free port: answers only the credential a real worker expects
/// (derived from the runtime's token and <see cref="Dataset"/>).
/// </summary>
public sealed class FakeWorkerSummary : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeWorkerSummary()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The runtime's token the credential is derived from; null refuses every request.</summary>
    public string? ExpectedToken { get; set; }

    /// <summary>The dataset identity ("namespace/name") the credential is bound to.</summary>
    public string Dataset { get; set; } = "default/data";

    /// <summary>The <c>Authorization</c> header a real worker accepts, or null while no token is set.</summary>
    public string? ExpectedAuthorization => ExpectedToken is null ? null : ClusterToken.FromSecret(ExpectedToken).AuthorizationHeader(Dataset);

    /// <summary>What the endpoint answers.</summary>
    public WorkerSummary Summary { get; set; } = new();

    /// <summary>Authorization headers seen, in order.</summary>
    public ConcurrentQueue<string?> Authorizations { get; } = new();

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Stopped.
        }

        _listener.Close();
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            var auth = context.Request.Headers["Authorization"];
            Authorizations.Enqueue(auth);
            bool ok = context.Request.Url?.AbsolutePath == "/summary" && ExpectedAuthorization is { } expected && auth == expected;
            var body = ok ? JsonSerializer.Serialize(Summary) : "{}";
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = ok ? 200 : 401;
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}
