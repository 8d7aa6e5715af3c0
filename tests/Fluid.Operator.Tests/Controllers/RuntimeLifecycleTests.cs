using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Runtimes;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Engines.FluidCache;
using Fluid.Operator.Tests.Harness;
using k8s.Models;

namespace Fluid.Operator.Tests.Controllers;

public sealed class RuntimeLifecycleTests
{
    private static readonly ObjectKey Key = new("default", "data");

    [Fact]
    public async Task ReadyWorkers_NodesLabelledAndUnlabelledAsWorkersComeAndGo()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        await c.Runtimes.CreateAsync(Samples.Runtime("data", replicas: 2));
        // node-1 already caches another dataset: dataset-num counts up from there.
        await cluster.EnsureNodeAsync("node-1");
        await c.Nodes.PatchAsync(new ObjectKey(null, "node-1"), Fluid.Kubernetes.Objects.MergePatches.Labels(new Dictionary<string, string?> { ["fluid.io/dataset-num"] = "1", ["fluid.io/s-default-other"] = "true" }));
        await cluster.RunWorkersAsync("default", "data", ready: 2, replicas: 2);

        var node0 = await Eventually.ValueAsync(() => c.Nodes.GetAsync(new ObjectKey(null, "node-0")), n => n.Metadata.Labels.ContainsKey("fluid.io/s-default-data"), "node-0 labelled");
        Assert.Equal("true", node0.Metadata.Labels["fluid.io/s-default-data"]);
        Assert.Equal("true", node0.Metadata.Labels["fluid.io/s-fluidcache-default-data"]);
        Assert.Equal("2GiB", node0.Metadata.Labels["fluid.io/s-h-fluidcache-m-default-data"]);
        Assert.Equal("2GiB", node0.Metadata.Labels["fluid.io/s-h-fluidcache-t-default-data"]);
        Assert.False(node0.Metadata.Labels.ContainsKey("fluid.io/s-h-fluidcache-d-default-data"));
        Assert.Equal("1", node0.Metadata.Labels["fluid.io/dataset-num"]);
        var node1 = await Eventually.ValueAsync(() => c.Nodes.GetAsync(new ObjectKey(null, "node-1")), n => n.Metadata.Labels.ContainsKey("fluid.io/s-default-data"), "node-1 labelled");
        Assert.Equal("2", node1.Metadata.Labels["fluid.io/dataset-num"]);

