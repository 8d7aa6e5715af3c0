using Fluid.Kubernetes.Diagnostics;

namespace Fluid.Kubernetes.Queues;

/// <summary>
/// A controller work queue. Keys are de-duplicated while they wait; a key is handed to at most one worker at a time
/// (re-added while in flight, it is queued again when the worker calls <see cref="Done"/>); failed keys come back
/// after a rate-limited delay; delayed keys keep the earliest requested time. After <see cref="ShutDown"/> new keys
/// are ignored and workers drain what is already queued.
/// </summary>
/// <typeparam name="T">The key type (for controllers, an object key).</typeparam>
public sealed class WorkQueue<T> : IDisposable
    where T : notnull
{
    private readonly Lock _gate = new();
    private readonly Queue<T> _queue = new();
    private readonly HashSet<T> _dirty = [];
    private readonly HashSet<T> _processing = [];
    private readonly Dictionary<T, (long Due, ITimer Timer)> _waiting = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IRateLimiter<T> _rateLimiter;
    private readonly KubernetesMetrics? _metrics;
    private readonly IDisposable? _depthTracking;
    private readonly TimeProvider _time;
    private readonly KeyValuePair<string, object?> _tag;

    /// <summary>Creates a queue; <paramref name="rateLimiter"/> defaults to <see cref="RateLimiters.Default{T}"/>.</summary>
    public WorkQueue(string name, IRateLimiter<T>? rateLimiter = null, KubernetesMetrics? metrics = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _time = time ?? TimeProvider.System;
        _rateLimiter = rateLimiter ?? RateLimiters.Default<T>(_time);
        _metrics = metrics;
        _tag = new KeyValuePair<string, object?>("queue", name);
        _depthTracking = metrics?.TrackQueueDepth(name, () => Count);
    }

    /// <summary>The queue's name (metrics tag and log scope).</summary>
    public string Name { get; }

    /// <summary>Keys waiting for a worker (not counting delayed or in-flight keys).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Keys a worker holds now.</summary>
    public int ProcessingCount
    {
        get
        {
            lock (_gate)
            {
                return _processing.Count;
            }
        }
    }

    /// <summary>Keys waiting for their delay to pass.</summary>
    public int DelayedCount
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Whether <see cref="ShutDown"/> was called.</summary>
    public bool IsShuttingDown => _shutdown.IsCancellationRequested;

    /// <summary>Queues a key unless it is already waiting; a key in flight is queued again after <see cref="Done"/>.</summary>
    public void Add(T item)
    {
        lock (_gate)
        {
            if (IsShuttingDown || !_dirty.Add(item))
            {
                return;
            }

            _metrics?.QueueAdds.Add(1, _tag);
            if (_processing.Contains(item))
            {
                return;
            }

            _queue.Enqueue(item);
        }

        _signal.Release();
    }

    /// <summary>Queues a key after <paramref name="delay"/> (keeping an earlier pending time if there is one).</summary>
    public void AddAfter(T item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }

        lock (_gate)
        {
            if (IsShuttingDown)
            {
                return;
            }

            long due = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
            if (_waiting.TryGetValue(item, out var pending))
            {
                if (pending.Due <= due)
                {
                    return;
                }

                pending.Timer.Dispose();
            }

            var timer = _time.CreateTimer(_ => Fire(item, due), null, delay, Timeout.InfiniteTimeSpan);
            _waiting[item] = (due, timer);
        }
    }

    /// <summary>Queues a key after the rate limiter's delay for it (one more failure on record).</summary>
    public void AddRateLimited(T item)
    {
        _metrics?.QueueRetries.Add(1, _tag);
        AddAfter(item, _rateLimiter.When(item));
    }

    /// <summary>Clears the key's failure history (call after a successful reconcile).</summary>
    public void Forget(T item) => _rateLimiter.Forget(item);

    /// <summary>How many rate-limited retries of the key are on record.</summary>
    public int NumRequeues(T item) => _rateLimiter.NumRequeues(item);

    /// <summary>
    /// Waits for a key. The worker owns it until it calls <see cref="Done"/>. Returns <c>ShuttingDown = true</c>
    /// once the queue is shut down and empty.
    /// </summary>
    public async Task<(T Item, bool ShuttingDown)> GetAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_queue.TryDequeue(out var item))
                {
                    _processing.Add(item);
                    _dirty.Remove(item);
                    return (item, false);
                }

                if (IsShuttingDown)
                {
                    CheckDrainedLocked();
                    return (default!, true);
                }
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
            try
            {
                await _signal.WaitAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Shut down while waiting: loop once more to drain or report the shutdown.
            }
        }
    }

    /// <summary>Marks the worker finished with a key; if it was re-added meanwhile it is queued again now.</summary>
    public void Done(T item)
    {
        bool requeued = false;
        lock (_gate)
        {
            _processing.Remove(item);
            if (_dirty.Contains(item))
            {
                _queue.Enqueue(item);
                requeued = true;
            }

            CheckDrainedLocked();
        }

        if (requeued)
        {
            _signal.Release();
        }
    }

    /// <summary>Stops accepting keys, drops delayed ones and wakes waiting workers; queued keys are still handed out.</summary>
    public void ShutDown()
    {
        lock (_gate)
        {
            if (IsShuttingDown)
            {
                return;
            }

            _shutdown.Cancel();
            foreach (var (_, (_, timer)) in _waiting)
            {
                timer.Dispose();
            }

            _waiting.Clear();
            CheckDrainedLocked();
        }
    }

    /// <summary>Shuts down, then waits until every queued key was handed out and every in-flight key is done.</summary>
    public async Task ShutDownWithDrainAsync(CancellationToken cancellationToken = default)
    {
        ShutDown();
        await _drained.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ShutDown();
        _depthTracking?.Dispose();
        _shutdown.Dispose();
        _signal.Dispose();
    }

    private void Fire(T item, long due)
    {
        lock (_gate)
        {
            if (!_waiting.TryGetValue(item, out var pending) || pending.Due != due)
            {
                return;
            }

            pending.Timer.Dispose();
            _waiting.Remove(item);
        }

        Add(item);
    }

    private void CheckDrainedLocked()
    {
        if (IsShuttingDown && _queue.Count == 0 && _processing.Count == 0)
        {
            _drained.TrySetResult();
        }
    }
}
