using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Fluid.Storage.Mounts;
using Xunit;

namespace Fluid.Testing;

/// <summary>
/// A real S3-protocol server (s3rver from artifacts/tools, installed by scripts/install-test-deps.sh)
/// on a free loopback port with its data in a unique temp directory. Use it as an xunit class or
/// collection fixture; it accepts the credentials <see cref="AccessKey"/>/<see cref="SecretKey"/>.
/// </summary>
public sealed partial class S3ServerFixture : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>The access key s3rver accepts.</summary>
    public const string AccessKey = "S3RVER";

    /// <summary>The secret key s3rver accepts.</summary>
    public const string SecretKey = "S3RVER";

    private ServerProcess? _server;
    private string? _directory;
    private AmazonS3Client? _client;

    /// <summary>The server's URL, e.g. http://127.0.0.1:40123.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>The server's port.</summary>
    public int Port { get; private set; }

    /// <summary>A client for setting up test data (path-style, checksums only when required).</summary>
    public IAmazonS3 Client => _client ?? throw new InvalidOperationException("the S3 server is not started");

    /// <summary>The s3rver executable this fixture runs.</summary>
    public static string ExecutablePath => Path.Combine(TestPaths.ToolsDirectory, "node_modules", ".bin", "s3rver");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"s3rver is not installed at {ExecutablePath}; run scripts/install-test-deps.sh (./test.sh does) to install it.");
        }

        _directory = TestPaths.CreateTempDirectory("s3rver");
        _server = ServerProcess.Start(
            ExecutablePath,
            ["--directory", _directory, "--address", "127.0.0.1", "--port", "0", "--silent"],
            line => line.StartsWith("S3rver listening on", StringComparison.Ordinal),
            environment: new Dictionary<string, string>
            {
                // s3rver encrypts continuation tokens with DES, which OpenSSL 3 only offers in its legacy provider.
                ["NODE_OPTIONS"] = "--openssl-legacy-provider",
            });
        var ready = await _server.WaitForLineAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        Port = int.Parse(ListeningPort().Match(ready).Groups[1].Value, CultureInfo.InvariantCulture);
        Endpoint = $"http://127.0.0.1:{Port}";
        _client = CreateClient(Endpoint);
    }

    /// <summary>A test-data client for an endpoint (for example a fault proxy in front of this server).</summary>
    public static AmazonS3Client CreateClient(string endpoint) => new(
        new BasicAWSCredentials(AccessKey, SecretKey),
        new AmazonS3Config
        {
            ServiceURL = endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            IgnoreConfiguredEndpointUrls = true,
            Timeout = TimeSpan.FromSeconds(30),
        });

    /// <summary>Creates a bucket with a name unique to this call (prefixed with <paramref name="prefix"/>).</summary>
    public async Task<string> CreateBucketAsync(string prefix = "test")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)].ToLowerInvariant();
        await Client.PutBucketAsync(new PutBucketRequest { BucketName = name }).ConfigureAwait(false);
        return name;
    }

    /// <summary>Uploads one object (unchunked: s3rver would store aws-chunked signatures as content).</summary>
    public Task PutAsync(string bucket, string key, byte[] content) =>
        Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(content), AutoCloseStream = true, UseChunkEncoding = false });

    /// <summary>A mount of <c>s3://bucket/prefix</c> on this server with Fluid's (Alluxio-style) option keys.</summary>
    public UfsMount Mount(string name, string bucket, string prefix = "", IReadOnlyDictionary<string, string>? extraOptions = null)
    {
        var options = new Dictionary<string, string>
        {
            ["alluxio.underfs.s3.endpoint"] = Endpoint,
            ["alluxio.underfs.s3.endpoint.region"] = "us-east-1",
            ["alluxio.underfs.s3.disable.dns.buckets"] = "true",
        };
        if (extraOptions is not null)
        {
            foreach (var (key, value) in extraOptions)
            {
                options[key] = value;
            }
        }

        var secrets = new Dictionary<string, string> { ["aws.accessKeyId"] = AccessKey, ["aws.secretKey"] = SecretKey };
        var mountPoint = prefix.Length == 0 ? $"s3://{bucket}" : $"s3://{bucket}/{prefix}";
        return new UfsMount(name, mountPoint, options, secrets);
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        TestPaths.DeleteQuietly(_directory);
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync().ConfigureAwait(false);

    [GeneratedRegex(@":(\d+)\s*$")]
    private static partial Regex ListeningPort();
}
