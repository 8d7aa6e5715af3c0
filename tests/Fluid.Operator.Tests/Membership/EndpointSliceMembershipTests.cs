using System.Collections.Concurrent;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Membership;
using Fluid.Operator.Tests.Harness;
using k8s.Models;

namespace Fluid.Operator.Tests.Membership;

public sealed class EndpointSliceMembershipTests
{
    private static V1EndpointSlice Slice(string name, string service, params (string Ip, string Pod, string Node, bool? Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
        AddressType = "IPv4",
        Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 7521 }, new Discoveryv1EndpointPort { Name = "data", Port = 7520 }],
        Endpoints = [.. endpoints.Select(e => new V1Endpoint
        {
            Addresses = [e.Ip],
            NodeName = e.Node,
            TargetRef = new V1ObjectReference { Kind = "Pod", Name = e.Pod, NamespaceProperty = "default" },
            Conditions = new V1EndpointConditions { Ready = e.Ready },
        })],
    };

    [Fact]
    public void Compute_ReadyAndUnknownCount_NotReadyAndPortlessSlicesSkipped()
    {
        var slices = new[]
        {
            Slice("a", "w", ("10.0.0.2", "w-1", "n1", true), ("10.0.0.3", "w-2", "n2", false)),
            Slice("b", "w", ("10.0.0.1", "w-0", "n0", null), ("10.0.0.2", "w-1", "n1", true)),
            new V1EndpointSlice { Metadata = new V1ObjectMeta { Name = "c" }, Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 7521 }], Endpoints = [new V1Endpoint { Addresses = ["10.9.9.9"] }] },
        };

        var endpoints = EndpointSliceMembership.Compute(slices, "data");

        Assert.Equal(
            [new WorkerEndpoint("10.0.0.1", 7520, "n0", "w-0"), new WorkerEndpoint("10.0.0.2", 7520, "n1", "w-1")],
            endpoints);
    }

    [Theory]
    [InlineData("endpointslices:training/imagenet-worker", true, "training", "imagenet-worker")]
    [InlineData("endpointslices:/x", false, "", "")]
    [InlineData("static:a,b", false, "", "")]
    [InlineData("endpointslices:a/b/c", false, "", "")]
    public void TryParseSource_Forms_ParsedOrRefused(string source, bool ok, string ns, string service)
    {
        Assert.Equal(ok, EndpointSliceMembership.TryParseSource(source, out var parsedNs, out var parsedService));
        Assert.Equal((ns, service), (parsedNs, parsedService));
    }

    [Fact]
    public async Task Watch_SlicesChange_CurrentAndChangedFollowOnlyTheService()
    {
        await using var cluster = await OperatorCluster.StartAsync(startOperator: false);
        var slices = new ResourceClient<V1EndpointSlice>(cluster.Client, ResourceTypes.EndpointSlices);
        await slices.CreateAsync(Slice("data-worker-abc", "data-worker", ("10.0.0.1", "data-worker-0", "n0", true)));
        await slices.CreateAsync(Slice("other-xyz", "other", ("10.0.0.9", "other-0", "n9", true)));

        using var membership = new EndpointSliceMembership(cluster.NewClient(), "default", "data-worker", options: OperatorCluster.FastInformers);
        var changes = new ConcurrentQueue<IReadOnlyList<WorkerEndpoint>>();
        membership.Changed += changes.Enqueue;
        using var stop = new CancellationTokenSource();
        var run = membership.RunAsync(stop.Token);
        await membership.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([new WorkerEndpoint("10.0.0.1", 7520, "n0", "data-worker-0")], membership.Current);

        // A second worker becomes ready in another slice; then the first stops being ready.
        await slices.CreateAsync(Slice("data-worker-def", "data-worker", ("10.0.0.2", "data-worker-1", "n1", true)));
        await Eventually.TrueAsync(() => Task.FromResult(membership.Current.Count == 2), "two workers");
        await slices.ReplaceAsync(WithVersion(await slices.GetAsync(new ObjectKey("default", "data-worker-abc")), Slice("data-worker-abc", "data-worker", ("10.0.0.1", "data-worker-0", "n0", false))));
        await Eventually.TrueAsync(() => Task.FromResult(membership.Current.Count == 1), "first gone");
        Assert.Equal("data-worker-1", membership.Current[0].PodName);
        await slices.DeleteAsync(new ObjectKey("default", "data-worker-def"));
        await Eventually.TrueAsync(() => Task.FromResult(membership.Current.Count == 0), "none left");

        var seen = changes.ToList();
        Assert.Equal([1, 2, 1, 0], seen.Select(s => s.Count));
        Assert.DoesNotContain(seen.SelectMany(s => s), e => e.PodName == "other-0");
        await stop.CancelAsync();
        await run;
    }

    private static V1EndpointSlice WithVersion(V1EndpointSlice? stored, V1EndpointSlice next)
    {
        next.Metadata.ResourceVersion = stored!.Metadata.ResourceVersion;
        return next;
    }
}
