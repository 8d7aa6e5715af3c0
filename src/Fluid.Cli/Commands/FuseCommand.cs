using System.CommandLine;
using System.Globalization;
using Fluid.Cache.Cluster.Client;
using Fluid.Engine.Cluster;
using Fluid.Engine.Configuration;
using Fluid.Engine.Control;
using Fluid.Engine.Hosting;
using Fluid.Fuse;
using Fluid.Storage;
using Microsoft.Extensions.Logging;

namespace Fluid.Cli.Commands;

/// <summary>
/// `fluid fuse`: mounts a dataset whose pages live on its runtime's cache workers and serves it in the foreground
/// until SIGTERM/Ctrl-C (the operator's FUSE DaemonSet runs exactly this; docs/operator.md).
/// </summary>
internal static class FuseCommand
{
    public static Command Create()
    {
        var config = new Option<string[]>("--config") { Description = "Manifest with the Dataset, its FluidCacheRuntime and Secrets (what the operator mounts at /etc/fluid/config/manifest.yaml); repeatable." };
        var tokenFile = new Option<string?>("--token-file") { Description = "File holding the runtime's secret token (else $FLUID_TOKEN)." };
        var mountPoint = new Option<string>("--mount-point") { Description = "Directory to mount the dataset at (created when missing).", Required = true };
        var membership = new Option<string>("--membership") { Description = $"Where the workers are listed: {MembershipSource.Forms}.", Required = true };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig file for endpointslices: membership (default: the pod's in-cluster configuration)." };
        var dataset = new Option<string?>("--dataset") { Description = "The Dataset to mount when --config holds several (NAME or NAMESPACE/NAME)." };
        var secretsDir = new Option<string?>("--secrets-dir") { Description = $"Directory laid out like mounted Kubernetes secrets (DIR/SECRET/KEY) for encryptOptions (default: {WorkerCommand.DefaultSecretsDirectory} when it exists)." };
        var nodeName = new Option<string?>("--node-name") { Description = "This node's name: workers on the same node are read directly (default: $NODE_NAME, else the host name)." };
        var clientCache = new Option<string>("--client-cache")
        {
            Description = "Memory this process keeps of recently read pages in front of the workers (e.g. 256Mi; 0: none).",
            DefaultValueFactory = _ => (ClusterIdentity.DefaultClientCacheBytes >> 20).ToString(CultureInfo.InvariantCulture) + "Mi",
        };
        var passthrough = new Option<PassthroughMode>("--passthrough")
        {
            Description = "Off (default) or Auto (FUSE passthrough for files held whole on a local disk tier).",
            DefaultValueFactory = _ => EngineHostOptions.DefaultPassthrough,
        };
        var runDir = new Option<string?>("--run-dir") { Description = "Directory for a control socket, so `fluid status/load/ls` (with FLUID_RUN_DIR=DIR) reach this mount; none by default." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log informational messages." };
        var command = new Command("fuse", "Mount a dataset served by its runtime's cache workers (runs in the foreground until SIGTERM/Ctrl-C).")
        {
            config, tokenFile, mountPoint, membership, kubeconfig, dataset, secretsDir, nodeName, clientCache, passthrough, runDir, verbose,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var problems = new List<string>();
            var configuration = await ClusterClientSetup.ReadConfigurationAsync(
                parse.GetValue(config) ?? [], parse.GetValue(dataset), parse.GetValue(secretsDir), "--dataset", problems, error);
            var token = ClusterClientSetup.ReadToken(parse.GetValue(tokenFile), problems);
            var source = MembershipSource.Parse(parse.GetValue(membership), parse.GetValue(kubeconfig), problems);
            var cacheBytes = ClusterClientSetup.ParseSize("--client-cache", parse.GetValue(clientCache)!, problems);
            var mount = parse.GetRequiredValue(mountPoint);
            if (mount.Trim().Length == 0)
            {
                problems.Add("--mount-point: is empty");
            }

            if (problems.Count > 0 || configuration is null || token is null || source is null || cacheBytes is null)
            {
                foreach (var problem in problems)
                {
                    await error.WriteLineAsync($"fluid fuse: {problem}");
                }

                return 2;
            }

            foreach (var note in configuration.Notes)
            {
                await error.WriteLineAsync("note: " + note);
            }

            using var loggers = new TextLoggerFactory(error, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            IAsyncDisposable watch;
            ClusterClient client;
            var identity = ClusterIdentity.Of(configuration);
            try
            {
                (var workers, watch) = await source.OpenAsync(loggers, cancellationToken);
                client = new ClusterClient(
                    new ClusterClientOptions { Dataset = identity, Token = token, NodeName = parse.GetValue(nodeName) ?? ClusterClientSetup.DefaultNodeName() },
                    workers,
                    loggers);
            }
            catch (InvalidOperationException ex)
            {
                await error.WriteLineAsync($"fluid fuse: {ex.Message}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                return 130;
            }

            await using (watch)
            {
                EngineHost host;
                try
                {
                    // The host owns the client from here on, and disposes it even when it fails to start.
                    host = await EngineHost.StartAsync(ClusterIdentity.ForClient(configuration, cacheBytes.Value), new EngineHostOptions
                    {
                        MountPoint = Path.GetFullPath(mount),
                        RunDirectory = parse.GetValue(runDir) is { } dir ? Path.GetFullPath(dir) : null,
                        LoggerFactory = loggers,
                        Cluster = client,
                        Fuse = new FuseOptions { Passthrough = parse.GetValue(passthrough), AllowOther = Environment.IsPrivilegedProcess },
                    }, cancellationToken);
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or UfsException or ArgumentException)
                {
                    await error.WriteLineAsync($"fluid fuse: {ex.Message}");
                    return 1;
                }
                catch (OperationCanceledException)
                {
                    return 130;
                }

                var fuse = host.Mount!;
                await output.WriteLineAsync(
                    $"fuse ready: dataset {identity} mounted at {fuse.MountPoint}; {source.Description}, {client.LiveWorkers.Count} up now; " +
                    $"client cache {Units.Bytes(cacheBytes.Value)}{(host.SocketPath is { } socket ? "; control " + socket : string.Empty)}");
                await output.FlushAsync(CancellationToken.None);
                var reason = await host.RunAsync(cancellationToken);
                await output.WriteLineAsync($"fuse stopped ({reason}); unmounted {fuse.MountPoint}");
            }

            return 0;
        });
        return command;
    }
}
