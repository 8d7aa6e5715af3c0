using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Fluid.Api.Operations;
using Fluid.Cache;
using Fluid.Engine.Hosting;
using Fluid.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fluid.Engine.Control;

/// <summary>
/// The local control endpoint of a running dataset: HTTP/JSON over a Unix socket (Kestrel), mode 0600
/// inside the 0700 run directory. <c>GET /v1/status</c>, <c>POST /v1/load</c> (a stream of JSON lines
/// with progress; closing the connection cancels the load), <c>GET /v1/ls?path=</c> (a stream of JSON
/// lines), <c>POST /v1/down</c>.
/// </summary>
internal sealed class ControlServer : IAsyncDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly WebApplication _app;

    private ControlServer(WebApplication app)
    {
        _app = app;
    }

    public static async Task<ControlServer> StartAsync(string socketPath, EngineHost host, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = "fluid",
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();

        // The engine handles signals itself (it must unmount first); the web host must not.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(socketPath));
        var app = builder.Build();
        var logger = loggerFactory.CreateLogger<ControlServer>();

        app.MapGet("/v1/status", async (CancellationToken aborted) => Results.Json(await host.GetStatusAsync(aborted), ControlJson.Default.DatasetStatusReport));
        app.MapPost("/v1/down", () =>
        {
            host.RequestStop("fluid down");
            return Results.Json(new DownReply(host.Configuration.Id, host.Mount?.MountPoint), ControlJson.Default.DownReply);
        });
        app.MapGet("/v1/ls", (HttpContext context) => ListAsync(context, host, logger));
        app.MapPost("/v1/load", (HttpContext context) => LoadAsync(context, host, logger));

        if (File.Exists(socketPath))
        {
            File.Delete(socketPath);
        }

        await app.StartAsync(cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return new ControlServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
    }

    private static async Task ListAsync(HttpContext context, EngineHost host, ILogger logger)
    {
        var path = context.Request.Query["path"].ToString();
        var token = context.RequestAborted;
        await using var enumerator = host.ListAsync(path.Length == 0 ? "/" : path, token).GetAsyncEnumerator(token);
        bool started = false;
        while (true)
        {
            ListEntry entry;
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    break;
                }

                entry = enumerator.Current;
            }
            catch (Exception ex) when (ex is FileSystemErrorException or Fuse.Backend.FsException or UfsException)
            {
                if (!started)
                {
                    await WriteErrorAsync(context, ex is FileSystemErrorException { Error: Fuse.Backend.Errno.ENOENT } ? 404 : 500, ex.Message);
                    return;
                }

                // Entries already went out: the error ends the stream as its last line.
                await WriteLineAsync(context, new ListEntry { Name = string.Empty, Type = "error", Message = ex.Message }, ControlJson.Default.ListEntry, token);
                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.ControlRequestFailed(logger, "ls " + path, ex);
                throw;
            }

            if (!started)
            {
                context.Response.ContentType = "application/x-ndjson";
                started = true;
            }

            await WriteLineAsync(context, entry, ControlJson.Default.ListEntry, token);
        }

        if (!started)
        {
            context.Response.ContentType = "application/x-ndjson";
            await context.Response.StartAsync(token);
        }
    }

    private static async Task LoadAsync(HttpContext context, EngineHost host, ILogger logger)
    {
        LoadRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, ControlJson.Default.LoadRequest, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            await WriteErrorAsync(context, 400, "the request body is not a load request: " + ex.Message);
            return;
        }

        var paths = request?.Paths ?? [];
        var replicas = request?.Replicas ?? 1;
        if (replicas is < 1 or > TargetPath.MaxReplicas)
        {
            await WriteErrorAsync(context, 400, $"replicas must be 1 to {TargetPath.MaxReplicas} (got {replicas})");
            return;
        }

        var token = context.RequestAborted;
        context.Response.ContentType = "application/x-ndjson";
        await context.Response.StartAsync(token);

        // The load runs while this request streams its progress; a client that goes away cancels it.
        var run = LoadRun.Start(host, paths, replicas, token);
        var load = run.Completion;
        try
        {
            await foreach (var progress in run.Updates.ReadAllAsync(token))
            {
                await WriteLineAsync(context, LoadEvent.Progress(progress), ControlJson.Default.LoadEvent, token);
            }

            var summary = await load;
            await WriteLineAsync(context, LoadEvent.Done(summary), ControlJson.Default.LoadEvent, token);
        }
        catch (OperationCanceledException)
        {
            // Cancelled by the client (or the engine is stopping): the load sees the same token.
            await ObserveAsync(load);
            if (!token.IsCancellationRequested)
            {
                await TryWriteLineAsync(context, new LoadEvent { Type = LoadEvent.ErrorType, Message = "the load was cancelled: the engine is stopping" }, token);
            }
        }
        catch (Exception ex) when (ex is UfsException or ArgumentException or IOException or ObjectDisposedException)
        {
            await TryWriteLineAsync(context, new LoadEvent { Type = LoadEvent.ErrorType, Message = ex.Message }, token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ControlRequestFailed(logger, "load", ex);
            await TryWriteLineAsync(context, new LoadEvent { Type = LoadEvent.ErrorType, Message = ex.Message }, token);
        }
    }

    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is OperationCanceledException or UfsException or IOException or ObjectDisposedException)
        {
        }
    }

    private static async Task TryWriteLineAsync(HttpContext context, LoadEvent value, CancellationToken cancellationToken)
    {
        try
        {
            await WriteLineAsync(context, value, ControlJson.Default.LoadEvent, cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    private static async Task WriteLineAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, cancellationToken);
        await context.Response.Body.WriteAsync(NewLine, cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new ControlError(message), ControlJson.Default.ControlError, context.RequestAborted);
    }

    /// <summary>Reports progress synchronously into a channel that keeps only the newest update.</summary>
    /// <summary>A host lifetime that neither listens for signals nor stops the application on its own.</summary>
    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
