using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Fluid.Engine.Control;

/// <summary>A failure reported by (or while reaching) a dataset's control endpoint.</summary>
public sealed class ControlException : Exception
{
    public ControlException()
    {
    }

    public ControlException(string message)
        : base(message)
    {
    }

    public ControlException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Talks to a running dataset's control socket (HTTP/JSON over a Unix socket).</summary>
public sealed class ControlClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _socketPath;

    public ControlClient(string socketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        _socketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://fluid/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The dataset's status.</summary>
    public async Task<DatasetStatusReport> GetStatusAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/status"), cancellationToken);
        return await ReadAsync(response, ControlJson.Default.DatasetStatusReport, cancellationToken);
    }

    /// <summary>Asks the engine to unmount and stop.</summary>
    public async Task<DownReply> DownAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/down"), cancellationToken);
        return await ReadAsync(response, ControlJson.Default.DownReply, cancellationToken);
    }

    /// <summary>Starts a load and streams its progress; cancelling the enumeration cancels the load in the engine.</summary>
    public async IAsyncEnumerable<LoadEvent> LoadAsync(IReadOnlyList<string> paths, int replicas, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/load")
        {
            Content = JsonContent.Create(new LoadRequest(paths, replicas), ControlJson.Default.LoadRequest),
        };
        using var response = await SendAsync(request, cancellationToken);
        await foreach (var item in ReadLinesAsync(response, ControlJson.Default.LoadEvent, cancellationToken))
        {
            yield return item;
        }
    }

    /// <summary>Streams the entries of a dataset directory.</summary>
    public async IAsyncEnumerable<ListEntry> ListAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/ls?path=" + Uri.EscapeDataString(path)), cancellationToken);
        await foreach (var item in ReadLinesAsync(response, ControlJson.Default.ListEntry, cancellationToken))
        {
            yield return item;
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new ControlException($"cannot reach the engine at {_socketPath}: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
        finally
        {
            request.Dispose();
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            string message;
            try
            {
                message = JsonSerializer.Deserialize(text, ControlJson.Default.ControlError)?.Error ?? text;
            }
            catch (JsonException)
            {
                message = text;
            }

            throw new ControlException(response.StatusCode == HttpStatusCode.NotFound && message.Length == 0 ? "not found" : message);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        try
        {
            return await JsonSerializer.DeserializeAsync(body, type, cancellationToken) ?? throw new ControlException("the engine sent an empty answer");
        }
        catch (JsonException ex)
        {
            throw new ControlException($"the engine's answer is not the expected JSON ({ex.Message})");
        }
    }

    private static async IAsyncEnumerable<T> ReadLinesAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(body);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                throw new ControlException("the engine closed the connection: " + ex.Message, ex);
            }

            if (line is null)
            {
                yield break;
            }

            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize(line, type) ?? throw new ControlException("the engine sent an empty line");
            }
        }
    }
}
