using System.Buffers;
using System.Globalization;
using System.Net;
using Fluid.Cache;
using Fluid.Cache.Cluster.Security;
using Fluid.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fluid.Cluster.Benchmarks;

/// <summary>
/// The data-path candidate the binary protocol was measured against: HTTP/1.1 on Kestrel,
/// <c>GET /page?...</c> with the same credential as a Bearer header, bytes read through the same
/// worker cache; with <c>zeroCopy</c>, pages of files fully cached on disk go out with
/// <c>SendFileAsync</c> (Kestrel's file-send path) instead of through a pooled buffer.
/// </summary>
internal sealed class HttpCandidate : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpCandidate(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<HttpCandidate> StartAsync(DatasetCache cache, byte[] credential, bool zeroCopy)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var expected = "Bearer " + System.Buffers.Text.Base64Url.EncodeToString(credential);
        app.MapGet("/page", async context =>
        {
            var query = context.Request.Query;
            if (!string.Equals(context.Request.Headers.Authorization.ToString(), expected, StringComparison.Ordinal))
            {
                context.Response.StatusCode = 401;
                return;
            }

            var length = long.Parse(query["length"]!, CultureInfo.InvariantCulture);
            var file = new UfsEntry(query["path"]!, false, length, new DateTimeOffset(long.Parse(query["mtime"]!, CultureInfo.InvariantCulture), TimeSpan.Zero), query["version"]!);
            var entry = cache.GetEntry(query["mount"]!, file);
            var offset = long.Parse(query["offset"]!, CultureInfo.InvariantCulture);
            var count = int.Parse(query["count"]!, CultureInfo.InvariantCulture);
            if (zeroCopy && cache.TryLeaseLocalFile(entry, out var lease))
            {
                using (lease)
                {
                    var n = (int)Math.Min(count, length - offset);
                    context.Response.ContentLength = n;
                    await context.Response.SendFileAsync(lease!.Path, offset, n, context.RequestAborted);
                    return;
                }
            }

            var buffer = ArrayPool<byte>.Shared.Rent(count);
            try
            {
                var read = await cache.ReadAsync(entry, offset, buffer.AsMemory(0, count), context.RequestAborted);
                context.Response.ContentLength = read;
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpCandidate(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The client side of <see cref="HttpCandidate"/>: one pooled <see cref="HttpClient"/>.</summary>
internal sealed class HttpCandidateClient(int port, byte[] credential) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
    private readonly string _authorization = "Bearer " + System.Buffers.Text.Base64Url.EncodeToString(credential);

    public async ValueTask<int> ReadAsync(string mount, UfsEntry file, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var uri = $"page?mount={Uri.EscapeDataString(mount)}&path={Uri.EscapeDataString(file.Path)}&version={Uri.EscapeDataString(file.Version)}" +
            $"&length={file.Length}&mtime={file.LastModified.UtcTicks}&offset={offset}&count={destination.Length}";
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("Authorization", _authorization);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var filled = 0;
        while (true)
        {
            var n = await body.ReadAsync(destination[filled..], cancellationToken);
            if (n == 0)
            {
                return filled;
            }

            filled += n;
        }
    }

    public void Dispose() => _http.Dispose();
}
