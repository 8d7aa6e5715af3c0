using System.Text.Json.Nodes;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.Tests.Informers;
using Fluid.Kubernetes.TestServer.Control;
using k8s.Autorest;
using k8s.Models;

namespace Fluid.Kubernetes.Tests.Objects;

public sealed class ObjectUpdatesTests
{
    private static readonly ObjectKey Key = new("default", "settings");

    [Fact]
    public async Task CreateOrUpdate_ThreeRuns_CreatesThenLeavesAloneThenUpdates()
    {
        await using var cluster = await TestCluster.StartAsync();
        var configMaps = new ResourceClient<V1ConfigMap>(cluster.Client, ResourceTypes.ConfigMaps);

        var created = await configMaps.CreateOrUpdateAsync(Key, cm => cm.Data = new Dictionary<string, string> { ["mode"] = "a" });
        long afterCreate = cluster.Server.ResourceVersion;
        var unchanged = await configMaps.CreateOrUpdateAsync(Key, cm => cm.Data = new Dictionary<string, string> { ["mode"] = "a" });
        var updated = await configMaps.CreateOrUpdateAsync(Key, cm => cm.Data["mode"] = "b");

        Assert.Equal(ApplyOutcome.Created, created.Outcome);
        Assert.Equal(ApplyOutcome.Unchanged, unchanged.Outcome);
        Assert.Equal(afterCreate.ToString(), unchanged.Object.Metadata.ResourceVersion);
        Assert.Equal(ApplyOutcome.Updated, updated.Outcome);
        Assert.Equal("b", updated.Object.Data["mode"]);
        Assert.Equal(2, cluster.Server.RequestLog.Count(r => r.Method is "POST" or "PUT"));
    }