        // node-1's worker stops being ready: its labels go, the other dataset's stay.
        await cluster.RunWorkersAsync("default", "data", ready: 1, replicas: 2);
        node1 = await Eventually.ValueAsync(() => c.Nodes.GetAsync(new ObjectKey(null, "node-1")), n => !n.Metadata.Labels.ContainsKey("fluid.io/s-default-data"), "node-1 unlabelled");
        Assert.Equal("1", node1.Metadata.Labels["fluid.io/dataset-num"]);
        Assert.Equal("true", node1.Metadata.Labels["fluid.io/s-default-other"]);
        Assert.False(node1.Metadata.Labels.ContainsKey("fluid.io/s-fluidcache-default-data"));
        Assert.False(node1.Metadata.Labels.ContainsKey("fluid.io/s-h-fluidcache-t-default-data"));
        Assert.True((await c.Nodes.GetAsync(new ObjectKey(null, "node-0")))!.Metadata.Labels.ContainsKey("fluid.io/s-default-data"));
    }

    [Fact]
    public async Task PodUsingClaim_Scheduled_FuseLabelOnItsNode()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        var runtime = Samples.Runtime("data");
        runtime.Spec = runtime.Spec! with { Fuse = new FluidCacheFuseSpec { CleanPolicy = FuseCleanPolicy.OnDemand } };
        await c.Runtimes.CreateAsync(runtime);
        await cluster.EnsureNodeAsync("gpu-0");
        await c.Pods.CreateAsync(AppPod("trainer", "gpu-0", "data"));

        await Eventually.ValueAsync(() => c.Nodes.GetAsync(new ObjectKey(null, "gpu-0")), n => n.Metadata.Labels.TryGetValue("fluid.io/f-default-data", out var v) && v == "true", "FUSE label on gpu-0");

        // OnDemand: the label goes when no pod there uses the claim any more.
        await c.Pods.DeleteAsync(new ObjectKey("default", "trainer"));
        await Eventually.ValueAsync(() => c.Nodes.GetAsync(new ObjectKey(null, "gpu-0")), n => !n.Metadata.Labels.ContainsKey("fluid.io/f-default-data"), "FUSE label removed");
    }

    [Fact]
    public async Task WorkerSummaries_Scraped_FiguresInRuntimeAndDatasetStatus()
    {
        await using var summary = new FakeWorkerSummary
        {
            Summary = new WorkerSummary { Cached = 512L << 20, CacheCapacity = 2L << 30, UfsTotal = 2L << 30, FileNum = 1234, CacheHitRatio = 0.75, BytesRead = 400 },
        };
        await using var cluster = await OperatorCluster.StartAsync(OperatorCluster.FastOptions with { WorkerHttpPort = summary.Port });
        var c = cluster.Cluster;
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        await c.Runtimes.CreateAsync(Samples.Runtime("data", replicas: 2));
        var secret = await Eventually.ValueAsync(() => c.Secrets.GetAsync(new ObjectKey("default", "data-worker-token")), _ => true, "token");
        summary.ExpectedToken = System.Text.Encoding.ASCII.GetString(secret.Data["token"]);
        await cluster.RunWorkersAsync("default", "data", ready: 2, replicas: 2);

        // Two workers (both answer at 127.0.0.1): 1 GiB cached of 4 GiB capacity; the Dataset is 2 GiB in 1234 files.
        var dataset = await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.FileNum == "1234" && d.Status.CacheStates is not null, "figures on the dataset");
        Assert.Equal("2GiB", dataset.Status!.UfsTotal);
        Assert.Equal(ValueMap.Of(("cached", "1GiB"), ("cacheCapacity", "4GiB"), ("cachedPercentage", "50.0%"), ("cacheHitRatio", "75.0%")), dataset.Status.CacheStates);
        var runtime = (await c.Runtimes.GetAsync(Key))!;
        Assert.Equal(dataset.Status.CacheStates, runtime.Status!.CacheStates);
        Assert.All(summary.Authorizations, a => Assert.Equal(summary.ExpectedAuthorization, a));
        Assert.DoesNotContain(summary.Authorizations, a => a!.Contains(summary.ExpectedToken, StringComparison.Ordinal));

        // The figures follow the workers.
        summary.Summary = summary.Summary with { Cached = 1L << 30 };
        dataset = await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.CacheStates?["cached"] == "2GiB", "figures refreshed");
        Assert.Equal("100.0%", dataset.Status!.CacheStates!["cachedPercentage"]);
    }

    [Fact]
    public async Task RuntimeDeleted_HostPathTiers_CleanJobsThenEverythingRemovedAndDatasetNotBound()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        var runtime = Samples.Runtime("data", replicas: 1, volumeType: "hostPath");
        runtime.Spec = runtime.Spec! with { Management = new RuntimeManagement { CleanCachePolicy = new CleanCachePolicy { GracePeriodSeconds = 30, MaxRetryAttempts = 2 } } };
        await c.Runtimes.CreateAsync(runtime);
        await cluster.RunWorkersAsync("default", "data", ready: 1, replicas: 1);
        await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.Phase == DatasetPhase.Bound, "bound");
        await Eventually.ValueAsync(() => c.Nodes.GetAsync(new ObjectKey(null, "node-0")), n => n.Metadata.Labels.ContainsKey("fluid.io/s-default-data"), "node labelled");

        await c.Runtimes.DeleteAsync(Key);
        // The StatefulSet goes first; the test plays its controller by removing the worker pod.
        await Eventually.TrueAsync(async () => await c.StatefulSets.GetAsync(new ObjectKey("default", "data-worker")) is null, "workers deleted");
        await c.Pods.DeleteAsync(new ObjectKey("default", "data-worker-0"));

        var job = await Eventually.ValueAsync(async () => (await c.Jobs.ListAsync("default")).FirstOrDefault(), _ => true, "clean-up job");
        Assert.Equal("node-0", job.Spec.Template.Spec.NodeName);
        Assert.Equal(2, job.Spec.BackoffLimit);
        Assert.Equal(30, job.Spec.ActiveDeadlineSeconds);
        Assert.Equal(["find", "/cache/0", "-mindepth", "1", "-delete"], job.Spec.Template.Spec.Containers[0].Command);
        Assert.Equal("/dev/shm/fluid/default/data", job.Spec.Template.Spec.Volumes[0].HostPath.Path);
        // Until the job finishes, the runtime stays.
        await Task.Delay(500);
        Assert.NotNull(await c.Runtimes.GetAsync(Key));
        await c.Jobs.UpdateStatusAsync(ObjectKey.From(job), j => j.Status = new V1JobStatus { Succeeded = 1, Conditions = [new V1JobCondition { Type = "Complete", Status = "True" }] });

        await Eventually.TrueAsync(async () => await c.Runtimes.GetAsync(Key) is null, "runtime gone");
        Assert.Null(await c.DaemonSets.GetAsync(new ObjectKey("default", "data-fuse")));
        Assert.Null(await c.Services.GetAsync(new ObjectKey("default", "data-worker")));
        Assert.Null(await c.PersistentVolumes.GetAsync(new ObjectKey(null, "default-data")));
        Assert.Null(await c.PersistentVolumeClaims.GetAsync(Key));
        Assert.Null(await c.ConfigMaps.GetAsync(new ObjectKey("default", "data-fluid-config")));
        Assert.Null(await c.Secrets.GetAsync(new ObjectKey("default", "data-worker-token")));
        Assert.Null(await c.ServiceAccounts.GetAsync(new ObjectKey("default", "data-fuse")));
        Assert.Null(await c.Roles.GetAsync(new ObjectKey("default", "data-fuse")));
        Assert.Null(await c.RoleBindings.GetAsync(new ObjectKey("default", "data-fuse")));
        Assert.Null(await c.Jobs.GetAsync(ObjectKey.From(job)));
        var node = (await c.Nodes.GetAsync(new ObjectKey(null, "node-0")))!;
        Assert.DoesNotContain(node.Metadata.Labels.Keys, k => k.StartsWith("fluid.io/", StringComparison.Ordinal));
        var dataset = await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.Phase == DatasetPhase.NotBound, "dataset NotBound again");
        Assert.Null(dataset.Status!.Runtimes);
    }

    [Fact]
    public async Task InvalidRuntime_NothingCreatedAndConditionNamesTheField()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        var runtime = Samples.Runtime("data");
        runtime.Spec = runtime.Spec! with { PageSize = Quantity.Parse("3Mi") };
        await c.Runtimes.CreateAsync(runtime);

        var blocked = await Eventually.ValueAsync(() => c.Runtimes.GetAsync(Key), r => r.Status?.Conditions?.Any(x => x.Type == "SetupBlocked") == true, "blocked condition");
        var condition = blocked.Status!.Conditions!.Single(x => x.Type == "SetupBlocked");
        Assert.Equal("InvalidSpec", condition.Reason);
        Assert.Contains("spec.pageSize", condition.Message, StringComparison.Ordinal);
        Assert.Null(await c.StatefulSets.GetAsync(new ObjectKey("default", "data-worker")));

        // Fixed: the runtime is set up and the condition goes.
        await c.Runtimes.UpdateAsync(Key, r => r.Spec = r.Spec! with { PageSize = Quantity.Parse("4Mi") });
        await Eventually.TrueAsync(async () => await c.StatefulSets.GetAsync(new ObjectKey("default", "data-worker")) is not null, "set up after the fix");
        await Eventually.ValueAsync(() => c.Runtimes.GetAsync(Key), r => r.Status?.Conditions?.Any(x => x.Type == "SetupBlocked") == false, "condition cleared");
    }

    internal static V1Pod AppPod(string name, string node, string claim, string ns = "default") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1PodSpec
        {
            NodeName = node,
            Containers = [new V1Container { Name = "app", Image = "trainer" }],
            Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }],
        },
    };
}
