using Fluid.Kubernetes.Resources;
using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Tests.Resources;

/// <summary>Cancelling a ResourceClient watch closes its connection, even when the server has gone silent.</summary>
public sealed class WatchCancellationTests
{
    [Fact]
    public async Task MutedWatch_Cancelled_ClosesConnection()
    {
        await using var cluster = await TestCluster.StartAsync(new() { BookmarkInterval = null });
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        await pods.CreateAsync(new V1Pod { Metadata = new() { Name = "a", NamespaceProperty = "ns" } });
        using var cts = new CancellationTokenSource();
        var seen = new List<string>();
        var task = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in pods.WatchAsync(new ListRequest { Namespace = "ns", ResourceVersion = "0" }, cts.Token))
                {
                    seen.Add($"{e.Type} {e.Object?.Metadata.Name}");
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await Eventually.TrueAsync(() => seen.Count == 1, "first event");
        Assert.Equal(1, cluster.Server.MuteWatches());
        await pods.CreateAsync(new V1Pod { Metadata = new() { Name = "b", NamespaceProperty = "ns" } });
        await Task.Delay(200);
        Assert.Single(seen);
        cts.Cancel();
        await task.WaitAsync(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 0, "server sees the watch closed");
    }

    [Fact]
    public async Task SilentWatchFromStart_Cancelled_ClosesConnection()
    {
        await using var cluster = await TestCluster.StartAsync(new() { BookmarkInterval = null });
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        using var cts = new CancellationTokenSource();
        var task = Task.Run(async () =>
        {
            await foreach (var e in pods.WatchAsync(new ListRequest { Namespace = "ns", ResourceVersion = cluster.Server.ResourceVersion.ToString() }, cts.Token))
            {
            }
        });
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 1, "watch open");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(5)));
        await Eventually.TrueAsync(() => cluster.Server.OpenWatchCount == 0, "server sees the watch closed");
    }
}
