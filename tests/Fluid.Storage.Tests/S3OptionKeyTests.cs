using Fluid.Storage.Mounts;
using Fluid.Storage.Tests.Support;
using Fluid.Testing;

namespace Fluid.Storage.Tests;

/// <summary>The option spellings of Fluid's engines all configure the same S3 client.</summary>
[Collection(StorageServersCollection.Name)]
public sealed class S3OptionKeyTests
{
    private readonly StorageServersFixture _servers;

    public S3OptionKeyTests(StorageServersFixture servers)
    {
        _servers = servers;
    }

    public static TheoryData<string, string, string, string, string> KeyStyles => new()
    {
        { "alluxio", "alluxio.underfs.s3.endpoint", "alluxio.underfs.s3.endpoint.region", "aws.accessKeyId", "aws.secretKey" },
        { "juicefs", "endpoint", "region", "access-key", "secret-key" },
        { "jindo", "fs.s3.endpoint", "fs.s3.region", "fs.s3.accessKeyId", "fs.s3.accessKeySecret" },
    };

    [Theory]
    [MemberData(nameof(KeyStyles))]
    public async Task Create_EngineKeyStyle_ReadsTheBucket(string style, string endpointKey, string regionKey, string accessKey, string secretKey)
    {
        var mount = new UfsMount(
            style,
            $"s3://{_servers.Bucket}/tree",
            new Dictionary<string, string> { [endpointKey] = _servers.S3.Endpoint, [regionKey] = "us-east-1" },
            new Dictionary<string, string> { [accessKey] = S3ServerFixture.AccessKey, [secretKey] = S3ServerFixture.SecretKey });
        await using var ufs = _servers.Registry.Create(mount);
        var file = _servers.Tree.Files.First(f => f.Length > 100);
        var entry = await ufs.StatAsync(file.Path, CancellationToken.None);
        var buffer = new byte[100];
        Assert.Equal(100, await ufs.ReadAsync(entry!, 0, buffer, CancellationToken.None));
        Assert.True(TestTree.ContentOf(file).AsSpan(0, 100).SequenceEqual(buffer));
    }

    [Fact]
    public async Task Create_Anonymous_ReadsWithoutSigning()
    {
        var mount = new UfsMount(
            "public",
            $"s3://{_servers.Bucket}/tree",
            new Dictionary<string, string> { ["endpoint"] = _servers.S3.Endpoint, ["anonymous"] = "true" });
        await using var ufs = _servers.Registry.Create(mount);
        Assert.NotEmpty(await ConnectorContractTests.ListAllAsync(ufs, string.Empty));
    }

    [Fact]
    public async Task Stat_MissingBucket_SaysTheBucketDoesNotExist()
    {
        await using var ufs = _servers.Registry.Create(_servers.S3.Mount("nobucket", "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8]));
        var error = await Assert.ThrowsAsync<UfsException>(() => ufs.StatAsync(string.Empty, CancellationToken.None));
        Assert.Equal(UfsErrorKind.NotFound, error.Kind);
        Assert.Contains("the bucket does not exist", error.Message, StringComparison.Ordinal);
    }
}
