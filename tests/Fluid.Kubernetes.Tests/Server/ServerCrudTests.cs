using System.Net;
using System.Text.Json;
using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.TestServer.Control;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Fluid.Kubernetes.Tests.Server;

/// <summary>The test API server's REST semantics, driven through KubernetesClient's typed operations.</summary>
public sealed class ServerCrudTests
{
    private static V1ConfigMap ConfigMap(string name, string ns = "default", Dictionary<string, string>? data = null, Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
        Data = data ?? new Dictionary<string, string> { ["k"] = "v" },
    };

    private static V1StatefulSet StatefulSet(string name, int replicas = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = name,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "worker", Image = "fluid:test" }] },
            },
        },
    };

    [Fact]
    public async Task Create_NewObject_AssignsServerFields()
    {
        await using var cluster = await TestCluster.StartAsync();
        long before = cluster.Server.ResourceVersion;

        var created = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");

        Assert.True(Guid.TryParse(created.Metadata.Uid, out _));
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal((before + 1).ToString(), created.Metadata.ResourceVersion);
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.True((DateTime.UtcNow - created.Metadata.CreationTimestamp!.Value).Duration() < TimeSpan.FromMinutes(1));
        Assert.Equal("ConfigMap", created.Kind);
        Assert.Equal("v1", created.ApiVersion);
        Assert.Equal("v", created.Data["k"]);
    }

    [Fact]
    public async Task Create_GenerateName_AppendsRandomSuffix()
    {
        await using var cluster = await TestCluster.StartAsync();
        var obj = new V1ConfigMap { Metadata = new V1ObjectMeta { GenerateName = "load-", NamespaceProperty = "default" } };

        var created = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(obj, "default");

        Assert.StartsWith("load-", created.Metadata.Name);
        Assert.Equal(10, created.Metadata.Name.Length);
    }

    [Fact]
    public async Task Create_Existing_Returns409AlreadyExists()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default"));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        var status = error.Status()!;
        Assert.Equal("AlreadyExists", status.Reason);
        Assert.Equal(409, status.Code);
        Assert.Equal("Failure", status.Status);
        Assert.Equal("configmaps \"a\" already exists", status.Message);
        Assert.Equal("a", status.Details.Name);
    }

    [Fact]
    public async Task Get_Missing_Returns404StatusBody()
    {
        await using var cluster = await TestCluster.StartAsync();

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.AppsV1.ReadNamespacedStatefulSetAsync("nope", "default"));

        Assert.True(error.IsNotFound());
        var status = error.Status()!;
        Assert.Equal("NotFound", status.Reason);
        Assert.Equal(404, status.Code);
        Assert.Equal("statefulsets.apps \"nope\" not found", status.Message);
        Assert.Equal("apps", status.Details.Group);
        Assert.Equal("statefulsets", status.Details.Kind);
    }

    [Fact]
    public async Task Replace_StaleResourceVersion_Returns409Conflict()
    {
        await using var cluster = await TestCluster.StartAsync();
        var created = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var first = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("a", "default");
        first.Data["k"] = "first";
        await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(first, "a", "default");

        created.Data["k"] = "stale";
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "a", "default"));

        Assert.True(error.IsConflict());
        Assert.Equal("Conflict", error.Status()!.Reason);
        Assert.Contains("the object has been modified", error.Status()!.Message, StringComparison.Ordinal);
        Assert.Equal("first", (await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("a", "default")).Data["k"]);
    }

    [Fact]
    public async Task Replace_WithoutResourceVersion_IsUnconditional()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");

        var replaced = await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(ConfigMap("a", data: new() { ["k"] = "w" }), "a", "default");

        Assert.Equal("w", replaced.Data["k"]);
    }

    [Fact]
    public async Task ResourceVersion_AcrossResources_IsGlobalAndIncreasing()
    {
        await using var cluster = await TestCluster.StartAsync();

        var a = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var s = await cluster.Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet("s"), "default");
        var b = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("b"), "default");

        Assert.Equal(long.Parse(a.Metadata.ResourceVersion) + 1, long.Parse(s.Metadata.ResourceVersion));
        Assert.Equal(long.Parse(s.Metadata.ResourceVersion) + 1, long.Parse(b.Metadata.ResourceVersion));
    }

    [Fact]
    public async Task Replace_SpecChange_BumpsGenerationButLabelChangeDoesNot()
    {
        await using var cluster = await TestCluster.StartAsync();
        var sts = await cluster.Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet("s"), "default");

        sts.Metadata.Labels = new Dictionary<string, string> { ["x"] = "y" };
        sts = await cluster.Client.AppsV1.ReplaceNamespacedStatefulSetAsync(sts, "s", "default");
        Assert.Equal(1, sts.Metadata.Generation);

        sts.Spec.Replicas = 3;
        sts = await cluster.Client.AppsV1.ReplaceNamespacedStatefulSetAsync(sts, "s", "default");
        Assert.Equal(2, sts.Metadata.Generation);
    }

    [Fact]
    public async Task Replace_NoChange_KeepsResourceVersionAndSendsNoEvent()
    {
        await using var cluster = await TestCluster.StartAsync();
        var created = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        long rv = cluster.Server.ResourceVersion;

        var same = await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "a", "default");

        Assert.Equal(created.Metadata.ResourceVersion, same.Metadata.ResourceVersion);
        Assert.Equal(rv, cluster.Server.ResourceVersion);
    }

    [Fact]
    public async Task Replace_MainResource_IgnoresStatus()
    {
        await using var cluster = await TestCluster.StartAsync();
        var sts = await cluster.Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet("s"), "default");

        sts.Status = new V1StatefulSetStatus { Replicas = 5, ReadyReplicas = 5 };
        sts.Spec.Replicas = 2;
        var replaced = await cluster.Client.AppsV1.ReplaceNamespacedStatefulSetAsync(sts, "s", "default");

        Assert.Equal(2, replaced.Spec.Replicas);
        Assert.Null(replaced.Status);
    }

    [Fact]
    public async Task ReplaceStatus_IgnoresEverythingButStatus()
    {
        await using var cluster = await TestCluster.StartAsync();
        var sts = await cluster.Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet("s"), "default");

        sts.Status = new V1StatefulSetStatus { Replicas = 1, ReadyReplicas = 1 };
        sts.Spec.Replicas = 9;
        sts.Metadata.Labels = new Dictionary<string, string> { ["ignored"] = "yes" };
        var replaced = await cluster.Client.AppsV1.ReplaceNamespacedStatefulSetStatusAsync(sts, "s", "default");

        Assert.Equal(1, replaced.Status.ReadyReplicas);
        Assert.Equal(1, replaced.Spec.Replicas);
        Assert.Null(replaced.Metadata.Labels);
        Assert.Equal(1, replaced.Metadata.Generation);
    }

    [Fact]
    public async Task Create_WithStatusSubresource_DropsStatus()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] },
            Status = new V1PodStatus { Phase = "Running" },
        };

        var created = await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "default");

        Assert.Null(created.Status);
    }

    [Fact]
    public async Task Scale_GetAndReplace_ReadsAndWritesSpecReplicas()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet("s", replicas: 2), "default");

        var scale = await cluster.Client.AppsV1.ReadNamespacedStatefulSetScaleAsync("s", "default");
        Assert.Equal(2, scale.Spec.Replicas);
        Assert.Equal("app=s", scale.Status.Selector);

        scale.Spec.Replicas = 4;
        var written = await cluster.Client.AppsV1.ReplaceNamespacedStatefulSetScaleAsync(scale, "s", "default");
        var sts = await cluster.Client.AppsV1.ReadNamespacedStatefulSetAsync("s", "default");

        Assert.Equal(4, written.Spec.Replicas);
        Assert.Equal(4, sts.Spec.Replicas);
        Assert.Equal(2, sts.Metadata.Generation);
    }

    [Fact]
    public async Task Scale_CustomResource_FollowsConfiguredPaths()
    {
        await using var cluster = await TestCluster.StartAsync();
        var runtime = new Dictionary<string, object>
        {
            ["apiVersion"] = "data.fluid.io/v1alpha1",
            ["kind"] = "FluidCacheRuntime",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "r", ["namespace"] = "default" },
            ["spec"] = new Dictionary<string, object> { ["replicas"] = 1 },
        };
        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(runtime, "data.fluid.io", "v1alpha1", "default", "fluidcacheruntimes");

        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectScaleAsync(
            new V1Patch("{\"spec\":{\"replicas\":3}}", V1Patch.PatchType.MergePatch), "data.fluid.io", "v1alpha1", "default", "fluidcacheruntimes", "r");

        var stored = cluster.Server.GetObject("fluidcacheruntimes.data.fluid.io", "default", "r")!;
        Assert.Equal(3, stored["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task Patch_MergePatch_MergesObjectsAndNullDeletes()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a", data: new() { ["keep"] = "1", ["drop"] = "2" }), "default");

        var patched = await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("{\"data\":{\"drop\":null,\"new\":\"3\"}}", V1Patch.PatchType.MergePatch), "a", "default");

        Assert.Equal(new Dictionary<string, string> { ["keep"] = "1", ["new"] = "3" }, patched.Data);
    }

    [Fact]
    public async Task Patch_JsonPatch_AppliesOperationsInOrder()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a", data: new() { ["x"] = "1" }), "default");
        const string Ops = """[{"op":"test","path":"/data/x","value":"1"},{"op":"add","path":"/data/y","value":"2"},{"op":"remove","path":"/data/x"}]""";

        var patched = await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(Ops, V1Patch.PatchType.JsonPatch), "a", "default");

        Assert.Equal(new Dictionary<string, string> { ["y"] = "2" }, patched.Data);
    }

    [Fact]
    public async Task Patch_JsonPatchFailedTest_Returns422()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a", data: new() { ["x"] = "1" }), "default");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("""[{"op":"test","path":"/data/x","value":"2"}]""", V1Patch.PatchType.JsonPatch), "a", "default"));

        Assert.Equal((HttpStatusCode)422, error.Response.StatusCode);
    }

    [Fact]
    public async Task Patch_StrategicMerge_MergesContainersByName()
    {
        await using var cluster = await TestCluster.StartAsync();
        var sts = StatefulSet("s");
        sts.Spec.Template.Spec.Containers.Add(new V1Container { Name = "sidecar", Image = "side:1" });
        await cluster.Client.AppsV1.CreateNamespacedStatefulSetAsync(sts, "default");
        const string Patch = """{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"side:2"}]}}}}""";

        var patched = await cluster.Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch(Patch, V1Patch.PatchType.StrategicMergePatch), "s", "default");

        var containers = patched.Spec.Template.Spec.Containers;
        Assert.Equal(["worker", "sidecar"], containers.Select(c => c.Name));
        Assert.Equal("fluid:test", containers[0].Image);
        Assert.Equal("side:2", containers[1].Image);
    }

    [Fact]
    public async Task Patch_MergePatchWithStaleResourceVersion_Returns409()
    {
        await using var cluster = await TestCluster.StartAsync();
        var created = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"k\":\"2\"}}", V1Patch.PatchType.MergePatch), "a", "default");

        string stale = "{\"metadata\":{\"resourceVersion\":\"" + created.Metadata.ResourceVersion + "\"},\"data\":{\"k\":\"3\"}}";
        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(stale, V1Patch.PatchType.MergePatch), "a", "default"));

        Assert.True(error.IsConflict());
    }

    [Fact]
    public async Task Patch_ApplyPatch_Returns415()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("{}", V1Patch.PatchType.ApplyPatch), "a", "default", fieldManager: "t"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, error.Response.StatusCode);
    }

    [Fact]
    public async Task PatchStatus_OnlyStatusChanges()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet("s"), "default");

        var patched = await cluster.Client.AppsV1.PatchNamespacedStatefulSetStatusAsync(
            new V1Patch("""{"spec":{"replicas":7},"status":{"replicas":1,"readyReplicas":1}}""", V1Patch.PatchType.MergePatch), "s", "default");

        Assert.Equal(1, patched.Spec.Replicas);
        Assert.Equal(1, patched.Status.ReadyReplicas);
    }

    [Fact]
    public async Task Delete_WithFinalizers_MarksThenDeletesWhenLastFinalizerGoes()
    {
        await using var cluster = await TestCluster.StartAsync();
        var cm = ConfigMap("a");
        cm.Metadata.Finalizers = ["fluid.io/a", "fluid.io/b"];
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default");

        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default");
        var marked = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("a", "default");
        Assert.NotNull(marked.Metadata.DeletionTimestamp);

        marked.Metadata.Finalizers = ["fluid.io/b"];
        var stillThere = await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(marked, "a", "default");
        Assert.Equal(["fluid.io/b"], stillThere.Metadata.Finalizers);

        stillThere.Metadata.Finalizers = [];
        await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(stillThere, "a", "default");
        Assert.Null(cluster.Server.GetObject("configmaps", "default", "a"));
    }

    [Fact]
    public async Task Update_AddFinalizerWhileDeleting_Returns422()
    {
        await using var cluster = await TestCluster.StartAsync();
        var cm = ConfigMap("a");
        cm.Metadata.Finalizers = ["fluid.io/a"];
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default");
        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default");
        var marked = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("a", "default");

        marked.Metadata.Finalizers.Add("fluid.io/late");
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(marked, "a", "default"));

        Assert.Equal((HttpStatusCode)422, error.Response.StatusCode);
        Assert.Equal("Invalid", error.Status()!.Reason);
    }

    [Fact]
    public async Task Delete_WithoutFinalizers_RemovesAndReturnsSuccessStatus()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");

        var status = await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default");

        Assert.Equal("Success", status.Status);
        Assert.Null(cluster.Server.GetObject("configmaps", "default", "a"));
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default"));
        Assert.True(error.IsNotFound());
    }

    [Fact]
    public async Task Delete_StalePrecondition_Returns409()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync(
            "a", "default", new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = "1" + cluster.Server.ResourceVersion } }));

        Assert.True(error.IsConflict());
        Assert.NotNull(cluster.Server.GetObject("configmaps", "default", "a"));
    }

    [Fact]
    public async Task Namespaced_AddressedWithoutNamespace_Returns404()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var configMaps = new GenericClient(cluster.Client, "", "v1", "configmaps", false);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => configMaps.ReadAsync<V1ConfigMap>("a"));

        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);
    }

    [Fact]
    public async Task ClusterScoped_Node_CreatesWithoutNamespace()
    {
        await using var cluster = await TestCluster.StartAsync();

        var node = await cluster.Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "n1", Labels = new Dictionary<string, string> { ["zone"] = "a" } } });
        var nodes = await cluster.Client.CoreV1.ListNodeAsync();

        Assert.Null(node.Metadata.NamespaceProperty);
        Assert.Equal("n1", Assert.Single(nodes.Items).Metadata.Name);
    }

    [Fact]
    public async Task Create_InvalidName_Returns422NamingTheField()
    {
        await using var cluster = await TestCluster.StartAsync();

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("Bad_Name"), "default"));

        Assert.Equal((HttpStatusCode)422, error.Response.StatusCode);
        Assert.Contains("metadata.name", error.Status()!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crd_CreatedAtRunTime_ServesNewResourceWithStatus()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = "widgets.example.io" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "example.io",
                Scope = "Cluster",
                Names = new V1CustomResourceDefinitionNames { Plural = "widgets", Kind = "Widget", Singular = "widget" },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = "v1",
                        Served = true,
                        Storage = true,
                        Subresources = new V1CustomResourceSubresources { Status = new object() },
                        Schema = new V1CustomResourceValidation { OpenAPIV3Schema = new V1JSONSchemaProps { Type = "object" } },
                    },
                ],
            },
        };

        var created = await cluster.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        Assert.Contains(created.Status.Conditions, c => c.Type == "Established" && c.Status == "True");
        await cluster.Client.CustomObjects.CreateClusterCustomObjectAsync(
            new Dictionary<string, object> { ["apiVersion"] = "example.io/v1", ["kind"] = "Widget", ["metadata"] = new Dictionary<string, object> { ["name"] = "w" }, ["status"] = new Dictionary<string, object> { ["x"] = 1 } },
            "example.io", "v1", "widgets");

        var widget = (JsonElement)await cluster.Client.CustomObjects.GetClusterCustomObjectAsync("example.io", "v1", "widgets", "w");
        Assert.Equal("Widget", widget.GetProperty("kind").GetString());
        Assert.False(widget.TryGetProperty("status", out _));
        Assert.Contains(cluster.Server.Resources, r => r.Group == "example.io" && r.Plural == "widgets" && r.HasStatus && !r.Namespaced);
    }

    [Fact]
    public async Task InjectedFault_NextTwoUpdates_FailThenSucceed()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        cluster.Server.InjectFault(new FaultRule { Method = "PUT", Resource = "configmaps", Count = 2, StatusCode = 500 });

        var first = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(ConfigMap("a", data: new() { ["k"] = "1" }), "a", "default"));
        var second = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(ConfigMap("a", data: new() { ["k"] = "2" }), "a", "default"));
        var third = await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(ConfigMap("a", data: new() { ["k"] = "3" }), "a", "default");

        Assert.Equal(HttpStatusCode.InternalServerError, first.Response.StatusCode);
        Assert.Equal("InternalError", second.Status()!.Reason);
        Assert.Equal("3", third.Data["k"]);
        var puts = cluster.Server.RequestLog.Where(r => r.Method == "PUT").ToList();
        Assert.Equal([true, true, false], puts.Select(p => p.Injected));
        Assert.Equal([500, 500, 200], puts.Select(p => p.StatusCode));
        Assert.All(puts, p => Assert.Equal("/api/v1/namespaces/default/configmaps/a", p.Path));
    }

    [Fact]
    public async Task Discovery_ListsGroupsAndResources()
    {
        await using var cluster = await TestCluster.StartAsync();

        var groups = await cluster.Client.Apis.GetAPIVersionsAsync();
        var fluid = await cluster.Client.CustomObjects.GetAPIResourcesAsync("data.fluid.io", "v1alpha1");

        Assert.Contains(groups.Groups, g => g.Name == "data.fluid.io");
        Assert.Contains(groups.Groups, g => g.Name == "coordination.k8s.io");
        Assert.Contains(fluid.Resources, r => r.Name == "datasets" && r.Namespaced && r.Kind == "Dataset");
        Assert.Contains(fluid.Resources, r => r.Name == "fluidcacheruntimes/scale");
    }
}
