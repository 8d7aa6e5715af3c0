using Fluid.Storage.Mounts;
using Fluid.Storage.Resilience;

namespace Fluid.Storage.Tests;

public sealed class MountConfigurationTests
{
    private static readonly UfsRegistry Registry = UfsRegistry.CreateDefault(new UfsRegistryOptions { PvcRoot = "/runtime-mnt/pvc" });

    private static readonly Dictionary<string, string> S3Secrets = new()
    {
        ["aws.accessKeyId"] = "AKIDEXAMPLE123",
        ["aws.secretKey"] = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY",
    };

    [Fact]
    public void Schemes_Default_AreTheFluidSchemes()
    {
        Assert.Equal(["http", "https", "local", "pvc", "s3"], Registry.Schemes);
    }

    [Theory]
    [InlineData("hdfs://namenode:9000/data", "unknown scheme 'hdfs'")]
    [InlineData("/data/no-scheme", "has no scheme")]
    [InlineData("", "is empty")]
    [InlineData("local://relative/path", "needs an absolute path")]
    [InlineData("local:///data/../etc", "must not contain '.' or '..'")]
    [InlineData("pvc://", "must name a claim")]
    [InlineData("pvc://Not_A_Claim/x", "must name a claim")]
    [InlineData("pvc://claim/../../etc", "must not contain '.' or '..'")]
    [InlineData("s3://", "must be s3://<bucket>")]
    [InlineData("s3://b/x", "must be s3://<bucket>")]
    [InlineData("s3://bucket/a/../b", "must not contain '.' or '..'")]
    [InlineData("http://host/dir/?q=1", "must not have a query")]
    [InlineData("https://host/a/../b/", "must not contain '.' or '..'")]
    [InlineData("http:///nohost/", "is not a valid http URL")]
    public void Create_BadMountPoint_ThrowsInvalidConfigurationNamingTheProblem(string mountPoint, string expected)
    {
        var error = Assert.Throws<UfsException>(() => Registry.Create(new UfsMount("data", mountPoint, new Dictionary<string, string>(), S3Secrets)));
        Assert.Equal(UfsErrorKind.InvalidConfiguration, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("mount \"data\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("configure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_UnknownScheme_ListsSupportedSchemes()
    {
        var error = Assert.Throws<UfsException>(() => Registry.Create(new UfsMount("data", "ftp://host/x")));
        Assert.Contains("supported: http, https, local, pvc, s3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MissingName_IsRejected()
    {
        var error = Assert.Throws<UfsException>(() => Registry.Create(new UfsMount(" ", "local:///data")));
        Assert.Contains("name: a mount needs a name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_S3WithoutCredentials_ExplainsTheChoices()
    {
        var error = Assert.Throws<UfsException>(() => Registry.Create(new UfsMount("data", "s3://bucket/prefix")));
        Assert.Equal(UfsErrorKind.InvalidConfiguration, error.Kind);
        Assert.Contains("aws.accessKeyId", error.Message, StringComparison.Ordinal);
        Assert.Contains("anonymous", error.Message, StringComparison.Ordinal);
        Assert.Contains("credentials: default", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_S3HalfCredentials_NamesTheMissingKey()
    {
        var secrets = new Dictionary<string, string> { ["aws.secretKey"] = "only-the-secret-value" };
        var error = Assert.Throws<UfsException>(() => Registry.Create(new UfsMount("data", "s3://bucket", new Dictionary<string, string>(), secrets)));
        Assert.Contains("no access key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("only-the-secret-value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_SeveralBadOptions_ReportsAllAtOnce()
    {
        var options = new Dictionary<string, string>
        {
            ["timeout"] = "5x",
            ["retries"] = "-1",
            ["alluxio.underfs.s3.endpoint"] = "ftp://wrong",
            ["alluxio.underfs.s3.disable.dns.buckets"] = "maybe",
            ["page-size"] = "5000",
        };
        var error = Assert.Throws<UfsException>(() => Registry.Create(new UfsMount("data", "s3://bucket", options, S3Secrets)));
        Assert.Contains("options.timeout: '5x' is not a positive duration", error.Message, StringComparison.Ordinal);
        Assert.Contains("options.retries: '-1' is not a whole number between 0 and 20", error.Message, StringComparison.Ordinal);
        Assert.Contains("options.endpoint: 'ftp://wrong' is not an http(s) URL", error.Message, StringComparison.Ordinal);
        Assert.Contains("options.alluxio.underfs.s3.disable.dns.buckets: 'maybe' is not a boolean", error.Message, StringComparison.Ordinal);
        Assert.Contains("options.page-size: '5000'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_HttpBadIndexAndHeader_AreRejected()
    {
        var options = new Dictionary<string, string> { ["index"] = "xml", ["header.Bad Name"] = "x" };
        var error = Assert.Throws<UfsException>(() => Registry.Create(new UfsMount("web", "https://example.org/data/", options)));
        Assert.Contains("options.index: 'xml' is not one of auto, json, html", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Bad Name' is not a valid header name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ValidMounts_HaveSafeDisplayNames()
    {
        await using var s3 = Registry.Create(new UfsMount("d", "s3://my-bucket/some/prefix/", new Dictionary<string, string> { ["endpoint"] = "http://127.0.0.1:1" }, S3Secrets));
        Assert.Equal("s3://my-bucket/some/prefix/", s3.DisplayName);
        await using var pvc = Registry.Create(new UfsMount("d", "pvc://claim-1/sub/dir"));
        Assert.Equal("pvc://claim-1/sub/dir", pvc.DisplayName);
        await using var local = Registry.Create(new UfsMount("d", "local:///mnt//data/"));
        Assert.Equal("local:///mnt/data", local.DisplayName);
        await using var http = Registry.Create(new UfsMount("d", "https://user:pa55word-xyz@example.org/files"));
        Assert.DoesNotContain("pa55word-xyz", http.DisplayName, StringComparison.Ordinal);
        Assert.Equal("https://***@example.org/files", http.DisplayName);
    }

    [Fact]
    public void ToString_Mount_NeverPrintsSecretValues()
    {
        var mount = new UfsMount(
            "data",
            "https://alice:pa55word-xyz@example.org/files",
            new Dictionary<string, string> { ["region"] = "eu-west-1", ["aws.secretKey"] = "plain-but-sensitive-123" },
            new Dictionary<string, string> { ["header.X-Api-Key"] = "header-secret-456", ["anything"] = "secret-789" });
        var text = mount.ToString();
        Assert.Contains("region = eu-west-1", text, StringComparison.Ordinal);
        Assert.Contains("header.X-Api-Key = ***", text, StringComparison.Ordinal);
        foreach (var secret in new[] { "pa55word-xyz", "plain-but-sensitive-123", "header-secret-456", "secret-789" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("aws.accessKeyId", true)]
    [InlineData("aws.secretKey", true)]
    [InlineData("access-key", true)]
    [InlineData("fs.s3.accessKeySecret", true)]
    [InlineData("header.Authorization", true)]
    [InlineData("password", true)]
    [InlineData("aws.sessionToken", true)]
    [InlineData("alluxio.underfs.s3.endpoint", false)]
    [InlineData("region", false)]
    public void IsSensitiveKey_CredentialKeys_AreRecognised(string key, bool sensitive)
    {
        Assert.Equal(sensitive, SecretRedactor.IsSensitiveKey(key));
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1.5", 1500)]
    [InlineData("1h", 3_600_000)]
    public void TryParseDuration_Forms_AreUnderstood(string text, double milliseconds)
    {
        Assert.True(MountOptionReader.TryParseDuration(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds);
    }

    [Fact]
    public void FromOptions_TimeoutAndRetries_OverrideDefaults()
    {
        var reader = new MountOptionReader(new UfsMount("d", "local:///x", new Dictionary<string, string> { ["timeout"] = "750ms", ["retries"] = "5" }));
        var policy = UfsCallPolicy.FromOptions(reader, UfsCallPolicy.Default);
        Assert.Empty(reader.Problems);
        Assert.Equal(TimeSpan.FromMilliseconds(750), policy.Timeout);
        Assert.Equal(5, policy.Retries);
    }

    [Fact]
    public void BackoffFor_Retries_GrowsAndStaysWithinBounds()
    {
        var policy = new UfsCallPolicy { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
        for (var sample = 0; sample < 200; sample++)
        {
            var first = policy.BackoffFor(1);
            Assert.InRange(first.TotalMilliseconds, 50, 100);
            var third = policy.BackoffFor(3);
            Assert.InRange(third.TotalMilliseconds, 200, 400);
            var tenth = policy.BackoffFor(10);
            Assert.InRange(tenth.TotalMilliseconds, 500, 1000);
        }
    }
}
