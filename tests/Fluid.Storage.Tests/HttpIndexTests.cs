using Fluid.Storage.Mounts;
using Fluid.Storage.Tests.Support;

namespace Fluid.Storage.Tests;

/// <summary>HTTP specifics: servers without an index, forced index formats.</summary>
[Collection(StorageServersCollection.Name)]
public sealed class HttpIndexTests
{
    private readonly StorageServersFixture _servers;

    public HttpIndexTests(StorageServersFixture servers)
    {
        _servers = servers;
    }

    [Fact]
    public async Task List_ServerWithoutIndex_SaysToEnableAutoindex()
    {
        await using var ufs = _servers.Registry.Create(new UfsMount("plain", $"{_servers.Nginx.BaseUri}plain/tree/"));
        var directory = _servers.Tree.Directories[0];
        var stat = await ufs.StatAsync(directory, CancellationToken.None);
        Assert.True(stat!.IsDirectory);
        Assert.NotNull(await ufs.StatAsync(_servers.Tree.Files[1].Path, CancellationToken.None));

        var error = await Assert.ThrowsAsync<UfsException>(() => ConnectorContractTests.ListAllAsync(ufs, directory));
        Assert.Equal(UfsErrorKind.PermissionDenied, error.Kind);
        Assert.Contains("enable autoindex", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_JsonForcedOnHtmlIndex_FailsClearly()
    {
        await using var ufs = _servers.Registry.Create(_servers.Nginx.HtmlMount("forced", "tree/", new Dictionary<string, string> { ["index"] = "json" }));
        var error = await Assert.ThrowsAsync<UfsException>(() => ConnectorContractTests.ListAllAsync(ufs, string.Empty));
        Assert.Equal(UfsErrorKind.Unavailable, error.Kind);
        Assert.Contains("not nginx JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_HtmlForcedOnJsonLocation_ReturnsNoEntries()
    {
        // A JSON body scanned as HTML has no links: an empty listing, not a crash.
        await using var ufs = _servers.Registry.Create(_servers.Nginx.JsonMount("forced", "tree/", new Dictionary<string, string> { ["index"] = "html" }));
        Assert.Empty(await ConnectorContractTests.ListAllAsync(ufs, string.Empty));
    }
}
