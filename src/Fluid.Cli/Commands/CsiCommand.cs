using System.CommandLine;
using System.Reflection;
using Fluid.Operator.Csi;
using k8s;
using Microsoft.Extensions.Logging;

namespace Fluid.Cli.Commands;

/// <summary>`fluid csi`: the CSI node plugin of driver fuse.csi.fluid.io (one per node, beside the node-driver-registrar).</summary>
internal static class CsiCommand
{
    public static Command Create()
    {
        var endpoint = new Option<string>("--endpoint") { Description = "The gRPC endpoint, a Unix socket.", DefaultValueFactory = _ => "unix:///csi/csi.sock" };
        var nodeId = new Option<string?>("--node-id") { Description = "This node's name (default: $NODE_NAME)." };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Path of a kubeconfig; in-cluster configuration when omitted (and KUBECONFIG is unset)." };
        var mountRoot = new Option<string>("--mount-root") { Description = "The only directory tree a volume's fluid_path may lie under.", DefaultValueFactory = _ => CsiOptions.DefaultMountRoot };
        var timeout = new Option<double>("--publish-timeout") { Description = "Seconds NodePublishVolume waits for the FUSE mount to appear.", DefaultValueFactory = _ => 60 };

        var command = new Command("csi", "Run the CSI node plugin: label the node for the FUSE pod, bind its mount into pods.");
        foreach (var option in new Option[] { endpoint, nodeId, kubeconfig, mountRoot, timeout })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(endpoint)!, parse.GetValue(nodeId) ?? Environment.GetEnvironmentVariable("NODE_NAME"), parse.GetValue(kubeconfig),
            parse.GetValue(mountRoot)!, parse.GetValue(timeout), parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string endpoint, string? nodeId, string? kubeconfig, string mountRoot, double timeoutSeconds, TextWriter error, CancellationToken cancellationToken)
    {
        var socket = CsiOptions.ParseEndpoint(endpoint);
        if (socket is null)
        {
            await error.WriteLineAsync($"fluid csi: --endpoint {endpoint}: expected unix:///absolute/path.sock");
            return 2;
        }

        if (string.IsNullOrWhiteSpace(nodeId))
        {
            await error.WriteLineAsync("fluid csi: no node name: pass --node-id or set NODE_NAME (the downward API's spec.nodeName)");
            return 2;
        }

        if (!Path.IsPathFullyQualified(mountRoot))
        {
            await error.WriteLineAsync($"fluid csi: --mount-root {mountRoot}: expected an absolute path");
            return 2;
        }

        if (!(timeoutSeconds > 0))
        {
            await error.WriteLineAsync($"fluid csi: --publish-timeout {timeoutSeconds}: expected a positive number of seconds");
            return 2;
        }

        KubernetesClientConfiguration config;
        try
        {
            config = KubeConfig.Load(kubeconfig);
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"fluid csi: {e.Message}");
            return 2;
        }

        var options = new CsiOptions
        {
            SocketPath = socket,
            NodeId = nodeId,
            MountRoot = mountRoot,
            PublishTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            VendorVersion = typeof(CsiCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
        };
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
        using var client = new k8s.Kubernetes(config);
        CsiServer server;
        try
        {
            server = await CsiServer.StartAsync(options, client, loggers, cancellationToken);
        }
        catch (IOException e)
        {
            await error.WriteLineAsync($"fluid csi: cannot listen on {socket}: {e.Message}");
            return 1;
        }

        await using (server)
        {
            // SIGTERM and Ctrl+C cancel the token; in-flight calls finish during the stop.
            await server.WaitAsync(cancellationToken);
        }

        return 0;
    }
}
