using System.Text.Json;
using Fluid.Engine.Control;
using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.TestServer;
using Fluid.Testing;
using k8s;
using k8s.Models;

namespace Fluid.Cli.Tests.Cluster;

/// <summary>`fluid fuse` as the FUSE pods run it: a real mount whose pages come from three real worker processes.</summary>
[Collection(WorkerClusterCollection.Name)]
public sealed class FuseCommandTests(WorkerClusterFixture cluster) : IDisposable
{
    private readonly string _dir = TestPaths.CreateTempDirectory("cli-fuse");

    public void Dispose()
    {
        FluidProcess.UnmountQuietly(Path.Combine(_dir, "mnt"));
        TestPaths.DeleteQuietly(_dir);
    }

    [Fact]
    public async Task Fuse_StaticMembership_MountReadsTheSourceBytesAndStatusShowsThreeWorkers()
    {
        var mount = Path.Combine(_dir, "mnt");
        var run = Path.Combine(_dir, "run");
        await using var fuse = StartFuse(mount, cluster.StaticMembership, "--run-dir", run, "--client-cache", "8Mi");
        var ready = await fuse.WaitForLineAsync(TimeSpan.FromSeconds(60));
        Assert.Contains($"dataset {WorkerClusterFixture.Dataset} mounted at {mount}", ready, StringComparison.Ordinal);
        Assert.Contains("3 static workers, 3 up now", ready, StringComparison.Ordinal);

        AssertFilesEqualSource(mount);

        var status = await FluidProcess.RunAsync(new Dictionary<string, string> { ["FLUID_RUN_DIR"] = run }, TimeSpan.FromSeconds(60), "status", WorkerClusterFixture.Dataset, "-o", "json");
        Assert.True(status.Code == 0, status.Error);
        var report = JsonSerializer.Deserialize(status.Output, ControlJson.Default.DatasetStatusReport)!;
        Assert.Equal(mount, report.MountPoint);
        Assert.Equal(cluster.Workers.Select(w => w.Id), report.Workers!.Select(w => w.Id).Order(StringComparer.Ordinal));
        Assert.All(report.Workers!, w => Assert.Equal("Ready", w.State));
        Assert.Equal(cluster.Workers.Select(w => w.Node), report.Workers!.Select(w => w.NodeName!).Order(StringComparer.Ordinal));

        // SIGTERM, as the kubelet stops the pod: the process unmounts and exits 0.
        Assert.True(await FluidProcess.TerminateAsync(fuse.Id, TimeSpan.FromSeconds(30)), "fluid fuse did not exit on SIGTERM");
        Assert.False(FluidProcess.IsMounted(mount));
    }

