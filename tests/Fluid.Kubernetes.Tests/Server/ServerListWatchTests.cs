using System.Net;
using Fluid.Kubernetes.Resources;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Fluid.Kubernetes.Tests.Server;

/// <summary>Selectors, pagination, watch streams, compaction and garbage collection of the test API server.</summary>
public sealed class ServerListWatchTests
{
    private static V1Pod Pod(string name, Dictionary<string, string>? labels = null, string ns = "default", string? node = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "i" }] },
    };

    private static async Task<ResourceClient<V1Pod>> SeedPodsAsync(TestCluster cluster)
    {
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        await pods.CreateAsync(Pod("a", new() { ["app"] = "worker", ["tier"] = "cache" }, node: "n1"));
        await pods.CreateAsync(Pod("b", new() { ["app"] = "worker", ["tier"] = "fuse" }, node: "n2"));
        await pods.CreateAsync(Pod("c", new() { ["app"] = "client" }));
        await pods.CreateAsync(Pod("d"));
        await pods.CreateAsync(Pod("e", new() { ["app"] = "worker" }, ns: "other"));
        return pods;
    }

    [Theory]
    [InlineData("app=worker", "a,b")]
    [InlineData("app==worker", "a,b")]
    [InlineData("app!=worker", "c,d")]
    [InlineData("tier in (cache,fuse)", "a,b")]
    [InlineData("app notin (worker)", "c,d")]
    [InlineData("tier", "a,b")]
    [InlineData("!app", "d")]
    [InlineData("app=worker,tier notin (fuse)", "a")]
    public async Task List_LabelSelector_ReturnsMatchingObjects(string selector, string expected)
    {
        await using var cluster = await TestCluster.StartAsync();
        await SeedPodsAsync(cluster);

        var list = await cluster.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: selector);

        Assert.Equal(expected, string.Join(",", list.Items.Select(p => p.Metadata.Name)));
    }

    [Fact]
    public async Task List_BadLabelSelector_Returns400()
    {
        await using var cluster = await TestCluster.StartAsync();

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app in worker)"));

        Assert.Equal(HttpStatusCode.BadRequest, error.Response.StatusCode);
    }

    [Theory]
    [InlineData("metadata.name=b", "b")]
    [InlineData("metadata.name!=b", "a,c,d,e")]
    [InlineData("metadata.namespace=other", "e")]
    [InlineData("spec.nodeName=n1", "a")]
    public async Task List_FieldSelectorAllNamespaces_ReturnsMatchingObjects(string selector, string expected)
    {
        await using var cluster = await TestCluster.StartAsync();
        await SeedPodsAsync(cluster);

        var list = await cluster.Client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: selector);

        Assert.Equal(expected, string.Join(",", list.Items.Select(p => p.Metadata.Name)));
    }

    [Fact]
    public async Task List_Paginated_ReturnsConsistentSnapshot()
    {
        await using var cluster = await TestCluster.StartAsync();
        await SeedPodsAsync(cluster);

        var first = await cluster.Client.CoreV1.ListPodForAllNamespacesAsync(limit: 2);
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pod("aa"), "default");
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("e", "other");
        var second = await cluster.Client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, continueParameter: first.Metadata.ContinueProperty);
        var third = await cluster.Client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, continueParameter: second.Metadata.ContinueProperty);

        Assert.Equal(["a", "b"], first.Items.Select(p => p.Metadata.Name));
        Assert.Equal(3, first.Metadata.RemainingItemCount);
        Assert.Equal(["c", "d"], second.Items.Select(p => p.Metadata.Name));
        Assert.Equal(["e"], third.Items.Select(p => p.Metadata.Name));
        Assert.Null(third.Metadata.ContinueProperty);
        Assert.Equal(first.Metadata.ResourceVersion, third.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task List_ContinueAfterCompaction_Returns410()
    {
        await using var cluster = await TestCluster.StartAsync();
        await SeedPodsAsync(cluster);
        var first = await cluster.Client.CoreV1.ListPodForAllNamespacesAsync(limit: 2);
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pod("z"), "default");
        cluster.Server.Compact();

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, continueParameter: first.Metadata.ContinueProperty));

        Assert.True(error.IsGone());
        Assert.Equal("Expired", error.Status()!.Reason);
    }

    [Fact]
    public async Task Watch_FromResourceVersion_StreamsChangesInOrder()
    {
        await using var cluster = await TestCluster.StartAsync(new() { BookmarkInterval = null });
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        await pods.CreateAsync(Pod("before"));
        string from = cluster.Server.ResourceVersion.ToString();
        await pods.CreateAsync(Pod("a"));
        await pods.PatchAsync(new ObjectKey("default", "a"), new V1Patch("""{"metadata":{"labels":{"x":"1"}}}""", V1Patch.PatchType.MergePatch));
        await pods.DeleteAsync(new ObjectKey("default", "a"));

        var events = await CollectAsync(pods.WatchAsync(new ListRequest { Namespace = "default", ResourceVersion = from }), 3);

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("a", e.Object!.Metadata.Name));
        var versions = events.Select(e => long.Parse(e.Object!.Metadata.ResourceVersion)).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(cluster.Server.ResourceVersion, versions[^1]);
        Assert.Equal("1", events[1].Object!.Metadata.Labels["x"]);
    }

    [Fact]
    public async Task Watch_NoResourceVersion_StartsWithAddedForExistingObjects()
    {
        await using var cluster = await TestCluster.StartAsync(new() { BookmarkInterval = null });
        var pods = await SeedPodsAsync(cluster);

        var events = await CollectAsync(pods.WatchAsync(new ListRequest { Namespace = "default", LabelSelector = "app=worker" }), 2);

        Assert.Equal(["a", "b"], events.Select(e => e.Object!.Metadata.Name));
        Assert.All(events, e => Assert.Equal(WatchEventType.Added, e.Type));
    }

    [Fact]
    public async Task Watch_ObjectLeavesSelector_SeenAsDeleted()
    {
        await using var cluster = await TestCluster.StartAsync(new() { BookmarkInterval = null });
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        string from = cluster.Server.ResourceVersion.ToString();
        await pods.CreateAsync(Pod("a", new() { ["app"] = "worker" }));
        await pods.PatchAsync(new ObjectKey("default", "a"), new V1Patch("""{"metadata":{"labels":{"app":"other"}}}""", V1Patch.PatchType.MergePatch));
        await pods.PatchAsync(new ObjectKey("default", "a"), new V1Patch("""{"metadata":{"labels":{"app":"worker"}}}""", V1Patch.PatchType.MergePatch));

        var events = await CollectAsync(pods.WatchAsync(new ListRequest { Namespace = "default", LabelSelector = "app=worker", ResourceVersion = from }), 3);

        Assert.Equal([WatchEventType.Added, WatchEventType.Deleted, WatchEventType.Added], events.Select(e => e.Type));
    }

    [Fact]
    public async Task Watch_Bookmarks_CarryCurrentResourceVersion()
    {
        await using var cluster = await TestCluster.StartAsync(new() { BookmarkInterval = null });
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        string from = cluster.Server.ResourceVersion.ToString();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<WatchEvent<V1Pod>>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in pods.WatchAsync(new ListRequest { Namespace = "default", ResourceVersion = from, AllowBookmarks = true }, cts.Token))
            {
                lock (events)
                {
                    events.Add(e);
                }

                if (e.Type == WatchEventType.Bookmark)
                {
                    return;
                }
            }
        });
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 1, "watch open");
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "elsewhere", NamespaceProperty = "default" } }, "default");

        cluster.Server.SendBookmarks();
        await watching;

        var bookmark = Assert.Single(events);
        Assert.Equal(WatchEventType.Bookmark, bookmark.Type);
        Assert.Equal(cluster.Server.ResourceVersion.ToString(), bookmark.Object!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Watch_FromCompactedVersion_SendsError410Event()
    {
        await using var cluster = await TestCluster.StartAsync(new() { BookmarkInterval = null });
        var pods = await SeedPodsAsync(cluster);
        cluster.Server.Compact();

        var events = await CollectAsync(pods.WatchAsync(new ListRequest { Namespace = "default", ResourceVersion = "1" }), 1);

        var error = Assert.Single(events);
        Assert.Equal(WatchEventType.Error, error.Type);
        Assert.Equal(410, error.Error!.Code);
        Assert.Equal("Expired", error.Error.Reason);
    }

    [Fact]
    public async Task Watch_FromCompactedVersionWithHttpStatusMode_Throws410()
    {
        await using var cluster = await TestCluster.StartAsync(new() { BookmarkInterval = null, WatchGoneAsHttpStatus = true });
        var pods = await SeedPodsAsync(cluster);
        cluster.Server.Compact();

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => CollectAsync(pods.WatchAsync(new ListRequest { Namespace = "default", ResourceVersion = "1" }), 1));

        Assert.True(error.IsGone());
    }

    [Fact]
    public async Task ExpireWatches_OpenWatch_GetsError410AndEnds()
    {
        await using var cluster = await TestCluster.StartAsync(new() { BookmarkInterval = null });
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        var collecting = CollectAsync(pods.WatchAsync(new ListRequest { Namespace = "default", ResourceVersion = cluster.Server.ResourceVersion.ToString() }), 2);
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 1, "watch open");

        Assert.Equal(1, cluster.Server.ExpireWatches());
        var events = await collecting;

        Assert.Equal(410, Assert.Single(events).Error!.Code);
        Assert.Equal(cluster.Server.ResourceVersion, cluster.Server.CompactedResourceVersion);
    }

    [Fact]
    public async Task Delete_Owner_GarbageCollectsDependentsInBackground()
    {
        await using var cluster = await TestCluster.StartAsync();
        var owner = await cluster.Client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = "owner", NamespaceProperty = "default" },
            Spec = new V1StatefulSetSpec { ServiceName = "owner", Selector = new V1LabelSelector(), Template = new V1PodTemplateSpec() },
        }, "default");
        var reference = new V1OwnerReference { ApiVersion = "apps/v1", Kind = "StatefulSet", Name = "owner", Uid = owner.Metadata.Uid, Controller = true };
        var otherOwner = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "other", NamespaceProperty = "default" } }, "default");
        var otherReference = new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "other", Uid = otherOwner.Metadata.Uid };
        var onlyChild = Pod("only");
        onlyChild.Metadata.OwnerReferences = [reference];
        var sharedChild = Pod("shared");
        sharedChild.Metadata.OwnerReferences = [reference, otherReference];
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(onlyChild, "default");
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(sharedChild, "default");

        await cluster.Client.AppsV1.DeleteNamespacedStatefulSetAsync("owner", "default");

        await Eventually.TrueAsync(() => cluster.Server.GetObject("pods", "default", "only") is null, "dependent collected");
        var shared = await cluster.Client.CoreV1.ReadNamespacedPodAsync("shared", "default");
        Assert.Equal("other", Assert.Single(shared.Metadata.OwnerReferences).Name);
    }

    [Fact]
    public async Task Delete_OwnerWithOrphanPolicy_KeepsDependentsWithoutReference()
    {
        await using var cluster = await TestCluster.StartAsync();
        var owner = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "owner", NamespaceProperty = "default" } }, "default");
        var child = Pod("child");
        child.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = owner.Metadata.Uid }];
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(child, "default");

        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Orphan");
        cluster.Server.CollectGarbage();

        var kept = await cluster.Client.CoreV1.ReadNamespacedPodAsync("child", "default");
        Assert.Null(kept.Metadata.OwnerReferences);
    }

    [Fact]
    public async Task Delete_OwnerInForeground_WaitsForDependents()
    {
        await using var cluster = await TestCluster.StartAsync();
        var owner = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "owner", NamespaceProperty = "default" } }, "default");
        var child = Pod("child");
        child.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = owner.Metadata.Uid, BlockOwnerDeletion = true }];
        child.Metadata.Finalizers = ["test/hold"];
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(child, "default");

        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Foreground");
        cluster.Server.CollectGarbage();
        var waiting = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("owner", "default");
        var dying = await cluster.Client.CoreV1.ReadNamespacedPodAsync("child", "default");
        Assert.NotNull(waiting.Metadata.DeletionTimestamp);
        Assert.Contains("foregroundDeletion", waiting.Metadata.Finalizers);
        Assert.NotNull(dying.Metadata.DeletionTimestamp);

        await cluster.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "child", "default");

        await Eventually.TrueAsync(() => cluster.Server.GetObject("configmaps", "default", "owner") is null, "owner deleted after its dependent");
        Assert.Null(cluster.Server.GetObject("pods", "default", "child"));
    }

    private static async Task<List<WatchEvent<V1Pod>>> CollectAsync(IAsyncEnumerable<WatchEvent<V1Pod>> stream, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<WatchEvent<V1Pod>>();
        try
        {
            await foreach (var e in stream.WithCancellation(cts.Token))
            {
                events.Add(e);
                if (events.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"expected {count} watch events, got {events.Count}");
        }

        return events;
    }
}
