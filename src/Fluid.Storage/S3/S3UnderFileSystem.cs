using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Fluid.Storage.Resilience;
using Microsoft.Extensions.Logging;

namespace Fluid.Storage.S3;

/// <summary>
/// A bucket prefix on any S3-compatible server. Directories are key prefixes: listing uses
/// ListObjectsV2 with the "/" delimiter page by page; stat is HEAD, then a one-key listing for
/// prefixes. A file's version is its ETag (Last-Modified and size when the server sends no ETag);
/// reads are ranged GETs with If-Match that also check the returned ETag and total size, so a
/// server that ignores If-Match still cannot mix versions.
/// </summary>
internal sealed class S3UnderFileSystem : IUnderFileSystem
{
    private readonly IAmazonS3 _client;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly int _pageSize;
    private readonly UfsCallRunner _runner;
    private readonly ILogger _logger;

    public S3UnderFileSystem(IAmazonS3 client, string bucket, string prefix, int pageSize, UfsCallRunner runner, ILogger logger)
    {
        _client = client;
        _bucket = bucket;
        _prefix = prefix;
        _pageSize = pageSize;
        _runner = runner;
        _logger = logger;
        DisplayName = prefix.Length == 0 ? $"s3://{bucket}/" : $"s3://{bucket}/{prefix}/";
    }

    public string DisplayName { get; }

    /// <summary>Maps SDK and network failures to storage errors; 5xx, throttling and network errors are transient.</summary>
    public static UfsAttemptException? Classify(Exception ex)
    {
        switch (ex)
        {
            case AmazonServiceException service:
                var code = string.IsNullOrEmpty(service.ErrorCode) ? service.StatusCode.ToString() : service.ErrorCode;
                var message = string.IsNullOrEmpty(service.Message) ? code : $"{code}: {service.Message}";
                return (int)service.StatusCode switch
                {
                    404 when code == "NoSuchBucket" => new(UfsErrorKind.NotFound, $"the bucket does not exist ({message})", transient: false, ex),
                    404 => new(UfsErrorKind.NotFound, message, transient: false, ex),
                    401 or 403 => new(UfsErrorKind.PermissionDenied, $"access denied, check the credentials and the bucket policy ({message})", transient: false, ex),
                    412 or 416 => new(UfsErrorKind.VersionMismatch, $"the object changed ({message})", transient: false, ex),
                    408 or 429 or >= 500 => new(UfsErrorKind.Unavailable, $"server error {(int)service.StatusCode} ({message})", transient: true, ex),
                    0 => new(UfsErrorKind.Unavailable, $"cannot reach the endpoint: {Innermost(ex).Message}", transient: true, ex),
                    _ => new(UfsErrorKind.Unavailable, $"request refused with {(int)service.StatusCode} ({message})", transient: false, ex),
                };
            case HttpRequestException or SocketException or IOException or AmazonClientException:
                return new(UfsErrorKind.Unavailable, $"cannot reach the endpoint: {Innermost(ex).Message}", transient: true, ex);
            default:
                return null;
        }
    }

    public async Task<UfsEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        _runner.ThrowIfInvalid(path, "stat");
        if (path.Length == 0)
        {
            // The root always exists; the one-key listing surfaces a missing bucket or bad credentials early.
            await ListPageAsync("stat", path, DirectoryPrefix(path), delimiter: null, maxKeys: 1, continuationToken: null, cancellationToken).ConfigureAwait(false);
            return new UfsEntry(string.Empty, IsDirectory: true, 0, DateTimeOffset.UnixEpoch, "dir");
        }

        var file = await HeadAsync(path, cancellationToken).ConfigureAwait(false);
        if (file is not null)
        {
            return file;
        }

