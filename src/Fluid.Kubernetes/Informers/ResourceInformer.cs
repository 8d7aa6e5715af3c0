using Fluid.Kubernetes.Diagnostics;
using Fluid.Kubernetes.Resources;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Kubernetes.Informers;

/// <summary>Settings of a <see cref="ResourceInformer{T}"/>.</summary>
public sealed record InformerOptions
{
    /// <summary>Namespace to watch; null watches all namespaces (or a cluster-scoped resource).</summary>
    public string? Namespace { get; init; }

    /// <summary>Label selector applied to list and watch.</summary>
    public string? LabelSelector { get; init; }

    /// <summary>Field selector applied to list and watch.</summary>
    public string? FieldSelector { get; init; }

    /// <summary>Objects per page when listing.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>
    /// A watch that delivers nothing (no event, no bookmark) for this long is restarted. Bookmarks keep a healthy
    /// but quiet watch alive; API servers send them about once a minute.
    /// </summary>
    public TimeSpan WatchdogTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Asks the server to end each watch after this long (the informer then resumes from its resourceVersion).</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>First delay after a failed list or watch; it doubles per consecutive failure.</summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest delay between failed attempts.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Keeps a local cache of one resource current and tells handlers what changed. It lists (page by page), then
/// watches from the list's resourceVersion with bookmarks; a watch that ends is resumed from the last
/// resourceVersion seen; 410 Gone (by status code) triggers a relist, which reports objects that vanished in the
/// meantime as synthetic deletes; a watchdog restarts a watch that has gone silent. <see cref="WaitForSyncAsync"/>
/// completes after the first full list. Handlers run on the informer's loop and should only enqueue keys.
/// </summary>
/// <typeparam name="T">The object type.</typeparam>
public sealed class ResourceInformer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ResourceClient<T> _client;
    private readonly ILogger _logger;
    private readonly KubernetesMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _handlersGate = new();
    private readonly string _name;
    private Action<ResourceEvent<T>>[] _handlers = [];
    private volatile string? _resourceVersion;
    private long _lastActivity;
    private int _lists;
    private int _watches;
    private int _watchdogRestarts;
    private int _expirations;
    private int _running;

