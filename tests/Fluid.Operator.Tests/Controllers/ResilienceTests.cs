using Fluid.Api.Datasets;
using Fluid.Api.Runtimes;
using Fluid.Kubernetes.LeaderElection;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.TestServer.Control;
using Fluid.Operator.Tests.Harness;

namespace Fluid.Operator.Tests.Controllers;

public sealed class ResilienceTests
{
    private static readonly ObjectKey Key = new("default", "data");

    [Fact]
    public async Task Conflicts_InjectedOnEveryWrite_RetriedToTheSameResult()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        // The next writes of each kind answer 409 once or twice; the controllers re-read and write again.
        foreach (var resource in new[] { "statefulsets", "daemonsets", "datasets", "fluidcacheruntimes", "configmaps", "persistentvolumeclaims" })
        {
            cluster.Server.InjectFault(new FaultRule { Method = "PUT", Resource = resource, StatusCode = 409, Count = 2 });
        }

        cluster.Server.InjectFault(new FaultRule { Method = "POST", Resource = "statefulsets", StatusCode = 409, Count = 1 });
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        await c.Runtimes.CreateAsync(Samples.Runtime("data", replicas: 2));
        await cluster.RunWorkersAsync("default", "data", ready: 2, replicas: 2);

        await Eventually.ValueAsync(() => c.Datasets.GetAsync(Key), d => d.Status?.Phase == DatasetPhase.Bound, "bound despite conflicts");
        var runtime = await Eventually.ValueAsync(() => c.Runtimes.GetAsync(Key), r => r.Status?.WorkerPhase == RuntimePhase.Ready, "runtime ready");
        Assert.Equal(2, runtime.Status!.WorkerNumberReady);
        Assert.Contains(cluster.Server.RequestLog, r => r.Injected && r.StatusCode == 409 && r.Method == "PUT");
        Assert.Equal(2, (await c.StatefulSets.GetAsync(new ObjectKey("default", "data-worker")))!.Spec.Replicas);
    }

    [Fact]
    public async Task WatchCutMidReconcile_ChangesMadeMeanwhileStillReconciled()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var c = cluster.Cluster;
        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        await c.Runtimes.CreateAsync(Samples.Runtime("data", replicas: 1));
        await Eventually.TrueAsync(async () => await c.StatefulSets.GetAsync(new ObjectKey("default", "data-worker")) is not null, "set up");

        // Cut every watch and hold new ones while the runtime changes: the informers must resume (or relist) and see it.
        using (cluster.Server.HoldWatches())
        {
            cluster.Server.AbortWatches();
            await c.Runtimes.UpdateAsync(Key, r => r.Spec = r.Spec! with { Replicas = 4 });
            await Task.Delay(300);
            cluster.Server.ExpireWatches();
        }

        await Eventually.ValueAsync(() => c.StatefulSets.GetAsync(new ObjectKey("default", "data-worker")), s => s.Spec.Replicas == 4, "scaled after the watch came back");
        Assert.True(cluster.Operators.Single().Cluster.RuntimeInformer.WatchCount >= 2);
    }

    [Fact]
    public async Task TwoOperators_OneLease_OnlyLeaderReconcilesAndStandbyTakesOver()
    {
        await using var cluster = await OperatorCluster.StartAsync(startOperator: false);
        var c = cluster.Cluster;
        LeaderElectionOptions Election(string id) => new()
        {
            Namespace = "fluid-system",
            LeaseName = "fluid-controller",
            Identity = id,
            LeaseDuration = TimeSpan.FromSeconds(2),
            RenewDeadline = TimeSpan.FromSeconds(1.5),
            RetryPeriod = TimeSpan.FromMilliseconds(200),
        };
        var first = await cluster.StartOperatorAsync(election: Election("controller-a"));
        await Eventually.TrueAsync(() => Task.FromResult(first.IsReconciling), "first leads");
        var second = await cluster.StartOperatorAsync(election: Election("controller-b"));

        await c.Datasets.CreateAsync(Samples.Dataset("data"));
        await c.Runtimes.CreateAsync(Samples.Runtime("data"));
        await Eventually.TrueAsync(async () => await c.StatefulSets.GetAsync(new ObjectKey("default", "data-worker")) is not null, "leader set up the runtime");
        await Task.Delay(500);
        Assert.True(first.IsReconciling);
        Assert.False(second.IsReconciling);
        // The standby's informers queued the keys, but no controller of its drained them.
        Assert.True(second.RuntimeQueue.Count > 0 && second.DatasetQueue.Count > 0, $"standby queues: {second.RuntimeQueue.Count}, {second.DatasetQueue.Count}");
        var leases = new ResourceClient<k8s.Models.V1Lease>(cluster.Client, ResourceTypes.Leases);
        var lease = await leases.GetAsync(new ObjectKey("fluid-system", "fluid-controller"));
        Assert.Equal("controller-a", lease!.Spec.HolderIdentity);

        await cluster.StopOperatorAsync(first);
        await Eventually.TrueAsync(() => Task.FromResult(second.IsReconciling), "standby takes over");
        // The new leader reconciles: a change made now reaches the StatefulSet.
        await c.Runtimes.UpdateAsync(Key, r => r.Spec = r.Spec! with { Replicas = 3 });
        await Eventually.ValueAsync(() => c.StatefulSets.GetAsync(new ObjectKey("default", "data-worker")), s => s.Spec.Replicas == 3, "new leader scaled");
        lease = await leases.GetAsync(new ObjectKey("fluid-system", "fluid-controller"));
        Assert.Equal("controller-b", lease!.Spec.HolderIdentity);
    }
}
