using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Tests.Harness;

namespace Fluid.Operator.Tests.Controllers;

public sealed class DatasetControllerTests
{
    private static readonly ObjectKey Key = new("default", "data");

    [Fact]
    public async Task InvalidSpec_Failed_ConditionNamesTheProblemThenRecovers()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        var dataset = Samples.Dataset("data");
        dataset.Spec = dataset.Spec! with { Mounts = ValueList.Of(new Mount { MountPoint = "ftp://files.example.com/data", Name = "data" }) };
        await c.Datasets.CreateAsync(dataset);

        var failed = await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.Phase == DatasetPhase.Failed, "Failed");
        var condition = Assert.Single(failed.Status!.Conditions!);
        Assert.Equal(("Ready", Fluid.Api.Core.ConditionStatus.False, "InvalidSpec"), (condition.Type, condition.Status, condition.Reason));
        Assert.Contains("spec.mounts[0].mountPoint: scheme \"ftp\" is not supported", condition.Message, StringComparison.Ordinal);

        await c.Datasets.UpdateAsync(Key, d => d.Spec = Samples.Dataset("data").Spec);
        var fixedDataset = await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.Phase == DatasetPhase.NotBound, "NotBound after the fix");
        Assert.Null(fixedDataset.Status!.Conditions);
    }

    [Fact]
    public async Task BoundToAnotherRuntimeKind_FluidCacheRuntimeArrives_Failed()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.Phase == DatasetPhase.NotBound, "NotBound");
        // Another controller bound it to an AlluxioRuntime.
        await c.Datasets.UpdateStatusAsync(Key, d => d.Status = d.Status! with
        {
            Phase = DatasetPhase.Bound,
            Runtimes = ValueList.Of(new RuntimeRef { Name = "data", Namespace = "default", Category = "Accelerate", Type = "alluxio" }),
        });
        await Task.Delay(300);
        Assert.Equal(DatasetPhase.Bound, (await c.Datasets.GetAsync(Key))!.Status!.Phase);

        await c.Runtimes.CreateAsync(Samples.Runtime("data"));
        var failed = await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.Phase == DatasetPhase.Failed, "Failed");
        Assert.Equal("RuntimeConflict", failed.Status!.Conditions![0].Reason);
        Assert.Contains("bound to alluxio runtime default/data", failed.Status.Conditions[0].Message, StringComparison.Ordinal);
        var runtime = await Eventually.ValueAsync(() => c.Runtimes.GetAsync(Key), r => r.Status?.Conditions?.Any(x => x.Reason == "DatasetBoundElsewhere") == true, "runtime blocked");
        Assert.NotNull(runtime);
        Assert.Null(await c.StatefulSets.GetAsync(new ObjectKey("default", "data-worker")));
    }

    [Fact]
    public async Task Delete_PodUsesClaim_FinalizerHoldsWithEventUntilPodGoes()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        await c.Runtimes.CreateAsync(Samples.Runtime("data"));
        await cluster.RunWorkersAsync("default", "data", ready: 1, replicas: 1);
        await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.Phase == DatasetPhase.Bound, "bound");
        await c.Pods.CreateAsync(RuntimeLifecycleTests.AppPod("trainer-0", "node-0", "data"));
        await c.Pods.UpdateStatusAsync(new ObjectKey("default", "trainer-0"), p => p.Status = new k8s.Models.V1PodStatus { Phase = "Running" });
        // A finished pod that used the claim does not hold the Dataset.
        await c.Pods.CreateAsync(RuntimeLifecycleTests.AppPod("old-job", "node-0", "data"));
        await c.Pods.UpdateStatusAsync(new ObjectKey("default", "old-job"), p => p.Status = new k8s.Models.V1PodStatus { Phase = "Succeeded" });

        await c.Datasets.DeleteAsync(Key);
        var events = await Eventually.ValueAsync(async () => (await c.Events.ListAsync("default")).Where(e => e.Reason == "ErrorDeleteDataset").ToList(), l => l.Count > 0, "event");
        var ev = Assert.Single(events);
        Assert.Equal("Failed to delete dataset because Pod(s) [trainer-0] in namespace default is(are) using it", ev.Message);
        Assert.Equal(("Dataset", "data", "Warning"), (ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Type));
        await Task.Delay(600);
        var held = await c.Datasets.GetAsync(Key);
        Assert.NotNull(held!.Metadata.DeletionTimestamp);
        // Repeated checks bump the count of the one event rather than adding more.
        var again = (await c.Events.ListAsync("default")).Where(e => e.Reason == "ErrorDeleteDataset").ToList();
        Assert.Single(again);
        Assert.True(again[0].Count >= 2, $"count {again[0].Count}");

        await c.Pods.DeleteAsync(new ObjectKey("default", "trainer-0"));
        await Eventually.TrueAsync(async () => await c.Datasets.GetAsync(Key) is null, "dataset gone");
        // The runtime it owned goes too, cleaned up by its own finalizer (the test plays the StatefulSet controller).
        await Eventually.ValueAsync(() => c.Runtimes.GetAsync(Key), r => r.Metadata.DeletionTimestamp is not null, "runtime being deleted");
        await c.Pods.DeleteAsync(new ObjectKey("default", "data-worker-0"));
        await Eventually.TrueAsync(async () => await c.Runtimes.GetAsync(Key) is null, "runtime gone", TimeSpan.FromSeconds(20));
        Assert.Null(await c.PersistentVolumes.GetAsync(new ObjectKey(null, "default-data")));
    }

    [Fact]
    public async Task Delete_NoPodUsesClaim_GoneAtOnce()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Metadata.Finalizers?.Contains("fluid-dataset-controller-finalizer") == true, "finalizer added");
        await c.Datasets.DeleteAsync(Key);
        await Eventually.TrueAsync(async () => await c.Datasets.GetAsync(Key) is null, "dataset gone");
        Assert.DoesNotContain(await c.Events.ListAsync("default"), e => e.Reason == "ErrorDeleteDataset");
    }
}
