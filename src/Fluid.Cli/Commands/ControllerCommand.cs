using System.CommandLine;
using Fluid.Kubernetes.LeaderElection;
using Fluid.Operator.Diagnostics;
using Fluid.Operator.Engines;
using Fluid.Operator.Hosting;
using Fluid.Operator.Packaging;
using k8s;
using Microsoft.Extensions.Logging;

namespace Fluid.Cli.Commands;

/// <summary>`fluid controller`: runs the Dataset, FluidCacheRuntime and DataLoad controllers; `fluid controller manifests` writes the deployment YAML.</summary>
internal static class ControllerCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Path of a kubeconfig; in-cluster configuration when omitted (and KUBECONFIG is unset)." };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Reconcile only while holding a coordination.k8s.io Lease (run several replicas)." };
        var leaseNamespace = new Option<string>("--leader-elect-namespace") { Description = "Namespace of the Lease.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "fluid-system" };
        var leaseName = new Option<string>("--leader-elect-name") { Description = "Name of the Lease.", DefaultValueFactory = _ => DeployManifests.Name };
        var metrics = new Option<string>("--metrics-address") { Description = "host:port of /healthz, /readyz and /metrics.", DefaultValueFactory = _ => "0.0.0.0:8080" };
        var image = new Option<string>("--image") { Description = "Image repository of the runtime pods.", DefaultValueFactory = _ => "fluid" };
        var tag = new Option<string>("--image-tag") { Description = "Image tag of the runtime pods (default: this build's version).", DefaultValueFactory = _ => ImageSettings.DefaultTag };
        var pullPolicy = new Option<string>("--image-pull-policy") { Description = "Always, IfNotPresent or Never.", DefaultValueFactory = _ => "IfNotPresent" };
        var interval = new Option<int>("--status-interval-seconds") { Description = "How often runtime status and cache figures are refreshed.", DefaultValueFactory = _ => 30 };

        var command = new Command("controller", "Run the Kubernetes controllers (Dataset, FluidCacheRuntime, DataLoad).");
        foreach (var option in new Option[] { kubeconfig, leaderElect, leaseNamespace, leaseName, metrics, image, tag, pullPolicy, interval })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(kubeconfig), parse.GetValue(leaderElect), parse.GetValue(leaseNamespace)!, parse.GetValue(leaseName)!, parse.GetValue(metrics)!,
            new ImageSettings { Repository = parse.GetValue(image)!, Tag = parse.GetValue(tag)!, PullPolicy = parse.GetValue(pullPolicy)! },
            TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(interval))), parse.InvocationConfiguration.Error, cancellationToken));
        command.Subcommands.Add(ManifestsCommand());
        return command;
    }

    private static Command ManifestsCommand()
    {
        var output = new Option<string>("--output", "-o")
        {
            Description = "File to write (default: deploy/manifests/fluid.yaml of the repository).",
            DefaultValueFactory = _ => Path.Combine(Environment.GetEnvironmentVariable("FLUID_HOME") ?? Directory.GetCurrentDirectory(), "deploy", "manifests", "fluid.yaml"),
        };
        var check = new Option<bool>("--check") { Description = "Do not write; exit 1 when the file differs from what the code generates." };
        var command = new Command("manifests", "Write the controller's ServiceAccount, RBAC and Deployment (what the Helm chart renders with default values).");
        command.Options.Add(output);
        command.Options.Add(check);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(output)!;
            var yaml = DeployManifests.ToYaml();
            var current = File.Exists(path) ? File.ReadAllText(path) : null;
            if (parse.GetValue(check))
            {
                if (current == yaml)
                {
                    return 0;
                }

                parse.InvocationConfiguration.Output.WriteLine($"out of date: {path} (run ./fluid controller manifests)");
                return 1;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllText(path, yaml);
            parse.InvocationConfiguration.Output.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }

    private static async Task<int> RunAsync(string? kubeconfig, bool leaderElect, string leaseNamespace, string leaseName, string metricsAddress,
        ImageSettings image, TimeSpan interval, TextWriter error, CancellationToken cancellationToken)
    {
        KubernetesClientConfiguration config;
        try
        {
            config = KubeConfig.Load(kubeconfig);
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"fluid controller: {e.Message}");
            return 2;
        }

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
        using var client = new k8s.Kubernetes(config);
        LeaderElectionOptions? election = null;
        if (leaderElect)
        {
            // The pod name identifies a replica; outside a pod the host name does.
            var identity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : Environment.MachineName;
            election = new LeaderElectionOptions { Namespace = leaseNamespace, LeaseName = leaseName, Identity = identity };
        }

        using var host = new OperatorHost(client, new OperatorOptions { Image = image, StatusInterval = interval }, loggers, election);
        using var exporter = new PrometheusExporter(Fluid.Kubernetes.Diagnostics.KubernetesMetrics.MeterName);
        HealthServer health;
        try
        {
            health = new HealthServer(metricsAddress, () => host.IsReady, exporter, loggers.CreateLogger<HealthServer>());
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"fluid controller: {e.Message}");
            return 2;
        }

        using (health)
        {
            // SIGTERM and Ctrl+C cancel the token: controllers finish their reconciles, the leader releases the Lease.
            var serving = health.RunAsync(cancellationToken);
            await host.RunAsync(cancellationToken);
            await serving;
        }

        return 0;
    }
}
