using System.Collections.Concurrent;
using Fluid.Cache.Cluster.Membership;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Membership;
using Fluid.Operator.Tests.Harness;
using k8s.Models;
using ClusterWorker = Fluid.Cache.Cluster.Membership.WorkerEndpoint;

namespace Fluid.Operator.Tests.Membership;

public sealed class EndpointSliceWorkerMembershipTests
{
    private static V1EndpointSlice Slice(string name, string service, bool withHttp, params (string Ip, string? Pod, string Node, bool? Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "team", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
        AddressType = "IPv4",
        Ports = withHttp
            ? [new Discoveryv1EndpointPort { Name = "http", Port = 7521 }, new Discoveryv1EndpointPort { Name = "data", Port = 7520 }]
            : [new Discoveryv1EndpointPort { Name = "data", Port = 7520 }],
        Endpoints = [.. endpoints.Select(e => new V1Endpoint
        {
            Addresses = [e.Ip],
            NodeName = e.Node,
            TargetRef = e.Pod is null ? null : new V1ObjectReference { Kind = "Pod", Name = e.Pod, NamespaceProperty = "team" },
            Conditions = new V1EndpointConditions { Ready = e.Ready },
        })],
    };

    [Fact]
    public void ToWorkers_PodNameOrAddressAsId_PortsAndNodeCarried()
    {
        var workers = EndpointSliceWorkerMembership.ToWorkers(EndpointSliceMembership.Compute(
            [Slice("a", "w", true, ("10.0.0.1", "w-0", "n0", true)), Slice("b", "w", false, ("10.0.0.7", null, "n7", null))], "data", "http"));

        Assert.Equal([new ClusterWorker("10.0.0.7", "10.0.0.7", 7520, 0, "n7"), new ClusterWorker("w-0", "10.0.0.1", 7520, 7521, "n0")], workers);
    }

    [Fact]
    public async Task Watch_SlicesOfTheService_WorkersFollowReadinessAndChangedFires()
    {
        await using var cluster = await OperatorCluster.StartAsync(startOperator: false);
        var slices = new ResourceClient<V1EndpointSlice>(cluster.Client, ResourceTypes.EndpointSlices);
        await slices.CreateAsync(Slice("images-worker-a", "images-worker", true, ("10.1.0.1", "images-worker-0", "node-0", true), ("10.1.0.2", "images-worker-1", "node-1", null)));
        await slices.CreateAsync(Slice("images-worker-b", "images-worker", true, ("10.1.0.3", "images-worker-2", "node-2", true)));
        await slices.CreateAsync(Slice("labels-worker-a", "labels-worker", true, ("10.1.9.9", "labels-worker-0", "node-9", true)));

        await using IAsyncDisposable membership = new EndpointSliceWorkerMembership(cluster.NewClient(), "team", "images-worker", options: OperatorCluster.FastInformers);
        var workers = (EndpointSliceWorkerMembership)membership;
        var changes = new ConcurrentQueue<IReadOnlyList<ClusterWorker>>();
        ((IWorkerMembership)workers).Changed += changes.Enqueue;
        workers.Start();
        await workers.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => Task.FromResult(workers.Current.Count == 3), "three workers");

        Assert.Equal(
            [
                new ClusterWorker("images-worker-0", "10.1.0.1", 7520, 7521, "node-0"),
                new ClusterWorker("images-worker-1", "10.1.0.2", 7520, 7521, "node-1"),
                new ClusterWorker("images-worker-2", "10.1.0.3", 7520, 7521, "node-2"),
            ],
            workers.Current);

        // images-worker-1 stops being ready: it leaves the list, and subscribers hear of it.
        var seenBefore = changes.Count;
        var stored = await slices.GetAsync(new ObjectKey("team", "images-worker-a"));
        var next = Slice("images-worker-a", "images-worker", true, ("10.1.0.1", "images-worker-0", "node-0", true), ("10.1.0.2", "images-worker-1", "node-1", false));
        next.Metadata.ResourceVersion = stored!.Metadata.ResourceVersion;
        await slices.ReplaceAsync(next);
        await Eventually.TrueAsync(() => Task.FromResult(workers.Current.Count == 2), "images-worker-1 gone");

        Assert.Equal(["images-worker-0", "images-worker-2"], workers.Current.Select(w => w.Id));
        Assert.True(changes.Count > seenBefore);
        Assert.Equal(workers.Current, changes.Last());
        Assert.DoesNotContain(changes.SelectMany(c => c), w => w.Id == "labels-worker-0");
    }
}
