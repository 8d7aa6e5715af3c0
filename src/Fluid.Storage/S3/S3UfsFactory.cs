using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Fluid.Storage.Mounts;
using Fluid.Storage.Resilience;
using Microsoft.Extensions.Logging;

namespace Fluid.Storage.S3;

/// <summary>
/// Creates <c>s3://bucket[/prefix]</c> mounts. Accepts our option keys and the ones Fluid's Alluxio,
/// Jindo and JuiceFS samples use (see docs/storage.md): endpoint, region, path-style and credentials.
/// </summary>
internal sealed class S3UfsFactory : IUfsFactory
{
    // Keys are tried in order; ours first, then Fluid's (Alluxio, Jindo) spellings.
    internal static readonly string[] EndpointKeys = ["endpoint", "alluxio.underfs.s3.endpoint", "fs.s3.endpoint"];
    internal static readonly string[] RegionKeys = ["region", "alluxio.underfs.s3.endpoint.region", "alluxio.underfs.s3.region", "fs.s3.region"];
    internal static readonly string[] AccessKeyKeys = ["access-key", "aws.accessKeyId", "fs.s3.accessKeyId"];
    internal static readonly string[] SecretKeyKeys = ["secret-key", "aws.secretKey", "fs.s3.accessKeySecret"];
    internal static readonly string[] SessionTokenKeys = ["session-token", "aws.sessionToken"];

    public IUnderFileSystem Create(UfsMount mount, UfsRegistryOptions options)
    {
        var label = UfsRegistry.MountLabel(mount);
        var reader = new MountOptionReader(mount);
        MountPoint.TrySplitScheme(mount.MountPoint, out _, out var rest);
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = MountPoint.NormalizeRoot(slash < 0 ? string.Empty : rest[(slash + 1)..]);
        if (!IsBucketName(bucket))
        {
            reader.AddProblem($"mountPoint: '{mount.SafeMountPoint}' must be s3://<bucket>[/prefix] with a bucket name of 3-63 letters, digits, '.', '-' or '_'");
        }

        if (prefix is null)
        {
            reader.AddProblem($"mountPoint: '{mount.SafeMountPoint}' must not contain '.' or '..' segments");
        }

        var endpointText = reader.GetString(EndpointKeys);
        Uri? endpoint = null;
        if (endpointText is not null)
        {
            var withScheme = endpointText.Contains("://", StringComparison.Ordinal) ? endpointText : "https://" + endpointText;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https") || endpoint.Host.Length == 0 || endpoint.UserInfo.Length > 0)
            {
                reader.AddProblem($"options.endpoint: '{SecretRedactor.RedactUri(endpointText)}' is not an http(s) URL or host[:port] (user info is not allowed; use the credential options)");
                endpoint = null;
            }
        }

        var region = reader.GetString(RegionKeys) ?? "us-east-1";
        // Path-style addressing is the default for custom endpoints: most S3-compatible servers need it.
        var pathStyle = reader.GetBool(endpoint is not null, "path-style");
        pathStyle = reader.GetBool(pathStyle, "alluxio.underfs.s3.disable.dns.buckets");
        var pageSize = reader.GetInt(1000, 1, 1000, "page-size");
        var maxConnections = reader.GetInt(64, 1, 1024, "max-connections");
        var anonymous = reader.GetBool(false, "anonymous");
        var credentialsMode = reader.GetString("credentials");
        var accessKey = reader.GetSecret(AccessKeyKeys);
        var secretKey = reader.GetSecret(SecretKeyKeys);
        var sessionToken = reader.GetSecret(SessionTokenKeys);
        var policy = UfsCallPolicy.FromOptions(reader, options.DefaultPolicy);

        AWSCredentials? credentials = null;
        if (accessKey is not null && secretKey is not null)
        {
            credentials = sessionToken is null ? new BasicAWSCredentials(accessKey, secretKey) : new SessionAWSCredentials(accessKey, secretKey, sessionToken);
        }
        else if (accessKey is not null || secretKey is not null)
        {
            reader.AddProblem(accessKey is null
                ? "credentials: a secret key is set but no access key (aws.accessKeyId or access-key)"
                : "credentials: an access key is set but no secret key (aws.secretKey or secret-key)");
        }
        else if (anonymous)
        {
            credentials = new AnonymousAWSCredentials();
        }
        else if (credentialsMode is not "default")
        {
            reader.AddProblem("credentials: none given; set aws.accessKeyId and aws.secretKey (as encryptOptions), "
                + "or anonymous: \"true\" for a public bucket, or credentials: default for the AWS SDK's own chain (environment, profile, instance role)");
        }

        if (credentialsMode is not null and not "default")
        {
            reader.AddProblem($"options.credentials: '{credentialsMode}' is not supported (the only value is 'default')");
        }

        reader.ThrowIfProblems(label);

        var config = new AmazonS3Config
        {
            ForcePathStyle = pathStyle,
            Timeout = policy.Timeout,
            ConnectTimeout = policy.Timeout < TimeSpan.FromSeconds(10) ? policy.Timeout : TimeSpan.FromSeconds(10),
            // Retries are ours (bounded, with jitter, never for NotFound or a changed object).
            MaxErrorRetry = 0,
            RetryMode = RequestRetryMode.Standard,
            MaxConnectionsPerServer = maxConnections,
            CacheHttpClient = false,
            // The mount's configuration is the whole truth: no AWS_ENDPOINT_URL from the environment.
            IgnoreConfiguredEndpointUrls = true,
            // Ranged GETs carry no whole-object checksum, and many S3-compatible servers lack the newer ones.
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');
            config.AuthenticationRegion = region;
            config.UseHttp = endpoint.Scheme == "http";
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        var client = credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
        var logger = options.LoggerFactory.CreateLogger<S3UnderFileSystem>();
        var redactor = SecretRedactor.ForMount(mount, [accessKey, secretKey, sessionToken]);
        var runner = new UfsCallRunner(label, policy, redactor, logger, S3UnderFileSystem.Classify);
        return new S3UnderFileSystem(client, bucket, prefix!, pageSize, runner, logger);
    }

    private static bool IsBucketName(string bucket)
    {
        if (bucket.Length is < 3 or > 63)
        {
            return false;
        }

        foreach (var c in bucket)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
