using Fluid.Storage.Mounts;
using Fluid.Storage.Tests.Support;
using Fluid.Testing;

namespace Fluid.Storage.Tests;

/// <summary>Credentials never show up in errors, exception chains, logs or names.</summary>
[Collection(StorageServersCollection.Name)]
public sealed class CredentialTests
{
    private const string AccessKey = "AKIAFLUIDTESTKEY4242";
    private const string SecretKey = "zz9-plural-Z-alpha/SuperSecret+Value";

    private readonly StorageServersFixture _servers;

    public CredentialTests(StorageServersFixture servers)
    {
        _servers = servers;
    }

    [Fact]
    public async Task S3_WrongCredentials_PermissionDeniedWithoutLeakingThem()
    {
        var logs = new CapturingLoggerFactory();
        var registry = UfsRegistry.CreateDefault(new UfsRegistryOptions { LoggerFactory = logs });
        var mount = new UfsMount(
            "secured",
            $"s3://{_servers.Bucket}/tree",
            new Dictionary<string, string> { ["endpoint"] = _servers.S3.Endpoint, ["retry-base-delay"] = "10ms" },
            new Dictionary<string, string> { ["access-key"] = AccessKey, ["secret-key"] = SecretKey });
        await using var ufs = registry.Create(mount);

        var stat = await Assert.ThrowsAsync<UfsException>(() => ufs.StatAsync("file0.bin", CancellationToken.None));
        var list = await Assert.ThrowsAsync<UfsException>(() => ConnectorContractTests.ListAllAsync(ufs, string.Empty));
        Assert.Equal(UfsErrorKind.PermissionDenied, stat.Kind);
        Assert.Equal(UfsErrorKind.PermissionDenied, list.Kind);
        Assert.Contains("access denied", stat.Message, StringComparison.Ordinal);
        AssertNoSecrets(stat.ToString(), list.ToString(), ufs.DisplayName, mount.ToString(), string.Join('\n', logs.Messages));
    }

    [Fact]
    public async Task S3_RetriedFailures_LogWithoutCredentials()
    {
        var logs = new CapturingLoggerFactory();
        var registry = UfsRegistry.CreateDefault(new UfsRegistryOptions { LoggerFactory = logs });
        await using var proxy = new FaultProxy(_servers.S3.Port) { DefaultFault = Fault.ServiceUnavailable };
        var mount = new UfsMount(
            "secured",
            $"s3://{_servers.Bucket}/tree",
            new Dictionary<string, string> { ["endpoint"] = proxy.Endpoint, ["retries"] = "2", ["retry-base-delay"] = "10ms" },
            new Dictionary<string, string> { ["aws.accessKeyId"] = AccessKey, ["aws.secretKey"] = SecretKey });
        await using var ufs = registry.Create(mount);

        var error = await Assert.ThrowsAsync<UfsException>(() => ufs.StatAsync("file0.bin", CancellationToken.None));
        Assert.Equal(UfsErrorKind.Unavailable, error.Kind);
        Assert.Equal(2, logs.Messages.Count(m => m.Contains("retrying", StringComparison.Ordinal)));
        AssertNoSecrets(error.ToString(), string.Join('\n', logs.Messages));
    }

    [Fact]
    public async Task Http_UserInfoAndSecretHeaders_StayOutOfErrorsAndLogs()
    {
        var logs = new CapturingLoggerFactory();
        var registry = UfsRegistry.CreateDefault(new UfsRegistryOptions { LoggerFactory = logs });
        await using var proxy = new FaultProxy(_servers.Nginx.Port);
        proxy.Enqueue(Fault.ServiceUnavailable);
        var mount = new UfsMount(
            "web",
            $"http://alice:{Uri.EscapeDataString(SecretKey)}@127.0.0.1:{proxy.Port}/json/tree/",
            new Dictionary<string, string> { ["retry-base-delay"] = "10ms" },
            new Dictionary<string, string> { ["header.X-Api-Key"] = AccessKey });
        await using var ufs = registry.Create(mount);

        // Works (nginx ignores the credentials) after one retried 503, then fails on a missing directory.
        Assert.NotNull(await ufs.StatAsync("file0.bin", CancellationToken.None));
        var error = await Assert.ThrowsAsync<UfsException>(() => ConnectorContractTests.ListAllAsync(ufs, "missing"));
        Assert.Equal(UfsErrorKind.NotFound, error.Kind);
        Assert.Contains(logs.Messages, m => m.Contains("retrying", StringComparison.Ordinal));
        AssertNoSecrets(error.ToString(), ufs.DisplayName, mount.ToString(), string.Join('\n', logs.Messages));
        Assert.DoesNotContain(Uri.EscapeDataString(SecretKey), ufs.DisplayName, StringComparison.Ordinal);
    }

    [Fact]
    public void Redactor_SecretInsideExceptionChain_DropsTheChain()
    {
        var redactor = new SecretRedactor([SecretKey]);
        var leaking = new InvalidOperationException("outer", new InvalidOperationException("signature used " + SecretKey));
        Assert.Null(redactor.SafeInner(leaking));
        var clean = new InvalidOperationException("nothing to see");
        Assert.Same(clean, redactor.SafeInner(clean));
        Assert.Equal("key=*** end", redactor.Scrub($"key={SecretKey} end"));
    }

    private static void AssertNoSecrets(params string[] texts)
    {
        foreach (var text in texts)
        {
            Assert.DoesNotContain(SecretKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(AccessKey, text, StringComparison.Ordinal);
        }
    }
}
