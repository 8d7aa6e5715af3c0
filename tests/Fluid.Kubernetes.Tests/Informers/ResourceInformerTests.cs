using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Fluid.Kubernetes.Informers;
using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.TestServer;
using Fluid.Kubernetes.TestServer.Control;
using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Tests.Informers;

/// <summary>A custom resource type for tests: data.fluid.io/v1alpha1 Dataset with a tiny spec and status.</summary>
public sealed class TestDataset : IKubernetesObject<V1ObjectMeta>
{
    public static readonly ResourceType<TestDataset> Type = new("data.fluid.io", "v1alpha1", "datasets", "Dataset", Namespaced: true);

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "data.fluid.io/v1alpha1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "Dataset";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public DatasetSpec? Spec { get; set; }

    [JsonPropertyName("status")]
    public DatasetStatus? Status { get; set; }

    public sealed class DatasetSpec
    {
        [JsonPropertyName("mounts")]
        public List<Mount> Mounts { get; set; } = [];
    }

    public sealed class Mount
    {
        [JsonPropertyName("mountPoint")]
        public string MountPoint { get; set; } = "";
    }

    public sealed class DatasetStatus
    {
        [JsonPropertyName("phase")]
        public string? Phase { get; set; }
    }
}

public sealed class ResourceInformerTests
{
    private static V1Pod Pod(string name, string ns = "default", Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] },
    };

    private sealed class Recorder<T>
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        public ConcurrentQueue<ResourceEvent<T>> Events { get; } = new();

        public void Record(ResourceEvent<T> e) => Events.Enqueue(e);

        public bool Saw(ResourceEventType type, string name, bool? synthetic = null) =>
            Events.Any(e => e.Type == type && e.Object.Metadata.Name == name && (synthetic is null || e.IsSynthetic == synthetic));
    }

    private static async Task<(ResourceInformer<T> Informer, Recorder<T> Recorder, Task Run, CancellationTokenSource Stop)> StartAsync<T>(
        TestCluster cluster, ResourceType<T> type, InformerOptions? options = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var informer = new ResourceInformer<T>(new ResourceClient<T>(cluster.Client, type), options ?? new InformerOptions { MinRetryDelay = TimeSpan.FromMilliseconds(20) });
        var recorder = new Recorder<T>();
        informer.AddHandler(recorder.Record);
        var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return (informer, recorder, run, stop);
    }

    [Fact]
    public async Task Run_InitialListInPages_LoadsEverythingAndSignalsSynced()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        for (int i = 0; i < 7; i++)
        {
            await pods.CreateAsync(Pod($"p{i}", ns: i % 2 == 0 ? "a" : "b"));
        }

        var informer = new ResourceInformer<V1Pod>(pods, new InformerOptions { PageSize = 3 });
        var recorder = new Recorder<V1Pod>();
        informer.AddHandler(recorder.Record);
        Assert.False(informer.HasSynced);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(informer.HasSynced);
        Assert.Equal(7, informer.Cache.Count);
        Assert.Equal(4, informer.Cache.List("a").Count);
        Assert.Equal(7, recorder.Events.Count(e => e.Type == ResourceEventType.Added));
        var lists = cluster.Server.RequestLog.Where(r => r.Method == "GET" && !r.Watch && r.Path == "/api/v1/pods").ToList();
        Assert.Equal(3, lists.Count);
        Assert.All(lists, l => Assert.Contains("limit=3", l.Query, StringComparison.Ordinal));
        Assert.Equal("Pod", informer.Cache.Get(new ObjectKey("a", "p0"))!.Kind);
        Assert.Equal(cluster.Server.ResourceVersion.ToString(), informer.ResourceVersion);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Run_ChangesAfterSync_UpdateCacheAndReachHandlers()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        await pods.CreateAsync(Pod("old"));
        var (informer, recorder, run, stop) = await StartAsync(cluster, ResourceTypes.Pods);

        await pods.CreateAsync(Pod("new", labels: new() { ["app"] = "x" }));
        await pods.PatchAsync(new ObjectKey("default", "old"), new V1Patch("""{"metadata":{"labels":{"app":"x"}}}""", V1Patch.PatchType.MergePatch));
        await pods.DeleteAsync(new ObjectKey("default", "new"));

        await Eventually.TrueAsync(() => recorder.Saw(ResourceEventType.Deleted, "new"), "delete seen");
        Assert.True(recorder.Saw(ResourceEventType.Added, "new"));
        var modified = recorder.Events.Single(e => e.Type == ResourceEventType.Modified);
        Assert.Equal("old", modified.Object.Metadata.Name);
        Assert.Null(modified.Old!.Metadata.Labels);
        Assert.Equal("x", modified.Object.Metadata.Labels["app"]);
        Assert.Null(informer.Cache.Get(new ObjectKey("default", "new")));
        Assert.Equal(["old"], informer.Cache.ListMatching("app=x").Select(p => p.Metadata.Name));
        Assert.Equal(1, informer.ListCount);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Run_WatchStartsFromCompactedVersion_RelistsWithSyntheticDeletes()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        await pods.CreateAsync(Pod("stays"));
        await pods.CreateAsync(Pod("vanishes"));
        var (informer, recorder, run, stop) = await StartAsync(cluster, ResourceTypes.Pods);
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 1, "watch open");

        using (cluster.Server.HoldWatches())
        {
            // While the informer cannot watch, one object goes and one comes, and history is compacted past both.
            Assert.Equal(1, cluster.Server.CloseWatches());
            cluster.Server.Delete("pods", "default", "vanishes");
            cluster.Server.Create("pods", new System.Text.Json.Nodes.JsonObject
            {
                ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "appears", ["namespace"] = "default" },
            });
            cluster.Server.Compact();
        }

        await Eventually.TrueAsync(() => recorder.Saw(ResourceEventType.Deleted, "vanishes", synthetic: true), "synthetic delete");
        Assert.True(recorder.Saw(ResourceEventType.Added, "appears"));
        Assert.Equal(2, informer.ListCount);
        Assert.True(informer.Expirations >= 1);
        Assert.Equal(["appears", "stays"], informer.Cache.List().Select(p => p.Metadata.Name).Order());
        Assert.False(recorder.Saw(ResourceEventType.Modified, "stays"));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Run_ExpiredMidStream_RelistsAndKeepsWatching()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        var (informer, recorder, run, stop) = await StartAsync(cluster, ResourceTypes.Pods);
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 1, "watch open");

        Assert.Equal(1, cluster.Server.ExpireWatches());
        await Eventually.TrueAsync(() => informer.ListCount == 2, "relist after 410");
        await pods.CreateAsync(Pod("after"));

        await Eventually.TrueAsync(() => recorder.Saw(ResourceEventType.Added, "after"), "event after relist");
        Assert.Equal(1, informer.Expirations);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Run_WatchRefusedWithHttp410_Relists()
    {
        await using var cluster = await TestCluster.StartAsync(new KubeApiServerOptions { WatchGoneAsHttpStatus = true });
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        await pods.CreateAsync(Pod("a"));
        var (informer, recorder, run, stop) = await StartAsync(cluster, ResourceTypes.Pods);
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 1, "watch open");

        using (cluster.Server.HoldWatches())
        {
            cluster.Server.CloseWatches();
            cluster.Server.Delete("pods", "default", "a");
            cluster.Server.Compact();
        }

        await Eventually.TrueAsync(() => recorder.Saw(ResourceEventType.Deleted, "a", synthetic: true), "synthetic delete after HTTP 410");
        Assert.Contains(cluster.Server.RequestLog, r => r.Watch && r.StatusCode == 410);
        Assert.Equal(2, informer.ListCount);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Run_WatchConnectionCut_ResumesFromLastVersionWithoutRelist()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        var (informer, recorder, run, stop) = await StartAsync(cluster, ResourceTypes.Pods);
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 1, "watch open");

        using (cluster.Server.HoldWatches())
        {
            Assert.Equal(1, cluster.Server.AbortWatches());
            // Changes made while the informer is disconnected arrive when it resumes from its resourceVersion.
            await pods.CreateAsync(Pod("during"));
        }

        await pods.CreateAsync(Pod("after"));
        await Eventually.TrueAsync(() => recorder.Saw(ResourceEventType.Added, "after"), "event after reconnect");
        Assert.True(recorder.Saw(ResourceEventType.Added, "during"));
        Assert.Equal(1, informer.ListCount);
        Assert.True(informer.WatchCount >= 2);
        var resumed = cluster.Server.RequestLog.Where(r => r.Watch).Skip(1).First();
        Assert.Contains("resourceVersion=", resumed.Query, StringComparison.Ordinal);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Run_SilentWatch_WatchdogRestartsIt()
    {
        await using var cluster = await TestCluster.StartAsync(new KubeApiServerOptions { BookmarkInterval = null });
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        var options = new InformerOptions { WatchdogTimeout = TimeSpan.FromMilliseconds(600), MinRetryDelay = TimeSpan.FromMilliseconds(20) };
        var (informer, recorder, run, stop) = await StartAsync(cluster, ResourceTypes.Pods, options);
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 1, "watch open");

        Assert.Equal(1, cluster.Server.MuteWatches());
        await pods.CreateAsync(Pod("unheard"));

        await Eventually.TrueAsync(() => recorder.Saw(ResourceEventType.Added, "unheard"), "event after watchdog restart");
        Assert.True(informer.WatchdogRestarts >= 1);
        Assert.Equal(1, informer.ListCount);
        await stop.CancelAsync();
        await run;
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 0, "no watch left open on the server");
    }

    [Fact]
    public async Task Run_Bookmarks_KeepQuietWatchAliveAndAdvanceVersion()
    {
        await using var cluster = await TestCluster.StartAsync(new KubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        var options = new InformerOptions { WatchdogTimeout = TimeSpan.FromMilliseconds(1200) };
        var (informer, _, run, stop) = await StartAsync(cluster, ResourceTypes.Pods, options);
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "other-resource", NamespaceProperty = "default" } }, "default");

        await Eventually.TrueAsync(() => informer.ResourceVersion == cluster.Server.ResourceVersion.ToString(), "bookmark advanced the version");
        await Task.Delay(1800);

        Assert.Equal(0, informer.WatchdogRestarts);
        Assert.Equal(1, informer.WatchCount);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Run_CustomResource_TypedObjectsAndIndex()
    {
        await using var cluster = await TestCluster.StartAsync();
        var datasets = new ResourceClient<TestDataset>(cluster.Client, TestDataset.Type);
        await datasets.CreateAsync(new TestDataset
        {
            Metadata = new V1ObjectMeta { Name = "imagenet", NamespaceProperty = "default" },
            Spec = new TestDataset.DatasetSpec { Mounts = [new TestDataset.Mount { MountPoint = "s3://bucket/imagenet" }] },
        });
        var informer = new ResourceInformer<TestDataset>(datasets);
        informer.Cache.AddIndex("mount", d => d.Spec?.Mounts.Select(m => m.MountPoint) ?? []);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));

        await datasets.UpdateStatusAsyncForTest(new ObjectKey("default", "imagenet"), "Bound");

        await Eventually.TrueAsync(() => informer.Cache.Get(new ObjectKey("default", "imagenet"))?.Status?.Phase == "Bound", "status seen");
        var found = Assert.Single(informer.Cache.ByIndex("mount", "s3://bucket/imagenet"));
        Assert.Equal("imagenet", found.Metadata.Name);
        Assert.Empty(informer.Cache.ByIndex("mount", "s3://other"));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Run_ListFailsTwice_RetriesWithBackoffThenSyncs()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        await pods.CreateAsync(Pod("a"));
        cluster.Server.InjectFault(new FaultRule { Method = "GET", Resource = "pods", Watch = false, Count = 2, StatusCode = 503 });
        var informer = new ResourceInformer<V1Pod>(pods, new InformerOptions { MinRetryDelay = TimeSpan.FromMilliseconds(100) });
        using var stop = new CancellationTokenSource();
        var started = System.Diagnostics.Stopwatch.StartNew();

        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));

        // Two failures: waits of at least 100 ms and 200 ms before the third list.
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(300), $"synced after {started.Elapsed}");
        Assert.Equal(1, informer.ListCount);
        Assert.Equal(1, informer.Cache.Count);
        Assert.Equal([503, 503, 200], cluster.Server.RequestLog.Where(r => r.Method == "GET" && !r.Watch).Select(r => r.StatusCode));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Run_HandlerThrows_InformerKeepsGoing()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        var informer = new ResourceInformer<V1Pod>(pods);
        informer.AddHandler(_ => throw new InvalidOperationException("broken handler"));
        var recorder = new Recorder<V1Pod>();
        informer.AddHandler(recorder.Record);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));

        await pods.CreateAsync(Pod("a"));
        await pods.CreateAsync(Pod("b"));

        await Eventually.TrueAsync(() => recorder.Saw(ResourceEventType.Added, "b"), "second event");
        Assert.Equal(2, informer.Cache.Count);
        await stop.CancelAsync();
        await run;
    }
}

internal static class DatasetTestExtensions
{
    public static async Task UpdateStatusAsyncForTest(this ResourceClient<TestDataset> client, ObjectKey key, string phase)
    {
        var current = (await client.GetAsync(key))!;
        current.Status = new TestDataset.DatasetStatus { Phase = phase };
        await client.ReplaceStatusAsync(current);
    }
}
