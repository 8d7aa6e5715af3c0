using System.Diagnostics;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Tests.Harness;

namespace Fluid.Operator.Tests.Controllers;

public sealed class ControllerCommandTests
{
    [Fact]
    public async Task FluidController_Kubeconfig_ServesHealthReconcilesAndStopsOnSigterm()
    {
        await using var cluster = await OperatorCluster.StartAsync(startOperator: false);
        var dir = Directory.CreateTempSubdirectory("fluid-controller-");
        var kubeconfig = cluster.Server.WriteKubeconfig(Path.Combine(dir.FullName, "config"));
        var port = FakeWorkerSummary.FreePort();
        var binary = Repo.PathOf("artifacts", "bin", "Fluid.Cli", "release", "fluid");
        Assert.True(File.Exists(binary), $"{binary} not built");
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "controller", "--kubeconfig", kubeconfig, "--leader-elect", "--leader-elect-namespace", "fluid-system", "--metrics-address", $"127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["POD_NAME"] = "controller-test-0";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    return (await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"))).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "readyz", TimeSpan.FromSeconds(30));
            Assert.Equal("ok\n", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz")));

            await cluster.Cluster.Datasets.CreateAsync(Samples.Dataset("data"));
            await Eventually.ValueAsync(() => cluster.Cluster.Datasets.GetAsync(new ObjectKey("default", "data")), d => d.Status?.Phase == Fluid.Api.Datasets.DatasetPhase.NotBound, "reconciled by the command", TimeSpan.FromSeconds(30));
            // The reconcile is counted after its status write lands, so poll the metrics briefly.
            var metrics = string.Empty;
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }

                return metrics.Contains("fluid_kubernetes_reconcile_count_total{controller=\"datasets\",result=\"success\"}", StringComparison.Ordinal);
            }, "reconcile counted in /metrics", TimeSpan.FromSeconds(30));
            Assert.Contains("fluid_kubernetes_leader_is_leader{lease=\"fluid-system/fluid-controller\"} 1", metrics, StringComparison.Ordinal);
            var leases = new ResourceClient<k8s.Models.V1Lease>(cluster.Client, ResourceTypes.Leases);
            Assert.Equal("controller-test-0", (await leases.GetAsync(new ObjectKey("fluid-system", "fluid-controller")))!.Spec.HolderIdentity);
        }
        finally
        {
            // SIGTERM: a graceful stop releases the Lease and exits 0.
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(20)), "the controller did not stop on SIGTERM");
            dir.Delete(true);
        }

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await errors}{await output}");
        var released = await new ResourceClient<k8s.Models.V1Lease>(cluster.Client, ResourceTypes.Leases).GetAsync(new ObjectKey("fluid-system", "fluid-controller"));
        Assert.True(string.IsNullOrEmpty(released!.Spec.HolderIdentity), "lease released");
    }
}
