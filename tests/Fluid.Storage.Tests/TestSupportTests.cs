using System.Net;
using Fluid.Testing;

namespace Fluid.Storage.Tests;

/// <summary>The shared fixtures themselves: other test projects rely on them.</summary>
public sealed class TestSupportTests
{
    [Fact]
    public async Task Nginx_TwoInstances_RunSideBySideWithOwnLogs()
    {
        await using var first = new NginxFixture();
        await using var second = new NginxFixture();
        await Task.WhenAll(first.InitializeAsync(), second.InitializeAsync());
        Assert.NotEqual(first.Port, second.Port);
        await File.WriteAllTextAsync(Path.Combine(first.Root, "a.txt"), "first");
        await File.WriteAllTextAsync(Path.Combine(second.Root, "a.txt"), "second");

        using var client = new HttpClient();
        Assert.Equal("first", await client.GetStringAsync(first.JsonUrl("a.txt")));
        Assert.Equal("second", await client.GetStringAsync(second.HtmlUrl("a.txt")));
        using var json = await client.GetAsync(first.JsonUrl());
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        using var plain = await client.GetAsync(new Uri(first.BaseUri, "plain/"));
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Contains(first.AccessLog(), line => line.Contains("GET /json/a.txt", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(first.ConfigDirectory, "nginx.pid")));
    }

    [Fact]
    public async Task FaultProxy_QueuedFaultsThenPass_AreAppliedPerConnection()
    {
        await using var nginx = new NginxFixture();
        await nginx.InitializeAsync();
        await File.WriteAllTextAsync(Path.Combine(nginx.Root, "b.txt"), "through");
        await using var proxy = new FaultProxy(nginx.Port);
        proxy.Enqueue(Fault.ServiceUnavailable);

        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero });
        using var failed = await client.GetAsync($"{proxy.Endpoint}/json/b.txt");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("through", await client.GetStringAsync($"{proxy.Endpoint}/json/b.txt"));
        Assert.Equal(2, proxy.Connections);
    }

    [Fact]
    public void TestTree_SameSeed_SameTreeAndBytes()
    {
        var a = TestTree.Generate(5, directories: 5, filesPerDirectory: 3);
        var b = TestTree.Generate(5, directories: 5, filesPerDirectory: 3);
        Assert.Equal(a.Files, b.Files);
        Assert.Equal(a.Directories, b.Directories);
        Assert.Equal(TestTree.ContentOf(a.Files[4]), TestTree.ContentOf(b.Files[4]));
        Assert.All(a.Directories, d => Assert.Contains(a.Files, f => UfsPath.Parent(f.Path) == d));
        Assert.NotEqual(a.Files, TestTree.Generate(6, directories: 5, filesPerDirectory: 3).Files);
    }
}
