using Fluid.Kubernetes.Resources;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Csi;

/// <summary>
/// The CSI node plugin's gRPC server: Identity and Node services over HTTP/2 on a Unix domain socket, the transport
/// kubelet and the node-driver-registrar speak.
/// </summary>
public sealed class CsiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CsiServer(WebApplication app, CsiOptions options)
    {
        _app = app;
        Options = options;
    }

    public CsiOptions Options { get; }

    /// <summary>Starts serving; a stale socket file left by a previous run is replaced.</summary>
    public static async Task<CsiServer> StartAsync(CsiOptions options, IKubernetes client, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Directory.CreateDirectory(Path.GetDirectoryName(options.SocketPath)!);
        // A socket file outlives its process; kubelet restarts the plugin onto the same path.
        File.Delete(options.SocketPath);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new NodeLabeler(new ResourceClient<k8s.Models.V1Node>(client, ResourceTypes.Nodes)));
        builder.Services.AddGrpc();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(options.SocketPath, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.MapGrpcService<IdentityService>();
        app.MapGrpcService<NodeService>();
        await app.StartAsync(cancellationToken);
        CsiLog.Serving(loggerFactory.CreateLogger<CsiServer>(), CsiOptions.DriverName, options.SocketPath, options.NodeId);
        return new CsiServer(app, options);
    }

    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled (SIGTERM), then stops.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        File.Delete(Options.SocketPath);
    }
}
