using System.Diagnostics;
using Fluid.Storage.Mounts;
using Fluid.Storage.Tests.Support;
using Fluid.Testing;

namespace Fluid.Storage.Tests;

/// <summary>Timeouts and retries against real servers behind a fault-injecting proxy.</summary>
[Collection(StorageServersCollection.Name)]
public sealed class ResilienceTests
{
    private static readonly Dictionary<string, string> FastRetries = new()
    {
        ["timeout"] = "800ms",
        ["retries"] = "3",
        ["retry-base-delay"] = "20ms",
        ["retry-max-delay"] = "100ms",
    };

    private readonly StorageServersFixture _servers;

    public ResilienceTests(StorageServersFixture servers)
    {
        _servers = servers;
    }

    public static TheoryData<string> RemoteConnectors => new() { "s3", "http-json" };

    [Theory]
    [MemberData(nameof(RemoteConnectors))]
    public async Task Stat_ServerNeverAnswers_FailsWithinTheTimeoutNamingMountPathAndOperation(string connector)
    {
        await using var proxy = new FaultProxy(UpstreamPort(connector)) { DefaultFault = Fault.Hang };
        var options = new Dictionary<string, string> { ["timeout"] = "500ms", ["retries"] = "1", ["retry-base-delay"] = "10ms" };
        await using var ufs = CreateBehind(proxy, connector, options);
        var file = _servers.Tree.Files[1].Path;

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<UfsException>(() => ufs.StatAsync(file, CancellationToken.None));
        clock.Stop();

        Assert.Equal(UfsErrorKind.Timeout, error.Kind);
        Assert.Contains("no answer within 500 ms", error.Message, StringComparison.Ordinal);
        Assert.Contains("gave up after 2 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains($"stat \"{file}\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("mount \"", error.Message, StringComparison.Ordinal);
        Assert.Equal(file, error.Path);
        Assert.Equal("stat", error.Operation);
        // Two attempts of 0.5 s plus a short backoff; generous bound for a loaded machine.
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 6);
        Assert.Equal(2, proxy.Connections);
    }

    [Theory]
    [MemberData(nameof(RemoteConnectors))]
    public async Task Read_ServerFailsTwiceThenAnswers_Succeeds(string connector)
    {
        await using var proxy = new FaultProxy(UpstreamPort(connector));
        await using var ufs = CreateBehind(proxy, connector, FastRetries);
        var file = _servers.Tree.Files.First(f => f.Length > 5000);
        var entry = await ufs.StatAsync(file.Path, CancellationToken.None);
        Assert.NotNull(entry);

        // A new mount has no pooled connection, so its first two connections get the faults.
        proxy.Enqueue(Fault.ServiceUnavailable, Fault.ServiceUnavailable);
        var connectionsBefore = proxy.Connections;
        await using var fresh = CreateBehind(proxy, connector, FastRetries);
        var buffer = new byte[4000];
        var read = await fresh.ReadAsync(entry, 1000, buffer, CancellationToken.None);

        Assert.Equal(4000, read);
        Assert.True(TestTree.ContentOf(file).AsSpan(1000, 4000).SequenceEqual(buffer));
        Assert.Equal(connectionsBefore + 3, proxy.Connections);
    }

    [Theory]
    [MemberData(nameof(RemoteConnectors))]
    public async Task List_ConnectionResetThenAnswers_Succeeds(string connector)
    {
        await using var proxy = new FaultProxy(UpstreamPort(connector));
        proxy.Enqueue(Fault.Reset, Fault.ServiceUnavailable);
        await using var ufs = CreateBehind(proxy, connector, FastRetries);
        var entries = await ConnectorContractTests.ListAllAsync(ufs, string.Empty);
        Assert.Equal(_servers.Tree.Files.Count(f => !f.Path.Contains('/', StringComparison.Ordinal)) + _servers.Tree.Directories.Count(d => !d.Contains('/', StringComparison.Ordinal)), entries.Count);
    }

    [Theory]
    [MemberData(nameof(RemoteConnectors))]
    public async Task Read_ServerAlwaysFails_GivesUpAfterTheRetries(string connector)
    {
        await using var proxy = new FaultProxy(UpstreamPort(connector));
        await using var ufs = CreateBehind(proxy, connector, FastRetries);
        var entry = await ufs.StatAsync(_servers.Tree.Files[2].Path, CancellationToken.None);
        proxy.DefaultFault = Fault.ServiceUnavailable;
        await using var fresh = CreateBehind(proxy, connector, FastRetries);
        var before = proxy.Connections;

        var error = await Assert.ThrowsAsync<UfsException>(async () => await fresh.ReadAsync(entry!, 0, new byte[100], CancellationToken.None));
        Assert.Equal(UfsErrorKind.Unavailable, error.Kind);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.Contains("gave up after 4 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(before + 4, proxy.Connections);
        Assert.Contains(_servers.Logs.Messages, m => m.Contains("retrying in", StringComparison.Ordinal) && m.Contains("attempt 3 of 4", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(RemoteConnectors))]
    public async Task Calls_ConnectionRefused_FailAsUnavailable(string connector)
    {
        var closedPort = FreePort.Next();
        var endpoint = $"http://127.0.0.1:{closedPort}";
        var mount = connector == "s3"
            ? _servers.S3.Mount("refused", _servers.Bucket, "tree", new Dictionary<string, string>(FastRetries) { ["alluxio.underfs.s3.endpoint"] = endpoint })
            : new UfsMount("refused", $"{endpoint}/json/tree/", FastRetries);
        await using var ufs = _servers.Registry.Create(mount);

        var error = await Assert.ThrowsAsync<UfsException>(() => ufs.StatAsync("file0.bin", CancellationToken.None));
        Assert.Equal(UfsErrorKind.Unavailable, error.Kind);
        Assert.Contains("cannot reach", error.Message, StringComparison.Ordinal);
        Assert.Contains("gave up after 4 attempts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_NotFoundAndVersionMismatch_AreNeverRetried()
    {
        await using var ufs = _servers.Create("http-json", "scratch", FastRetries);
        var name = $"once-{Guid.NewGuid():N}.bin";
        await _servers.WriteScratchAsync("http-json", name, TestTree.Bytes(21, 3000), DateTime.UtcNow.AddMinutes(-5));
        var entry = await ufs.StatAsync(name, CancellationToken.None);
        await _servers.WriteScratchAsync("http-json", name, TestTree.Bytes(22, 3000), DateTime.UtcNow.AddMinutes(-1));

        var mismatch = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(entry!, 0, new byte[10], CancellationToken.None));
        Assert.Equal(UfsErrorKind.VersionMismatch, mismatch.Kind);
        File.Delete(Path.Combine(_servers.Nginx.Root, "scratch", name));
        var missing = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(entry!, 0, new byte[10], CancellationToken.None));
        Assert.Equal(UfsErrorKind.NotFound, missing.Kind);

        // One GET each: nginx logs every request it answered.
        var gets = await CountAccessLogAsync($"GET /json/scratch/{name}");
        Assert.Equal(2, gets);
    }

    [Fact]
    public async Task S3_VersionMismatchAndNotFound_AreNeverRetried()
    {
        // A generous timeout: on a loaded machine a slow answer would be retried, rightly, and hide what is checked here.
        await using var ufs = _servers.Create("s3", "scratch", new Dictionary<string, string>(FastRetries) { ["timeout"] = "15s" });
        var name = $"once-{Guid.NewGuid():N}.bin";
        await _servers.WriteScratchAsync("s3", name, TestTree.Bytes(23, 3000));
        var entry = await ufs.StatAsync(name, CancellationToken.None);
        await _servers.WriteScratchAsync("s3", name, TestTree.Bytes(24, 3000));

        var mismatch = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(entry!, 0, new byte[10], CancellationToken.None));
        Assert.Equal(UfsErrorKind.VersionMismatch, mismatch.Kind);
        await _servers.S3.Client.DeleteObjectAsync(_servers.Bucket, "scratch/" + name);
        var missing = await Assert.ThrowsAsync<UfsException>(async () => await ufs.ReadAsync(entry!, 0, new byte[10], CancellationToken.None));
        Assert.Equal(UfsErrorKind.NotFound, missing.Kind);

        // Every retry is logged; none may concern this file.
        Assert.DoesNotContain(_servers.Logs.Messages, m => m.Contains(name, StringComparison.Ordinal));
        Assert.DoesNotContain("attempts", mismatch.Message + missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_DuringHungCall_ThrowsOperationCanceled()
    {
        await using var proxy = new FaultProxy(_servers.Nginx.Port) { DefaultFault = Fault.Hang };
        await using var ufs = CreateBehind(proxy, "http-json", new Dictionary<string, string> { ["timeout"] = "30s" });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ufs.StatAsync("file0.bin", cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task HttpListing_ServerStallsMidway_FailsWithTimeout()
    {
        // A listing whose body never finishes: the proxy hangs, so even the headers never arrive.
        await using var proxy = new FaultProxy(_servers.Nginx.Port) { DefaultFault = Fault.Hang };
        await using var ufs = CreateBehind(proxy, "http-json", new Dictionary<string, string> { ["timeout"] = "400ms", ["retries"] = "0" });
        var error = await Assert.ThrowsAsync<UfsException>(() => ConnectorContractTests.ListAllAsync(ufs, string.Empty));
        Assert.Equal(UfsErrorKind.Timeout, error.Kind);
        Assert.Contains("list \"\"", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http-json")]
    [InlineData("http-html")]
    [InlineData("s3")]
    public async Task List_SlowConsumer_DoesNotTimeOut(string connector)
    {
        // Only the server's silence counts against the timeout, not the time a consumer takes. The
        // directory is large enough that its index arrives in several reads (and S3 pages).
        var directory = $"slow-{connector}-{Guid.NewGuid():N}";
        const int files = 300;
        if (connector == "s3")
        {
            await Parallel.ForAsync(0, files, async (i, _) => await _servers.S3.PutAsync(_servers.Bucket, $"scratch/{directory}/{i:D4}-{new string('x', 60)}", [1]));
        }
        else
        {
            Directory.CreateDirectory(Path.Combine(_servers.Nginx.Root, "scratch", directory));
            for (var i = 0; i < files; i++)
            {
                File.Create(Path.Combine(_servers.Nginx.Root, "scratch", directory, $"{i:D4}-{new string('x', 60)}")).Dispose();
            }
        }

        var options = new Dictionary<string, string> { ["timeout"] = "300ms", ["retries"] = "0", ["page-size"] = "100" };
        await using var ufs = _servers.Create(connector, "scratch", options);
        var count = 0;
        await foreach (var entry in ufs.ListAsync(directory, CancellationToken.None))
        {
            if (count++ is 0 or 150)
            {
                await Task.Delay(500);
            }
        }

        Assert.Equal(files, count);
    }

    private int UpstreamPort(string connector) => connector == "s3" ? _servers.S3.Port : _servers.Nginx.Port;

    private IUnderFileSystem CreateBehind(FaultProxy proxy, string connector, IReadOnlyDictionary<string, string> options, string root = "tree")
    {
        var mount = connector switch
        {
            "s3" => _servers.S3.Mount("s3-proxied", _servers.Bucket, root, new Dictionary<string, string>(options) { ["alluxio.underfs.s3.endpoint"] = proxy.Endpoint }),
            _ => new UfsMount("http-proxied", $"{proxy.Endpoint}/json/{root}/", options),
        };
        return _servers.Registry.Create(mount);
    }

    private async Task<int> CountAccessLogAsync(string requestPrefix)
    {
        // nginx writes the access log line after the response; give it a moment.
        await Task.Delay(200);
        return _servers.Nginx.AccessLog().Count(line => line.Contains("\"" + requestPrefix + " ", StringComparison.Ordinal));
    }
}
