using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Fluid.Cache.Cluster.Security;
using Fluid.Cache.Cluster.Worker;
using Fluid.Testing;

namespace Fluid.Cli.Tests.Cluster;

/// <summary>
/// Three real `fluid worker` processes of Dataset team/demo on loopback, started from the same manifest the pods get
/// (`--config`), each with a MEM tier and its own node name, over a local source directory.
/// </summary>
public sealed class WorkerClusterFixture : IAsyncLifetime
{
    public const string Dataset = "team/demo";
    public const int WorkerCount = 3;

    /// <summary>Files of the dataset (under the mount "data"): page edges, an empty file, a large one, many small ones.</summary>
    public static readonly (string Path, int Length)[] Files =
    [
        ("empty.bin", 0),
        ("one.bin", 1),
        ("page-minus-one.bin", (1 << 20) - 1),
        ("page-plus-one.bin", (1 << 20) + 1),
        ("big/large.bin", 9_000_001),
        ("deep/a/b/c.bin", 777_777),
        .. Enumerable.Range(0, 24).Select(i => ($"small/s{i:00}.bin", 10_000 + (i * 37_501))),
    ];

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<ServerProcess> _workers = [];

    public string Root { get; } = TestPaths.CreateTempDirectory("cli-cluster");

    public string Source => Path.Combine(Root, "source");

    public string Manifest => Path.Combine(Root, "manifest.yaml");

    public string TokenFile => Path.Combine(Root, "token");

    public string Secret { get; } = ClusterToken.GenerateSecret();

    public (string Id, int DataPort, int HttpPort, string Node)[] Workers { get; } = new (string, int, int, string)[WorkerCount];

    /// <summary>The workers as <c>--membership static:...</c>.</summary>
    public string StaticMembership => "static:" + string.Join(',', Workers.Select(w => $"{w.Id}=127.0.0.1:{w.DataPort}:{w.HttpPort}@{w.Node}"));

    public static long TotalBytes => Files.Sum(f => (long)f.Length);

    public async Task InitializeAsync()
    {
        foreach (var (path, length) in Files)
        {
            var full = Path.Combine(Source, "data-root", path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllBytesAsync(full, FluidProcess.Content(path, length));
        }

        await File.WriteAllTextAsync(Manifest, $"""
            apiVersion: data.fluid.io/v1alpha1
            kind: Dataset
            metadata:
              name: demo
              namespace: team
            spec:
              mounts:
                - mountPoint: local://{Source}/data-root
                  name: data
            ---
            apiVersion: data.fluid.io/v1alpha1
            kind: FluidCacheRuntime
            metadata:
              name: demo
              namespace: team
            spec:
              replicas: 3
              tieredstore:
                levels:
                  - mediumtype: MEM
                    path: /dev/shm
                    quota: 64Mi
            """);
        await File.WriteAllTextAsync(TokenFile, Secret + "\n");
        for (var i = 0; i < WorkerCount; i++)
        {
            Workers[i] = ($"demo-worker-{i}", FreePort.Next(), FreePort.Next(), $"node-{i}");
        }

        await Task.WhenAll(Workers.Select(StartWorkerAsync));
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        _http.Dispose();
        TestPaths.DeleteQuietly(Root);
    }

    /// <summary>Reads a worker's <c>GET /summary</c> with the dataset's credential.</summary>
    public async Task<WorkerSummary> SummaryAsync(int worker)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Workers[worker].HttpPort.ToString(CultureInfo.InvariantCulture)}/summary");
        request.Headers.Authorization = AuthenticationHeaderValue.Parse(ClusterToken.FromSecret(Secret).AuthorizationHeader(Dataset));
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ClusterJsonContext.Default.WorkerSummary)!;
    }

    private async Task StartWorkerAsync((string Id, int DataPort, int HttpPort, string Node) worker)
    {
        var process = ServerProcess.Start(
            "dotnet",
            [
                FluidProcess.Dll, "worker",
                "--config", Manifest,
                "--token-file", TokenFile,
                "--listen", $"127.0.0.1:{worker.DataPort.ToString(CultureInfo.InvariantCulture)}",
                "--http", $"127.0.0.1:{worker.HttpPort.ToString(CultureInfo.InvariantCulture)}",
                "--id", worker.Id,
                "--node-name", worker.Node,
                "--readahead", "0",
            ],
            line => line.StartsWith($"worker {worker.Id} ready", StringComparison.Ordinal));
        lock (_workers)
        {
            _workers.Add(process);
        }

        await process.WaitForLineAsync(TimeSpan.FromSeconds(60));
    }
}

[CollectionDefinition(Name)]
public sealed class WorkerClusterCollection : ICollectionFixture<WorkerClusterFixture>
{
    public const string Name = "three fluid worker processes of team/demo";
}