        // No object: a directory exists when any key starts with "path/". A flat listing is used
        // because it is correct everywhere (some servers omit nested CommonPrefixes).
        var page = await ListPageAsync("stat", path, DirectoryPrefix(path), delimiter: null, maxKeys: 1, continuationToken: null, cancellationToken).ConfigureAwait(false);
        return page.S3Objects is { Count: > 0 }
            ? new UfsEntry(path, IsDirectory: true, 0, DateTimeOffset.UnixEpoch, "dir")
            : null;
    }

    public async IAsyncEnumerable<UfsEntry> ListAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _runner.ThrowIfInvalid(path, "list");
        var prefix = DirectoryPrefix(path);
        string? token = null;
        var exists = path.Length == 0;
        while (true)
        {
            var page = await ListPageAsync("list", path, prefix, "/", _pageSize, token, cancellationToken).ConfigureAwait(false);
            if (page.S3Objects is { } objects)
            {
                foreach (var item in objects)
                {
                    exists = true;
                    var name = item.Key.Length > prefix.Length ? item.Key[prefix.Length..] : string.Empty;
                    if (name.Length == 0)
                    {
                        continue; // the "dir/" marker object of the directory itself
                    }

                    if (!UfsPath.IsValidName(name))
                    {
                        StorageLog.SkippedEntry(_logger, _runner.MountLabel, path, name, "the key is not a valid path segment");
                        continue;
                    }

                    yield return FileEntry(UfsPath.Combine(path, name), item.Size ?? 0, item.LastModified, item.ETag);
                }
            }

            if (page.CommonPrefixes is { } prefixes)
            {
                foreach (var common in prefixes)
                {
                    exists = true;
                    var name = common.Length > prefix.Length + 1 ? common[prefix.Length..^1] : string.Empty;
                    if (!UfsPath.IsValidName(name))
                    {
                        StorageLog.SkippedEntry(_logger, _runner.MountLabel, path, name, "the prefix is not a valid path segment");
                        continue;
                    }

                    yield return new UfsEntry(UfsPath.Combine(path, name), IsDirectory: true, 0, DateTimeOffset.UnixEpoch, "dir");
                }
            }

            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                break;
            }

            token = page.NextContinuationToken;
        }

        if (!exists)
        {
            var entry = await StatAsync(path, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                throw _runner.Error(UfsErrorKind.NotFound, "list", path, "no such directory");
            }

            if (!entry.IsDirectory)
            {
                throw _runner.Error(UfsErrorKind.NotADirectory, "list", path, "not a directory");
            }
        }
    }

    public ValueTask<int> ReadAsync(UfsEntry file, long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        _runner.ReadAsync(this, file, offset, buffer, static (self, f, o, b, token) => self.ReadCoreAsync(f, o, b, token), cancellationToken);

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The version of an object: its ETag, or Last-Modified and size when there is none.</summary>
    public static string VersionOf(string? etag, DateTime? lastModified, long size) =>
        !string.IsNullOrEmpty(etag)
            ? etag
            : string.Create(CultureInfo.InvariantCulture, $"lm:{ToOffset(lastModified).ToUnixTimeSeconds():x}-{size:x}");

    private async Task<int> ReadCoreAsync(UfsEntry file, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest
        {
            BucketName = _bucket,
            Key = Key(file.Path),
            ByteRange = new ByteRange(offset, offset + buffer.Length - 1),
        };
        var byEtag = !file.Version.StartsWith("lm:", StringComparison.Ordinal);
        if (byEtag)
        {
            request.EtagToMatch = file.Version;
        }
        else
        {
            request.UnmodifiedSinceDate = file.LastModified.UtcDateTime;
        }

        using var response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
        var version = VersionOf(response.ETag, response.LastModified, TotalLength(response.ContentRange) ?? file.Length);
        if (byEtag ? !string.Equals(response.ETag, file.Version, StringComparison.Ordinal) : version != file.Version)
        {
            throw new UfsAttemptException(UfsErrorKind.VersionMismatch, $"the object changed (version {file.Version}, now {version})", transient: false);
        }

        if (TotalLength(response.ContentRange) is { } total && total != file.Length)
        {
            throw new UfsAttemptException(UfsErrorKind.VersionMismatch, $"the object changed (size {file.Length}, now {total})", transient: false);
        }

        var read = 0;
        var stream = response.ResponseStream;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new UfsAttemptException(UfsErrorKind.Unavailable, $"the response ended after {read} of {buffer.Length} bytes", transient: true);
            }

            read += n;
        }

        return read;
    }

    private Task<ListObjectsV2Response> ListPageAsync(string operation, string path, string prefix, string? delimiter, int maxKeys, string? continuationToken, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request
        {
            BucketName = _bucket,
            Prefix = prefix,
            Delimiter = delimiter,
            MaxKeys = maxKeys,
            ContinuationToken = continuationToken,
        };
        return _runner.RunAsync(operation, path, (Client: _client, Request: request), static (s, token) => s.Client.ListObjectsV2Async(s.Request, token), cancellationToken);
    }

    private async Task<UfsEntry?> HeadAsync(string path, CancellationToken cancellationToken)
    {
        var request = new GetObjectMetadataRequest { BucketName = _bucket, Key = Key(path) };
        return await _runner.RunAsync("stat", path, (Client: _client, Request: request, Path: path), static (s, token) => HeadCoreAsync(s.Client, s.Request, s.Path, token), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<UfsEntry?> HeadCoreAsync(IAmazonS3 client, GetObjectMetadataRequest request, string path, CancellationToken cancellationToken)
    {
        try
        {
            var head = await client.GetObjectMetadataAsync(request, cancellationToken).ConfigureAwait(false);
            return FileEntry(path, head.ContentLength, head.LastModified, head.ETag);
        }
        catch (AmazonServiceException ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            // A HEAD response has no body, so a missing bucket looks the same; the listing that follows reports it.
            return null;
        }
    }

    private static UfsEntry FileEntry(string path, long size, DateTime? lastModified, string? etag) =>
        new(path, IsDirectory: false, size, ToOffset(lastModified), VersionOf(etag, lastModified, size));

    private static DateTimeOffset ToOffset(DateTime? time) => time switch
    {
        null => DateTimeOffset.UnixEpoch,
        { Kind: DateTimeKind.Unspecified } t => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)),
        { } t => new DateTimeOffset(t.ToUniversalTime()),
    };

    // "bytes 0-99/1234" -> 1234
    private static long? TotalLength(string? contentRange)
    {
        if (string.IsNullOrEmpty(contentRange))
        {
            return null;
        }

        var slash = contentRange.LastIndexOf('/');
        return slash >= 0 && long.TryParse(contentRange.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total) ? total : null;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    private string Key(string path) =>
        _prefix.Length == 0 ? path : path.Length == 0 ? _prefix : string.Concat(_prefix, "/", path);

    private string DirectoryPrefix(string path)
    {
        var key = Key(path);
        return key.Length == 0 ? string.Empty : key + "/";
    }

}