    /// <summary>Creates an informer; call <see cref="RunAsync"/> to start it.</summary>
    public ResourceInformer(ResourceClient<T> client, InformerOptions? options = null, ILogger? logger = null, KubernetesMetrics? metrics = null, TimeProvider? time = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        Options = options ?? new InformerOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.PageSize, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Options.WatchdogTimeout, TimeSpan.Zero, nameof(options));
        _logger = logger ?? NullLogger.Instance;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _name = client.Type.DisplayName;
    }

    /// <summary>The options the informer runs with.</summary>
    public InformerOptions Options { get; }

    /// <summary>The resource watched.</summary>
    public ResourceType<T> Type => _client.Type;

    /// <summary>The local cache (complete once <see cref="HasSynced"/> is true).</summary>
    public ResourceCache<T> Cache { get; } = new();

    /// <summary>Whether the first full list has been loaded into the cache.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>The last resourceVersion seen (from a list, an event or a bookmark).</summary>
    public string? ResourceVersion => _resourceVersion;

    /// <summary>Full lists done so far (the first one included).</summary>
    public int ListCount => Volatile.Read(ref _lists);

    /// <summary>Watches started so far.</summary>
    public int WatchCount => Volatile.Read(ref _watches);

    /// <summary>Watches the watchdog restarted for silence.</summary>
    public int WatchdogRestarts => Volatile.Read(ref _watchdogRestarts);

    /// <summary>Times the server answered 410 Gone (each one followed by a relist).</summary>
    public int Expirations => Volatile.Read(ref _expirations);

    /// <summary>Completes once the first full list is in the cache.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken = default) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Adds a handler for every later change (and the first list's adds); dispose the result to remove it.</summary>
    public IDisposable AddHandler(Action<ResourceEvent<T>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_handlersGate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Registration(this, handler);
    }

    /// <summary>Lists and watches until <paramref name="cancellationToken"/> is cancelled; then returns.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException($"the informer for {_name} is already running");
        }

        try
        {
            await LoopAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping is the normal way out.
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        bool needList = true;
        int failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan delay;
            try
            {
                if (needList)
                {
                    await ListAsync(cancellationToken);
                    needList = false;
                }

                var (end, events, elapsed) = await WatchOnceAsync(cancellationToken);
                _metrics?.WatchRestarts.Add(1, new("resource", _name), new("reason", end.ToString().ToLowerInvariant()));
                switch (end)
                {
                    case WatchEnd.Expired:
                        needList = true;
                        failures = events > 0 ? 0 : failures + 1;
                        break;
                    case WatchEnd.Error:
                        failures++;
                        break;
                    default:
                        // A watch the server ends at once with nothing to say counts as a failure, so it cannot spin.
                        failures = events > 0 || elapsed > TimeSpan.FromSeconds(1) ? 0 : failures + 1;
                        break;
                }

                delay = failures <= 1 && end != WatchEnd.Error ? TimeSpan.Zero : Backoff(failures);
            }
            catch (Exception e) when (e.IsGone() && !cancellationToken.IsCancellationRequested)
            {
                // HTTP 410 when starting a watch or continuing a paged list: only a fresh list can recover.
                Interlocked.Increment(ref _expirations);
                Log.Expired(_logger, _name, _resourceVersion ?? "");
                needList = true;
                failures++;
                delay = failures <= 1 ? TimeSpan.Zero : Backoff(failures);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures++;
                delay = Backoff(failures);
                Log.ListWatchFailed(_logger, e, _name, delay);
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _time, cancellationToken);
            }
        }
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? token = null;
        string resourceVersion;
        int pages = 0;
        do
        {
            var page = await _client.ListPageAsync(new ListRequest
            {
                Namespace = Options.Namespace,
                LabelSelector = Options.LabelSelector,
                FieldSelector = Options.FieldSelector,
                Limit = Options.PageSize,
                Continue = token,
            }, cancellationToken);
            foreach (var item in page.Items)
            {
                items.Add(Normalize(item));
            }

            token = page.Continue;
            resourceVersion = page.ResourceVersion;
            pages++;
        }
        while (token is not null);

        var changes = Cache.Replace(items);
        _resourceVersion = resourceVersion;
        if (Interlocked.Increment(ref _lists) > 1)
        {
            _metrics?.Relists.Add(1, new KeyValuePair<string, object?>("resource", _name));
        }

        Log.Listed(_logger, _name, items.Count, resourceVersion, pages);
        foreach (var change in changes)
        {
            if (change.IsSynthetic)
            {
                Log.SyntheticDelete(_logger, _name, ObjectKey.From(change.Object).ToString());
            }

            Dispatch(change);
        }

        _synced.TrySetResult();
    }

    private async Task<(WatchEnd End, int Events, TimeSpan Elapsed)> WatchOnceAsync(CancellationToken cancellationToken)
    {
        using var watchCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long started = _time.GetTimestamp();
        Volatile.Write(ref _lastActivity, started);
        var watchdog = WatchdogAsync(watchCancellation);
        string from = _resourceVersion ?? "";
        Interlocked.Increment(ref _watches);
        Log.Watching(_logger, _name, from);
        int events = 0;
        var end = WatchEnd.Closed;
        try
        {
            var request = new ListRequest
            {
                Namespace = Options.Namespace,
                LabelSelector = Options.LabelSelector,
                FieldSelector = Options.FieldSelector,
                ResourceVersion = from,
                AllowBookmarks = true,
                Timeout = Options.WatchTimeout,
            };
            await foreach (var change in _client.WatchAsync(request, watchCancellation.Token))
            {
                Volatile.Write(ref _lastActivity, _time.GetTimestamp());
                events++;
                if (change.Type == WatchEventType.Error)
                {
                    var status = change.Error!;
                    if (status.Code == 410)
                    {
                        Interlocked.Increment(ref _expirations);
                        Log.Expired(_logger, _name, _resourceVersion ?? "");
                        end = WatchEnd.Expired;
                    }
                    else
                    {
                        Log.WatchError(_logger, _name, status.Code ?? 0, status.Reason, status.Message);
                        end = WatchEnd.Error;
                    }

                    break;
                }

                Apply(change);
            }

            if (end == WatchEnd.Closed)
            {
                Log.WatchEnded(_logger, _name, _resourceVersion ?? "");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && watchCancellation.IsCancellationRequested)
        {
            end = WatchEnd.Watchdog;
        }
        finally
        {
            await watchCancellation.CancelAsync();
            await watchdog;
        }

        return (end, events, _time.GetElapsedTime(started));
    }

    private async Task WatchdogAsync(CancellationTokenSource watch)
    {
        var timeout = Options.WatchdogTimeout;
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(watch.Token))
            {
                var silence = _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
                if (silence > timeout)
                {
                    Interlocked.Increment(ref _watchdogRestarts);
                    Log.WatchdogFired(_logger, _name, silence);
                    await watch.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The watch ended first.
        }
    }

    private void Apply(WatchEvent<T> change)
    {
        var obj = change.Object;
        if (obj?.Metadata is null)
        {
            return;
        }

        if (!string.IsNullOrEmpty(obj.Metadata.ResourceVersion))
        {
            _resourceVersion = obj.Metadata.ResourceVersion;
        }

        switch (change.Type)
        {
            case WatchEventType.Added or WatchEventType.Modified:
                {
                    obj = Normalize(obj);
                    var old = Cache.Upsert(obj);
                    Dispatch(new ResourceEvent<T>(old is null ? ResourceEventType.Added : ResourceEventType.Modified, obj, old));
                    break;
                }

            case WatchEventType.Deleted:
                {
                    obj = Normalize(obj);
                    var old = Cache.Remove(ObjectKey.From(obj));
                    Dispatch(new ResourceEvent<T>(ResourceEventType.Deleted, obj, old));
                    break;
                }
        }
    }

    private void Dispatch(ResourceEvent<T> change)
    {
        _metrics?.InformerEvents.Add(1, new("resource", _name), new("type", change.Type.ToString().ToLowerInvariant()));
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            try
            {
                handler(change);
            }
            catch (Exception e)
            {
                // A broken handler must not stop the informer or starve the other handlers.
                Log.HandlerFailed(_logger, e, _name);
            }
        }
    }

    private T Normalize(T obj)
    {
        // Servers omit kind and apiVersion on list items; fill them so handlers see complete objects.
        obj.ApiVersion ??= Type.ApiVersion;
        obj.Kind ??= Type.Kind;
        return obj;
    }

    private TimeSpan Backoff(int failures)
    {
        double ms = Options.MinRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(Math.Max(failures - 1, 0), 30));
        var delay = TimeSpan.FromMilliseconds(Math.Min(ms, Options.MaxRetryDelay.TotalMilliseconds));
        // Up to 20% jitter keeps replicas from retrying in lockstep.
        return delay + TimeSpan.FromMilliseconds(delay.TotalMilliseconds * 0.2 * Random.Shared.NextDouble());
    }

    private enum WatchEnd
    {
        Closed,
        Expired,
        Error,
        Watchdog,
    }

    private sealed class Registration(ResourceInformer<T> informer, Action<ResourceEvent<T>> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (informer._handlersGate)
            {
                informer._handlers = [.. informer._handlers.Where(h => h != handler)];
            }
        }
    }
}
