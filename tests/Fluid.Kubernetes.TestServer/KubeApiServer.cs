using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Fluid.Kubernetes.TestServer.Control;
using Fluid.Kubernetes.TestServer.Http;
using Fluid.Kubernetes.TestServer.Resources;
using Fluid.Kubernetes.TestServer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fluid.Kubernetes.TestServer;

/// <summary>Settings of a <see cref="KubeApiServer"/>.</summary>
public sealed record KubeApiServerOptions
{
    /// <summary>The resources served; <see cref="BuiltInResources.All"/> when null. More can be added later.</summary>
    public IReadOnlyList<ResourceDefinition>? Resources { get; init; }

    /// <summary>How often watches that asked for bookmarks get one; null sends them only on <see cref="KubeApiServer.SendBookmarks"/>.</summary>
    public TimeSpan? BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When true a watch that starts from a compacted resourceVersion is refused with HTTP 410; when false (as a
    /// real API server does) it opens and carries one ERROR event with a 410 Status.
    /// </summary>
    public bool WatchGoneAsHttpStatus { get; init; }

    /// <summary>Clock for creation and deletion timestamps.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// An in-process Kubernetes API server for tests: the REST and watch protocol over plain HTTP on 127.0.0.1, with
/// JSON storage per group/version/resource, a global resourceVersion, conflicts, finalizers, the status and scale
/// subresources, label and field selectors, pagination, bookmarks, compaction (410 Gone) and owner-reference garbage
/// collection, plus hooks for tests to break watches, inject faults and read a request log.
/// </summary>
public sealed class KubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectStore _store;
    private readonly FaultInjector _faults = new();
    private readonly ConcurrentQueue<RequestRecord> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _gcSignal = new(0);
    private readonly Lock _holdGate = new();
    private TaskCompletionSource _watchesReleased = CompletedGate();
    private int _holds;
    private Task _background = Task.CompletedTask;

    private KubeApiServer(KubeApiServerOptions options)
    {
        _store = new ObjectStore(options.Resources ?? BuiltInResources.All, options.Time);
        _store.GarbageCollectionNeeded += () => _gcSignal.Release();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        var handler = new ApiHandler(_store, _faults, _requests.Enqueue, WaitForWatchGateAsync, options.WatchGoneAsHttpStatus, _stopping.Token);
        _app.Run(handler.HandleAsync);
        Options = options;
    }

    /// <summary>The options the server runs with.</summary>
    public KubeApiServerOptions Options { get; }

    /// <summary>Base address, for example <c>http://127.0.0.1:40123</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Writes a kubeconfig file that points at this server (for a process's <c>--kubeconfig</c>) and returns its path.</summary>
    public string WriteKubeconfig(string path)
    {
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: {Url.ToString().TrimEnd('/')}
            users:
            - name: test
              user:
                token: unused
            contexts:
            - name: test
              context:
                cluster: test
                user: test
            current-context: test
            """);
        return path;
    }

    /// <summary>The latest resourceVersion handed out.</summary>
    public long ResourceVersion => _store.CurrentResourceVersion;

    /// <summary>The resourceVersion history was last compacted at; watches from before it get 410 Gone.</summary>
    public long CompactedResourceVersion => _store.CompactedThrough;

    /// <summary>The number of watch streams open now.</summary>
    public int OpenWatchCount => _store.OpenWatchCount;

    /// <summary>Every request answered so far, oldest first (a watch is logged once it is established).</summary>
    public IReadOnlyList<RequestRecord> RequestLog => [.. _requests];

    /// <summary>The resources served now (including CRDs registered at run time).</summary>
    public IReadOnlyList<ResourceDefinition> Resources => _store.Resources;

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<KubeApiServer> StartAsync(KubeApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var server = new KubeApiServer(options ?? new KubeApiServerOptions());
        await server._app.StartAsync(cancellationToken);
        string address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address);
        server._background = Task.WhenAll(server.RunGarbageCollectorAsync(), server.RunBookmarksAsync());
        return server;
    }

    /// <summary>Serves another resource (as registering a CRD would).</summary>
    public void AddResource(ResourceDefinition resource) => _store.AddResource(resource);

    /// <summary>Forgets history up to now: watches and continue tokens from before this resourceVersion get 410 Gone.</summary>
    public long Compact() => _store.Compact();

    /// <summary>Ends every open watch stream cleanly; returns how many there were.</summary>
    public int CloseWatches() => _store.CloseWatches();

    /// <summary>Cuts every open watch connection mid-stream (the client sees an I/O error); returns how many there were.</summary>
    public int AbortWatches() => _store.AbortWatches();

    /// <summary>Compacts history, then ends every open watch with an ERROR event carrying a 410 Expired Status.</summary>
    public int ExpireWatches() => _store.ExpireWatches();

    /// <summary>Silences every open watch: its connection stays open but nothing more arrives on it.</summary>
    public int MuteWatches() => _store.MuteWatches();

    /// <summary>Sends a BOOKMARK to every watch that allowed bookmarks.</summary>
    public void SendBookmarks() => _store.SendBookmarks();

    /// <summary>Holds new watch requests (they wait, unanswered) until the returned object is disposed.</summary>
    public IDisposable HoldWatches()
    {
        lock (_holdGate)
        {
            if (_holds++ == 0)
            {
                _watchesReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        return new Release(this);
    }

    /// <summary>Makes the next matching requests fail (see <see cref="FaultRule"/>).</summary>
    public void InjectFault(FaultRule rule) => _faults.Add(rule);

    /// <summary>Removes every fault rule not yet used up.</summary>
    public void ClearFaults() => _faults.Clear();

    /// <summary>Runs the garbage collector now; returns the number of objects it changed or deleted.</summary>
    public int CollectGarbage() => _store.CollectGarbage();

    /// <summary>
    /// The stored object, as JSON, or null when there is none. <paramref name="resource"/> is a plural
    /// (<c>pods</c>) or <c>plural.group</c> (<c>statefulsets.apps</c>).
    /// </summary>
    public JsonObject? GetObject(string resource, string? ns, string name)
    {
        var definition = FindResource(resource);
        return _store.TryGet(definition, definition.Namespaced ? ns : null, name)?.Clone();
    }

    /// <summary>Runs several test-side changes with no request served in between.</summary>
    public void Atomically(Action action) => _store.Atomically(action);

    /// <summary>Writes an object straight into storage (no faults, no request log), as a create would.</summary>
    public JsonObject Create(string resource, JsonObject obj)
    {
        var definition = FindResource(resource);
        return _store.Create(definition, definition.Namespaced ? Json.MetaString(obj, "namespace") : null, obj).Clone();
    }

    /// <summary>Deletes an object straight from storage, as a background-propagation delete would.</summary>
    public bool Delete(string resource, string? ns, string name)
    {
        var definition = FindResource(resource);
        return _store.Delete(definition, definition.Namespaced ? ns : null, name, new DeleteRequest(null, null, null)).Deleted;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _store.CloseWatches();
        lock (_holdGate)
        {
            _watchesReleased.TrySetResult();
        }

        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        try
        {
            await _background;
        }
        catch (OperationCanceledException)
        {
            // Background loops end with the server.
        }

        _stopping.Dispose();
        _gcSignal.Dispose();
    }

    private ResourceDefinition FindResource(string resource)
    {
        int dot = resource.IndexOf('.', StringComparison.Ordinal);
        string plural = dot < 0 ? resource : resource[..dot];
        string group = dot < 0 ? "" : resource[(dot + 1)..];
        return _store.Resources.FirstOrDefault(r => r.Plural == plural && r.Group == group)
            ?? throw new ArgumentException($"the test server does not serve '{resource}'", nameof(resource));
    }

    private Task WaitForWatchGateAsync(CancellationToken cancellationToken)
    {
        Task gate;
        lock (_holdGate)
        {
            gate = _watchesReleased.Task;
        }

        return gate.WaitAsync(cancellationToken);
    }

    private async Task RunGarbageCollectorAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            await _gcSignal.WaitAsync(token);
            _store.CollectGarbage();
        }
    }

    private async Task RunBookmarksAsync()
    {
        if (Options.BookmarkInterval is not { } interval)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(_stopping.Token))
        {
            _store.SendBookmarks();
        }
    }

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    private sealed class Release(KubeApiServer server) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            lock (server._holdGate)
            {
                if (--server._holds == 0)
                {
                    server._watchesReleased.TrySetResult();
                }
            }
        }
    }
}
