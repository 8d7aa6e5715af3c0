using Fluid.Kubernetes.TestServer;
using k8s;

namespace Fluid.Kubernetes.Tests;

/// <summary>A fresh in-process API server and a real KubernetesClient pointed at it.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(KubeApiServer server)
    {
        Server = server;
        Client = NewClient();
    }

    public KubeApiServer Server { get; }

    public k8s.Kubernetes Client { get; }

    public static async Task<TestCluster> StartAsync(KubeApiServerOptions? options = null) =>
        new(await KubeApiServer.StartAsync(options));

    /// <summary>Another client (its own connections), as a second replica would have.</summary>
    public k8s.Kubernetes NewClient() => new(new KubernetesClientConfiguration { Host = Server.Url.ToString() });

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Polling helpers with a deadline, for conditions reached asynchronously.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }
}