    [Fact]
    public async Task Fuse_EndpointSlicesThroughKubeconfig_MountReadsTheSourceBytes()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(500) });
        using var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = server.Url.ToString() });
        var slices = new ResourceClient<V1EndpointSlice>(client, ResourceTypes.EndpointSlices);

        // Locally the workers share an address, so each gets a slice with its own ports (in a cluster: one port set, many pods).
        foreach (var (worker, i) in cluster.Workers.Select((w, i) => (w, i)))
        {
            await slices.CreateAsync(new V1EndpointSlice
            {
                Metadata = new V1ObjectMeta { Name = $"demo-worker-{i}x", NamespaceProperty = "team", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "demo-worker" } },
                AddressType = "IPv4",
                Ports = [new Discoveryv1EndpointPort { Name = "data", Port = worker.DataPort }, new Discoveryv1EndpointPort { Name = "http", Port = worker.HttpPort }],
                Endpoints = [new V1Endpoint
                {
                    Addresses = ["127.0.0.1"],
                    NodeName = worker.Node,
                    TargetRef = new V1ObjectReference { Kind = "Pod", Name = worker.Id, NamespaceProperty = "team" },
                    Conditions = new V1EndpointConditions { Ready = true },
                }],
            });
        }

        var kubeconfig = server.WriteKubeconfig(Path.Combine(_dir, "kubeconfig"));
        var mount = Path.Combine(_dir, "mnt");
        var run = Path.Combine(_dir, "run");
        await using var fuse = StartFuse(mount, "endpointslices:team/demo-worker", "--kubeconfig", kubeconfig, "--client-cache", "0", "--run-dir", run);
        var ready = await fuse.WaitForLineAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("EndpointSlices of service team/demo-worker, 3 up now", ready, StringComparison.Ordinal);

        AssertFilesEqualSource(mount);

        var status = await FluidProcess.RunAsync(new Dictionary<string, string> { ["FLUID_RUN_DIR"] = run }, TimeSpan.FromSeconds(60), "status", WorkerClusterFixture.Dataset, "-o", "json");
        var report = JsonSerializer.Deserialize(status.Output, ControlJson.Default.DatasetStatusReport)!;
        Assert.Equal(cluster.Workers.Select(w => w.Id), report.Workers!.Select(w => w.Id).Order(StringComparer.Ordinal));
        Assert.True(await FluidProcess.TerminateAsync(fuse.Id, TimeSpan.FromSeconds(30)), "fluid fuse did not exit on SIGTERM");
    }

    [Fact]
    public async Task Fuse_BadInputs_ExitTwoNamingTheProblemWithoutTheToken()
    {
        var shortToken = Path.Combine(_dir, "short-token");
        await File.WriteAllTextAsync(shortToken, "tiny-secret");

        var (code, _, error) = await CommandLine.RunAsync(
            "fuse", "--config", cluster.Manifest, "--token-file", shortToken, "--mount-point", Path.Combine(_dir, "m"), "--membership", "static:w0=127.0.0.1", "--client-cache", "lots");

        Assert.Equal(2, code);
        Assert.Contains("--membership: worker \"w0=127.0.0.1\": missing HOST:DATAPORT", error, StringComparison.Ordinal);
        Assert.Contains($"--token-file: token file {shortToken}: the token has 11 bytes", error, StringComparison.Ordinal);
        Assert.Contains("--client-cache: \"lots\" is not a size", error, StringComparison.Ordinal);
        Assert.DoesNotContain("tiny-secret", error, StringComparison.Ordinal);

        (code, _, error) = await CommandLine.RunAsync(
            "fuse", "--config", Path.Combine(_dir, "missing.yaml"), "--token-file", cluster.TokenFile, "--mount-point", Path.Combine(_dir, "m"), "--membership", "consul:workers");
        Assert.Equal(2, code);
        Assert.Contains($"--config: cannot read {Path.Combine(_dir, "missing.yaml")}", error, StringComparison.Ordinal);
        Assert.Contains("--membership: \"consul:workers\" is not static:", error, StringComparison.Ordinal);

        (code, _, error) = await CommandLine.RunAsync(
            "fuse", "--config", cluster.Manifest, "--dataset", "team/other", "--token-file", cluster.TokenFile, "--mount-point", Path.Combine(_dir, "m"), "--membership", cluster.StaticMembership);
        Assert.Equal(2, code);
        Assert.Equal("fluid fuse: --dataset: no Dataset \"team/other\" in --config (found: team/demo)", error.Trim());
    }

    private static void AssertFilesEqualSource(string mount)
    {
        foreach (var (path, length) in WorkerClusterFixture.Files)
        {
            var bytes = File.ReadAllBytes(Path.Combine(mount, "data", path));
            Assert.True(FluidProcess.Content(path, length).AsSpan().SequenceEqual(bytes), $"{path}: {bytes.Length} bytes read through the mount differ from the source ({length})");
        }

        Assert.Equal(
            WorkerClusterFixture.Files.Where(f => f.Path.StartsWith("small/", StringComparison.Ordinal)).Select(f => f.Path[6..]).Order(StringComparer.Ordinal),
            Directory.GetFiles(Path.Combine(mount, "data", "small")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private ServerProcess StartFuse(string mount, string membership, params string[] extra) => ServerProcess.Start(
        "dotnet",
        [
            FluidProcess.Dll, "fuse",
            "--config", cluster.Manifest,
            "--token-file", cluster.TokenFile,
            "--mount-point", mount,
            "--membership", membership,
            "--node-name", "client-node",
            .. extra,
        ],
        line => line.StartsWith("fuse ready:", StringComparison.Ordinal));
}