    [Fact]
    public async Task CreateOrUpdate_InjectedConflicts_RetriesUntilWritten()
    {
        await using var cluster = await TestCluster.StartAsync();
        var configMaps = new ResourceClient<V1ConfigMap>(cluster.Client, ResourceTypes.ConfigMaps);
        await configMaps.CreateOrUpdateAsync(Key, cm => cm.Data = new Dictionary<string, string> { ["mode"] = "a" });
        cluster.Server.InjectFault(new FaultRule { Method = "PUT", Resource = "configmaps", Count = 2, StatusCode = 409 });

        var result = await configMaps.CreateOrUpdateAsync(Key, cm => cm.Data["mode"] = "b");

        Assert.Equal(ApplyOutcome.Updated, result.Outcome);
        Assert.Equal("b", (await configMaps.GetAsync(Key))!.Data["mode"]);
        Assert.Equal([409, 409, 200], cluster.Server.RequestLog.Where(r => r.Method == "PUT").Select(r => r.StatusCode));
        // One read for the first create, one per attempt of the update (three), one to check.
        Assert.Equal(5, cluster.Server.RequestLog.Count(r => r.Method == "GET" && r.Path.EndsWith("/settings", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task CreateOrUpdate_ConcurrentWriter_RereadsAndKeepsBothChanges()
    {
        await using var cluster = await TestCluster.StartAsync();
        var configMaps = new ResourceClient<V1ConfigMap>(cluster.Client, ResourceTypes.ConfigMaps);
        var other = new ResourceClient<V1ConfigMap>(cluster.NewClient(), ResourceTypes.ConfigMaps);
        await configMaps.CreateOrUpdateAsync(Key, cm => cm.Data = new Dictionary<string, string> { ["mine"] = "0" });
        int calls = 0;

        var result = await configMaps.CreateOrUpdateAsync(Key, cm =>
        {
            if (++calls == 1)
            {
                // Another replica writes between our read and our write: our resourceVersion is now stale.
                other.CreateOrUpdateAsync(Key, o => o.Data["theirs"] = "1").GetAwaiter().GetResult();
            }

            cm.Data["mine"] = "1";
        });

        Assert.Equal(2, calls);
        Assert.Equal(new Dictionary<string, string> { ["mine"] = "1", ["theirs"] = "1" }, result.Object.Data);
        Assert.Contains(cluster.Server.RequestLog, r => r.Method == "PUT" && r.StatusCode == 409 && !r.Injected);
    }

    [Fact]
    public async Task CreateOrUpdate_ConflictsNeverStop_ThrowsAfterMaxAttempts()
    {
        await using var cluster = await TestCluster.StartAsync();
        var configMaps = new ResourceClient<V1ConfigMap>(cluster.Client, ResourceTypes.ConfigMaps);
        await configMaps.CreateOrUpdateAsync(Key, cm => cm.Data = new Dictionary<string, string> { ["mode"] = "a" });
        cluster.Server.InjectFault(new FaultRule { Method = "PUT", Resource = "configmaps", Count = 1000, StatusCode = 409 });

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => configMaps.CreateOrUpdateAsync(Key, cm => cm.Data["mode"] = "b"));

        Assert.True(error.IsConflict());
        Assert.Equal(ObjectUpdates.MaxAttempts, cluster.Server.RequestLog.Count(r => r.Method == "PUT"));
    }

    [Fact]
    public async Task CreateOrUpdate_ConcurrentCreate_RetriesAsUpdate()
    {
        await using var cluster = await TestCluster.StartAsync();
        var configMaps = new ResourceClient<V1ConfigMap>(cluster.Client, ResourceTypes.ConfigMaps);
        var other = new ResourceClient<V1ConfigMap>(cluster.NewClient(), ResourceTypes.ConfigMaps);
        int calls = 0;

        var result = await configMaps.CreateOrUpdateAsync(Key, cm =>
        {
            if (++calls == 1)
            {
                other.CreateAsync(new V1ConfigMap { Metadata = new() { Name = Key.Name, NamespaceProperty = Key.Namespace }, Data = new Dictionary<string, string> { ["theirs"] = "1" } }).GetAwaiter().GetResult();
            }

            cm.Data ??= new Dictionary<string, string>();
            cm.Data["mine"] = "1";
        });

        Assert.Equal(ApplyOutcome.Updated, result.Outcome);
        Assert.Equal(new Dictionary<string, string> { ["mine"] = "1", ["theirs"] = "1" }, result.Object.Data);
    }

    [Fact]
    public async Task UpdateStatus_WritesThroughStatusSubresourceOnly()
    {
        await using var cluster = await TestCluster.StartAsync();
        var datasets = new ResourceClient<TestDataset>(cluster.Client, TestDataset.Type);
        await datasets.CreateAsync(new TestDataset { Metadata = new() { Name = "d", NamespaceProperty = "default" }, Spec = new() });
        cluster.Server.InjectFault(new FaultRule { Method = "PUT", Resource = "datasets", Subresource = "status", StatusCode = 409 });

        var result = await datasets.UpdateStatusAsync(new ObjectKey("default", "d"), d =>
        {
            d.Status = new TestDataset.DatasetStatus { Phase = "Bound" };
            d.Spec!.Mounts.Add(new TestDataset.Mount { MountPoint = "ignored://by-status" });
        });

        Assert.Equal(ApplyOutcome.Updated, result!.Outcome);
        var stored = (await datasets.GetAsync(new ObjectKey("default", "d")))!;
        Assert.Equal("Bound", stored.Status!.Phase);
        Assert.Empty(stored.Spec!.Mounts);
        Assert.All(cluster.Server.RequestLog.Where(r => r.Method == "PUT"), r => Assert.EndsWith("/datasets/d/status", r.Path, StringComparison.Ordinal));
        Assert.Null(await datasets.UpdateStatusAsync(new ObjectKey("default", "missing"), d => d.Status = new()));
    }

    [Fact]
    public async Task Finalizers_AddThenDeleteThenRemove_ObjectGoesOnlyAtTheEnd()
    {
        await using var cluster = await TestCluster.StartAsync();
        var datasets = new ResourceClient<TestDataset>(cluster.Client, TestDataset.Type);
        var key = new ObjectKey("default", "d");
        await datasets.CreateAsync(new TestDataset { Metadata = new() { Name = "d", NamespaceProperty = "default" } });

        var added = await datasets.AddFinalizerAsync(key, "data.fluid.io/dataset-controller");
        var again = await datasets.AddFinalizerAsync(key, "data.fluid.io/dataset-controller");
        Assert.True(await datasets.DeleteAsync(key));
        var deleting = (await datasets.GetAsync(key))!;
        await datasets.RemoveFinalizerAsync(key, "data.fluid.io/dataset-controller");

        Assert.Equal(ApplyOutcome.Updated, added!.Outcome);
        Assert.Equal(ApplyOutcome.Unchanged, again!.Outcome);
        Assert.True(deleting.IsBeingDeleted());
        Assert.True(deleting.HasFinalizer("data.fluid.io/dataset-controller"));
        Assert.Null(await datasets.GetAsync(key));
        Assert.False(await datasets.DeleteAsync(key));
    }

    [Fact]
    public async Task SetController_OwnerDeleted_DependentCollected()
    {
        await using var cluster = await TestCluster.StartAsync();
        var datasets = new ResourceClient<TestDataset>(cluster.Client, TestDataset.Type);
        var services = new ResourceClient<V1Service>(cluster.Client, ResourceTypes.Services);
        var owner = await datasets.CreateAsync(new TestDataset { Metadata = new() { Name = "d", NamespaceProperty = "default" } });
        var service = new V1Service { Metadata = new() { Name = "d-worker", NamespaceProperty = "default" }, Spec = new V1ServiceSpec { ClusterIP = "None" } };

        OwnerReferences.SetController(service, owner);
        OwnerReferences.SetController(service, owner);
        var created = await services.CreateAsync(service);
        var reference = Assert.Single(created.Metadata.OwnerReferences);
        Assert.Equal(("data.fluid.io/v1alpha1", "Dataset", "d", owner.Metadata.Uid, true), (reference.ApiVersion, reference.Kind, reference.Name, reference.Uid, reference.Controller!.Value));
        Assert.True(OwnerReferences.IsOwnedBy(created, owner));
        Assert.Throws<InvalidOperationException>(() => OwnerReferences.SetController(created, new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new() { Name = "x", NamespaceProperty = "default", Uid = "other" } }));

        await datasets.DeleteAsync(new ObjectKey("default", "d"));

        await Eventually.TrueAsync(async () => await services.GetAsync(new ObjectKey("default", "d-worker")) is null, "dependent service collected");
    }

    [Fact]
    public async Task MergePatchDiff_AppliedByServer_YieldsModifiedObject()
    {
        await using var cluster = await TestCluster.StartAsync();
        var configMaps = new ResourceClient<V1ConfigMap>(cluster.Client, ResourceTypes.ConfigMaps);
        var original = (await configMaps.CreateOrUpdateAsync(Key, cm =>
        {
            cm.Data = new Dictionary<string, string> { ["keep"] = "1", ["change"] = "2", ["drop"] = "3" };
            cm.Metadata.Labels = new Dictionary<string, string> { ["a"] = "b" };
        })).Object;
        var modified = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = original.Metadata.Name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["a"] = "b", ["c"] = "d" } },
            Data = new Dictionary<string, string> { ["keep"] = "1", ["change"] = "two" },
        };
        var diffOriginal = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = original.Metadata.Name, NamespaceProperty = "default", Labels = original.Metadata.Labels }, Data = original.Data };

        var patch = MergePatches.Diff(diffOriginal, modified);
        var patched = await configMaps.PatchAsync(Key, patch);

        Assert.Equal("""{"data":{"change":"two","drop":null},"metadata":{"labels":{"c":"d"}}}""", JsonNode.Parse((string)patch.Content)!.ToJsonString());
        Assert.Equal(modified.Data, patched.Data);
        Assert.Equal(modified.Metadata.Labels, patched.Metadata.Labels);
    }

    [Fact]
    public async Task LabelsPatch_WithStaleResourceVersion_Conflicts()
    {
        await using var cluster = await TestCluster.StartAsync();
        var configMaps = new ResourceClient<V1ConfigMap>(cluster.Client, ResourceTypes.ConfigMaps);
        var first = (await configMaps.CreateOrUpdateAsync(Key, cm => cm.Data = new Dictionary<string, string> { ["x"] = "1" })).Object;
        var patched = await configMaps.PatchAsync(Key, MergePatches.Labels(new Dictionary<string, string?> { ["fluid.io/s-default-d"] = "true" }, first.Metadata.ResourceVersion));

        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            configMaps.PatchAsync(Key, MergePatches.Labels(new Dictionary<string, string?> { ["fluid.io/s-default-d"] = null }, first.Metadata.ResourceVersion)));
        var removed = await configMaps.PatchAsync(Key, MergePatches.Labels(new Dictionary<string, string?> { ["fluid.io/s-default-d"] = null }));

        Assert.Equal("true", patched.Metadata.Labels["fluid.io/s-default-d"]);
        Assert.True(error.IsConflict());
        Assert.False(removed.Metadata.Labels?.ContainsKey("fluid.io/s-default-d") ?? false);
    }

    [Fact]
    public async Task ResourceClient_ClusterScopedNode_ListsAndPatches()
    {
        await using var cluster = await TestCluster.StartAsync();
        var nodes = new ResourceClient<V1Node>(cluster.Client, ResourceTypes.Nodes);
        for (int i = 0; i < 5; i++)
        {
            await nodes.CreateAsync(new V1Node { Metadata = new() { Name = $"n{i}", Labels = new Dictionary<string, string> { ["zone"] = i < 3 ? "a" : "b" } } });
        }

        var zoneA = await nodes.ListAsync(labelSelector: "zone=a", pageSize: 2);
        var patched = await nodes.PatchAsync(new ObjectKey(null, "n4"), MergePatches.From(new { metadata = new { labels = new Dictionary<string, string> { ["fluid.io/f-default-d"] = "true" } } }));

        Assert.Equal(["n0", "n1", "n2"], zoneA.Select(n => n.Metadata.Name));
        Assert.Equal("true", patched.Metadata.Labels["fluid.io/f-default-d"]);
        Assert.Equal("b", patched.Metadata.Labels["zone"]);
        Assert.Equal(2, cluster.Server.RequestLog.Count(r => r.Method == "GET" && r.Path == "/api/v1/nodes"));
    }
}
