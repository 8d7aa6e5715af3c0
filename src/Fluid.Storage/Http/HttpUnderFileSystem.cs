using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Fluid.Storage.Resilience;
using Microsoft.Extensions.Logging;

namespace Fluid.Storage.Http;

/// <summary>How a directory index is read.</summary>
internal enum HttpIndexFormat
{
    /// <summary>By the response's Content-Type: JSON when it says JSON, HTML otherwise.</summary>
    Auto,
    Json,
    Html,
}

/// <summary>
/// A directory tree served over HTTP(S). Files: HEAD for size and version, ranged GETs with
/// If-Range whose answers are checked against the expected version (a changed file gives
/// VersionMismatch, never mixed bytes). Directories: the server's index, nginx
/// <c>autoindex_format json</c> parsed as a stream, or any HTML index (hrefs of direct children;
/// files are then HEAD-ed, a few at a time, to learn their exact size and version).
/// A file's version is its Last-Modified second and size (what nginx's JSON index also gives),
/// else its ETag, else its size alone.
/// </summary>
internal sealed class HttpUnderFileSystem : IUnderFileSystem
{
    private const int HtmlHeadWindow = 8;

    private readonly HttpClient _client;
    private readonly Uri _base;
    private readonly HttpIndexFormat _indexFormat;
    private readonly UfsCallRunner _runner;
    private readonly ILogger _logger;

    public HttpUnderFileSystem(HttpClient client, Uri baseUri, string displayName, HttpIndexFormat indexFormat, UfsCallRunner runner, ILogger logger)
    {
        _client = client;
        _base = baseUri;
        DisplayName = displayName;
        _indexFormat = indexFormat;
        _runner = runner;
        _logger = logger;
    }

    public string DisplayName { get; }

    /// <summary>Connection failures and body read errors are transient; status codes are handled where they arrive.</summary>
    public static UfsAttemptException? Classify(Exception ex) => ex switch
    {
        HttpRequestException or IOException or SocketException =>
            new UfsAttemptException(UfsErrorKind.Unavailable, $"cannot reach the server: {Describe(ex)}", transient: true, ex),
        JsonException json => new UfsAttemptException(UfsErrorKind.Unavailable, $"the directory index is not nginx JSON: {json.Message}", transient: false, ex),
        _ => null,
    };

    /// <summary>The version of a file from what the server says about it.</summary>
    public static string VersionOf(DateTimeOffset? lastModified, EntityTagHeaderValue? etag, long size) =>
        lastModified is { } modified
            ? string.Create(CultureInfo.InvariantCulture, $"t{modified.ToUnixTimeSeconds():x}-{size:x}")
            : etag is not null
                ? etag.ToString()
                : string.Create(CultureInfo.InvariantCulture, $"s{size:x}");

    public async Task<UfsEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        _runner.ThrowIfInvalid(path, "stat");
        if (path.Length == 0)
        {
            var root = await HeadAsync("stat", path, _base, cancellationToken).ConfigureAwait(false);
            if (root.Status is HttpStatusCode.NotFound)
            {
                throw _runner.Error(UfsErrorKind.NotFound, "stat", path, $"the mount root {DisplayName} does not exist on the server");
            }

            ThrowForStatus(root.Status, "stat", path);
            return new UfsEntry(string.Empty, IsDirectory: true, 0, root.LastModified ?? DateTimeOffset.UnixEpoch, "dir");
        }

