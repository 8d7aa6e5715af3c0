using Fluid.Kubernetes.Informers;
using Fluid.Kubernetes.LeaderElection;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.TestServer;
using Fluid.Operator.Hosting;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Operator.Tests.Harness;

/// <summary>An in-process API server, a real KubernetesClient and the real operator running against it.</summary>
public sealed class OperatorCluster : IAsyncDisposable
{
    private readonly List<(OperatorHost Host, CancellationTokenSource Stop, Task Run)> _operators = [];

    private OperatorCluster(KubeApiServer server)
    {
        Server = server;
        Client = NewClient();
        Cluster = new Cluster(Client, NullLoggerFactory.Instance);
    }

    public KubeApiServer Server { get; }

    /// <summary>The operators started so far.</summary>
    public IReadOnlyList<OperatorHost> Operators => [.. _operators.Select(o => o.Host)];

    public k8s.Kubernetes Client { get; }

    /// <summary>Clients for the test's own reads and writes (its informers are not run).</summary>
    public Cluster Cluster { get; }

    public static OperatorOptions FastOptions { get; } = new()
    {
        StatusInterval = TimeSpan.FromMilliseconds(300),
        DeletionRecheck = TimeSpan.FromMilliseconds(200),
        Image = new() { Repository = "registry.example.com/fluid", Tag = "1.2.3" },
    };

    public static InformerOptions FastInformers { get; } = new() { MinRetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(500) };

    /// <summary>Starts a server and, unless <paramref name="startOperator"/> is false, one operator.</summary>
    public static async Task<OperatorCluster> StartAsync(OperatorOptions? options = null, bool startOperator = true)
    {
        var cluster = new OperatorCluster(await KubeApiServer.StartAsync(new KubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(500) }));
        if (startOperator)
        {
            await cluster.StartOperatorAsync(options);
        }

        return cluster;
    }

    public k8s.Kubernetes NewClient() => new(new KubernetesClientConfiguration { Host = Server.Url.ToString() });

    /// <summary>Starts an operator (with its own client) and waits until its informers have synced.</summary>
    public async Task<OperatorHost> StartOperatorAsync(OperatorOptions? options = null, LeaderElectionOptions? election = null, HttpClient? http = null)
    {
        var host = new OperatorHost(NewClient(), options ?? FastOptions, NullLoggerFactory.Instance, election, http: http, informerOptions: FastInformers);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => host.RunAsync(stop.Token));
        _operators.Add((host, stop, run));
        await host.Cluster.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return host;
    }

    /// <summary>Stops an operator cleanly and waits for it.</summary>
    public async Task StopOperatorAsync(OperatorHost host)
    {
        var entry = _operators.Single(o => o.Host == host);
        await entry.Stop.CancelAsync();
        await entry.Run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async Task<T> CreateAsync<T>(ResourceClient<T> client, T obj)
        where T : class, IKubernetesObject<V1ObjectMeta> => await client.CreateAsync(obj);

    /// <summary>Plays the StatefulSet controller and kubelet: N worker pods on nodes node-0..N-1, ready, with pod IPs.</summary>
    public async Task RunWorkersAsync(string ns, string runtime, int ready, int replicas, string podIp = "127.0.0.1")
    {
        var names = new Naming.RuntimeNames(ns, runtime);
        for (int i = 0; i < replicas; i++)
        {
            await EnsureNodeAsync($"node-{i}");
            var name = $"{names.Workers}-{i}";
            var pod = await Cluster.Pods.GetAsync(new ObjectKey(ns, name));
            if (pod is null)
            {
                pod = await Cluster.Pods.CreateAsync(new V1Pod
                {
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = names.WorkerSelector.ToDictionary() },
                    Spec = new V1PodSpec { NodeName = $"node-{i}", Containers = [new V1Container { Name = "worker", Image = "fluid" }] },
                });
            }

            bool isReady = i < ready;
            await Cluster.Pods.UpdateStatusAsync(new ObjectKey(ns, name), p => p.Status = new V1PodStatus
            {
                Phase = "Running",
                PodIP = podIp,
                Conditions = [new V1PodCondition { Type = "Ready", Status = isReady ? "True" : "False" }],
            });
        }

        await Eventually.TrueAsync(async () => await Cluster.StatefulSets.GetAsync(new ObjectKey(ns, names.Workers)) is not null, "worker StatefulSet exists");
        await Cluster.StatefulSets.UpdateStatusAsync(new ObjectKey(ns, names.Workers), s => s.Status = new V1StatefulSetStatus
        {
            Replicas = replicas,
            ReadyReplicas = ready,
            AvailableReplicas = ready,
            CurrentReplicas = replicas,
        });
    }

    public async Task<V1Node> EnsureNodeAsync(string name) =>
        await Cluster.Nodes.GetAsync(new ObjectKey(null, name))
        ?? await Cluster.Nodes.CreateAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } } });

    public async ValueTask DisposeAsync()
    {
        foreach (var (host, stop, run) in _operators)
        {
            await stop.CancelAsync();
            try
            {
                await run.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
                // Best effort on teardown.
            }

            host.Dispose();
            stop.Dispose();
        }

        Client.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Polling with a deadline, for conditions the controllers reach asynchronously.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            await Task.Delay(25);
        }
    }

    public static async Task<T> ValueAsync<T>(Func<Task<T?>> read, Func<T, bool> condition, string what, TimeSpan? timeout = null)
        where T : class
    {
        T? last = null;
        await TrueAsync(async () =>
        {
            last = await read();
            return last is not null && condition(last);
        }, what, timeout);
        return last!;
    }
}