        var head = await HeadAsync("stat", path, FileUri(path), cancellationToken).ConfigureAwait(false);
        switch (head.Status)
        {
            case HttpStatusCode.OK:
                if (head.Length is not { } length)
                {
                    throw _runner.Error(UfsErrorKind.Unavailable, "stat", path, "the server sent no Content-Length");
                }

                return new UfsEntry(path, IsDirectory: false, length, head.LastModified ?? DateTimeOffset.UnixEpoch, VersionOf(head.LastModified, head.ETag, length));
            case HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect
                when head.Location is { } location && IsDirectoryRedirect(location, path):
                return new UfsEntry(path, IsDirectory: true, 0, DateTimeOffset.UnixEpoch, "dir");
            case HttpStatusCode.NotFound or HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect:
                // Servers that do not redirect "dir" to "dir/" still answer for "dir/".
                var directory = await HeadAsync("stat", path, DirectoryUri(path), cancellationToken).ConfigureAwait(false);
                return directory.Status == HttpStatusCode.OK
                    ? new UfsEntry(path, IsDirectory: true, 0, directory.LastModified ?? DateTimeOffset.UnixEpoch, "dir")
                    : null;
            default:
                ThrowForStatus(head.Status, "stat", path);
                return null;
        }
    }

    public async IAsyncEnumerable<UfsEntry> ListAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _runner.ThrowIfInvalid(path, "list");
        var directoryUri = DirectoryUri(path);
        var response = await _runner.RunAsync(
            "list",
            path,
            (Self: this, Uri: directoryUri),
            static (s, token) => s.Self.SendAsync(HttpMethod.Get, s.Uri, token, accept: "application/json, text/html;q=0.9"),
            cancellationToken).ConfigureAwait(false);
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.MethodNotAllowed)
            {
                var entry = await StatAsync(path, cancellationToken).ConfigureAwait(false);
                if (entry is { IsDirectory: false })
                {
                    throw _runner.Error(UfsErrorKind.NotADirectory, "list", path, "not a directory");
                }

                if (entry is null)
                {
                    throw _runner.Error(UfsErrorKind.NotFound, "list", path, "no such directory");
                }

                throw _runner.Error(UfsErrorKind.PermissionDenied, "list", path, $"the server refused the directory index ({(int)response.StatusCode}); enable autoindex for it");
            }

            ThrowForStatus(response.StatusCode, "list", path);
            var mediaType = response.Content.Headers.ContentType?.MediaType ?? string.Empty;
            var json = _indexFormat == HttpIndexFormat.Json || (_indexFormat == HttpIndexFormat.Auto && mediaType.Contains("json", StringComparison.OrdinalIgnoreCase));

            // Every chunk of the body must arrive within the timeout; the listing as a whole may take
            // longer, and time the consumer spends between entries does not count.
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var entries = json
                    ? ListJsonAsync(path, body, cancellationToken)
                    : ListHtmlAsync(path, directoryUri, body, cancellationToken);
                await foreach (var entry in entries.ConfigureAwait(false))
                {
                    yield return entry;
                }
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

    private async Task<int> ReadCoreAsync(UfsEntry file, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, FileUri(file.Path));
        request.Headers.Range = new RangeHeaderValue(offset, offset + buffer.Length - 1);
        // If-Range makes a server whose file changed answer 200 with the whole new file instead of a
        // slice of it; the answer's validators are checked below either way.
        if (file.Version.StartsWith('t'))
        {
            request.Headers.IfRange = new RangeConditionHeaderValue(file.LastModified);
        }
        else if (file.Version.StartsWith('"'))
        {
            request.Headers.IfRange = new RangeConditionHeaderValue(EntityTagHeaderValue.Parse(file.Version));
        }

        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var skip = 0L;
        switch (response.StatusCode)
        {
            case HttpStatusCode.PartialContent:
                if (response.Content.Headers.ContentRange is not { } range)
                {
                    throw new UfsAttemptException(UfsErrorKind.Unavailable, "the server answered 206 without a Content-Range", transient: false);
                }

                var partVersion = VersionOf(response.Content.Headers.LastModified, response.Headers.ETag, range.Length ?? file.Length);
                if (range.From != offset || (range.Length is { } total && total != file.Length) || !SameVersion(partVersion, file.Version))
                {
                    throw new UfsAttemptException(UfsErrorKind.VersionMismatch, $"the file changed (version {file.Version}, now {partVersion})", transient: false);
                }

                break;
            case HttpStatusCode.OK:
                var fullVersion = VersionOf(response.Content.Headers.LastModified, response.Headers.ETag, response.Content.Headers.ContentLength ?? -1);
                if (response.Content.Headers.ContentLength != file.Length || !SameVersion(fullVersion, file.Version))
                {
                    throw new UfsAttemptException(UfsErrorKind.VersionMismatch, $"the file changed (version {file.Version}, now {fullVersion})", transient: false);
                }

                // Same file, but the server does not do ranges: skip to the offset.
                skip = offset;
                break;
            case HttpStatusCode.RequestedRangeNotSatisfiable or HttpStatusCode.PreconditionFailed:
                throw new UfsAttemptException(UfsErrorKind.VersionMismatch, $"the file changed (the server answered {(int)response.StatusCode})", transient: false);
            default:
                ThrowForStatusInAttempt(response.StatusCode);
                break;
        }

        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            if (skip > 0)
            {
                await SkipAsync(body, skip, cancellationToken).ConfigureAwait(false);
            }

            var read = 0;
            while (read < buffer.Length)
            {
                var n = await body.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new UfsAttemptException(UfsErrorKind.Unavailable, $"the response ended after {read} of {buffer.Length} bytes", transient: true);
                }

                read += n;
            }

            return read;
        }
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken cancellationToken)
    {
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (count > 0)
            {
                var n = await body.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, count)), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new UfsAttemptException(UfsErrorKind.Unavailable, "the response ended early", transient: true);
                }

                count -= n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    // A time-based version from a response equals the expected one when the second and size match.
    private static bool SameVersion(string actual, string expected) => string.Equals(actual, expected, StringComparison.Ordinal);

    private async IAsyncEnumerable<UfsEntry> ListJsonAsync(string path, Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new NginxJsonIndexReader();
        var batch = new List<IndexItem>(256);
        while (await NextBatchAsync(reader, body, batch, path, cancellationToken).ConfigureAwait(false))
        {
            foreach (var item in batch)
            {
                if (!UfsPath.IsValidName(item.Name))
                {
                    StorageLog.SkippedEntry(_logger, _runner.MountLabel, path, item.Name, "not a valid path segment");
                    continue;
                }

                var childPath = UfsPath.Combine(path, item.Name);
                yield return item.IsDirectory
                    ? new UfsEntry(childPath, IsDirectory: true, 0, item.Modified ?? DateTimeOffset.UnixEpoch, "dir")
                    : new UfsEntry(childPath, IsDirectory: false, item.Size, item.Modified ?? DateTimeOffset.UnixEpoch, VersionOf(item.Modified, null, item.Size));
            }

            batch.Clear();
        }
    }

    private async Task<bool> NextBatchAsync(NginxJsonIndexReader reader, Stream body, List<IndexItem> batch, string path, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_runner.Policy.Timeout);
        try
        {
            return await reader.ReadBatchAsync(body, batch, idle.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not UfsException && !cancellationToken.IsCancellationRequested)
        {
            throw ListingFailure(ex, idle, path);
        }
    }

    private async IAsyncEnumerable<UfsEntry> ListHtmlAsync(string path, Uri directoryUri, Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var text = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 16 * 1024);
        var scanner = new HtmlIndexScanner();
        var chars = new char[8 * 1024];
        var hrefs = new List<string>();
        var pending = new Queue<Task<UfsEntry?>>();
        try
        {
            string? previous = null;
            while (true)
            {
                var count = await ReadCharsAsync(text, chars, path, cancellationToken).ConfigureAwait(false);
                if (count > 0)
                {
                    scanner.Feed(chars.AsSpan(0, count), hrefs);
                }

                foreach (var href in hrefs)
                {
                    // Fancy indexes link each entry twice (icon and name).
                    if (href == previous || ChildOf(directoryUri, href) is not { } child)
                    {
                        continue;
                    }

                    previous = href;
                    var childPath = UfsPath.Combine(path, child.Name);
                    pending.Enqueue(child.IsDirectory
                        ? Task.FromResult<UfsEntry?>(new UfsEntry(childPath, IsDirectory: true, 0, DateTimeOffset.UnixEpoch, "dir"))
                        : StatAsync(childPath, cancellationToken));
                    while (pending.Count >= HtmlHeadWindow)
                    {
                        if (await pending.Dequeue().ConfigureAwait(false) is { } entry)
                        {
                            yield return entry;
                        }
                    }
                }

                hrefs.Clear();
                if (count == 0)
                {
                    break;
                }
            }

            while (pending.Count > 0)
            {
                if (await pending.Dequeue().ConfigureAwait(false) is { } entry)
                {
                    yield return entry;
                }
            }
        }
        finally
        {
            Abandon(pending);
        }
    }

    // When a consumer stops early or a stat fails, the stats still in flight are left to finish; observe their failures.
    private static void Abandon(Queue<Task<UfsEntry?>> pending)
    {
        while (pending.TryDequeue(out var task))
        {
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private async Task<int> ReadCharsAsync(StreamReader text, char[] chars, string path, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_runner.Policy.Timeout);
        try
        {
            return await text.ReadAsync(chars.AsMemory(), idle.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw ListingFailure(ex, idle, path);
        }
    }

    private UfsException ListingFailure(Exception ex, CancellationTokenSource idle, string path)
    {
        if (idle.IsCancellationRequested)
        {
            return _runner.Error(UfsErrorKind.Timeout, "list", path, $"the directory index stalled for {UfsCallRunner.Describe(_runner.Policy.Timeout)}", ex);
        }

        var failure = Classify(ex) ?? new UfsAttemptException(UfsErrorKind.Unavailable, ex.Message, transient: false, ex);
        return _runner.Error(failure.Kind, "list", path, $"reading the directory index failed: {failure.Message}", ex);
    }

    /// <summary>The direct child an index link points to, or null for parents, sort links and anything else.</summary>
    internal static (string Name, bool IsDirectory)? ChildOf(Uri directoryUri, string href)
    {
        var decoded = WebUtility.HtmlDecode(href);
        if (!Uri.TryCreate(directoryUri, decoded, out var target)
            || target.Scheme != directoryUri.Scheme
            || !string.Equals(target.Authority, directoryUri.Authority, StringComparison.OrdinalIgnoreCase)
            || target.Query.Length > 0
            || target.Fragment.Length > 0)
        {
            return null;
        }

        var directoryPath = directoryUri.AbsolutePath;
        var targetPath = target.AbsolutePath;
        if (targetPath.Length <= directoryPath.Length || !targetPath.StartsWith(directoryPath, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = targetPath[directoryPath.Length..];
        var isDirectory = rest.EndsWith('/');
        if (isDirectory)
        {
            rest = rest[..^1];
        }

        if (rest.Length == 0 || rest.Contains('/', StringComparison.Ordinal))
        {
            return null;
        }

        var name = Uri.UnescapeDataString(rest);
        return UfsPath.IsValidName(name) ? (name, isDirectory) : null;
    }

    private async Task<HeadResult> HeadAsync(string operation, string path, Uri uri, CancellationToken cancellationToken)
    {
        return await _runner.RunAsync(
            operation,
            path,
            (Self: this, Uri: uri),
            static async (s, token) =>
            {
                using var response = await s.Self.SendAsync(HttpMethod.Head, s.Uri, token).ConfigureAwait(false);
                return new HeadResult(
                    response.StatusCode,
                    response.Content.Headers.ContentLength,
                    response.Content.Headers.LastModified,
                    response.Headers.ETag,
                    response.Headers.Location);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends one request; 5xx, 408 and 429 answers are thrown as transient failures so the runner retries them.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, CancellationToken cancellationToken, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (IsTransient(response.StatusCode))
        {
            response.Dispose();
            ThrowForStatusInAttempt(response.StatusCode);
        }

        return response;
    }

    private static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    private static void ThrowForStatusInAttempt(HttpStatusCode status)
    {
        var code = (int)status;
        throw status switch
        {
            HttpStatusCode.NotFound => new UfsAttemptException(UfsErrorKind.NotFound, "not found (404)", transient: false),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new UfsAttemptException(UfsErrorKind.PermissionDenied, $"access denied ({code})", transient: false),
            _ when IsTransient(status) => new UfsAttemptException(UfsErrorKind.Unavailable, $"server error {code} {status}", transient: true),
            _ => new UfsAttemptException(UfsErrorKind.Unavailable, $"unexpected answer {code} {status}", transient: false),
        };
    }

    private void ThrowForStatus(HttpStatusCode status, string operation, string path)
    {
        if ((int)status is >= 200 and < 300)
        {
            return;
        }

        try
        {
            ThrowForStatusInAttempt(status);
        }
        catch (UfsAttemptException ex)
        {
            throw _runner.Error(ex.Kind, operation, path, ex.Message);
        }
    }

    private bool IsDirectoryRedirect(Uri location, string path)
    {
        var target = location.IsAbsoluteUri ? location : new Uri(_base, location);
        return target.AbsolutePath == DirectoryUri(path).AbsolutePath;
    }

    private Uri FileUri(string path) => new(_base.AbsoluteUri + EscapePath(path));

    private Uri DirectoryUri(string path) => path.Length == 0 ? _base : new(_base.AbsoluteUri + EscapePath(path) + "/");

    private static string EscapePath(string path)
    {
        var escaped = new StringBuilder(path.Length + 16);
        foreach (var range in path.AsSpan().Split('/'))
        {
            if (escaped.Length > 0)
            {
                escaped.Append('/');
            }

            escaped.Append(Uri.EscapeDataString(path[range]));
        }

        return escaped.ToString();
    }

    private static string Describe(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            message = inner.Message;
        }

        return message;
    }


    private sealed record HeadResult(HttpStatusCode Status, long? Length, DateTimeOffset? LastModified, EntityTagHeaderValue? ETag, Uri? Location);
}
