using System.Diagnostics;
using Fluid.Kubernetes.Diagnostics;
using Fluid.Kubernetes.Queues;
using Fluid.Kubernetes.Resources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Kubernetes.Controllers;

/// <summary>
/// Runs workers that take keys from a <see cref="WorkQueue{T}"/> and reconcile them: success forgets the key's
/// failures, an exception retries it with rate-limited backoff, a <see cref="ReconcileResult"/> can requeue it.
/// The queue guarantees one in-flight reconcile per key. <see cref="RunAsync"/> can be called again after it
/// returns (for example each time this replica becomes leader); keys queued meanwhile wait for it.
/// </summary>
public sealed class ControllerHost
{
    private readonly IReconciler _reconciler;
    private readonly ILogger _logger;
    private readonly KubernetesMetrics? _metrics;
    private readonly KeyValuePair<string, object?> _tag;
    private int _running;

    /// <summary>Creates a host for <paramref name="reconciler"/> over <paramref name="queue"/>.</summary>
    public ControllerHost(string name, WorkQueue<ObjectKey> queue, IReconciler reconciler, int workers = 2, ILogger? logger = null, KubernetesMetrics? metrics = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        Name = name;
        Queue = queue ?? throw new ArgumentNullException(nameof(queue));
        _reconciler = reconciler ?? throw new ArgumentNullException(nameof(reconciler));
        Workers = workers;
        _logger = logger ?? NullLogger.Instance;
        _metrics = metrics;
        _tag = new KeyValuePair<string, object?>("controller", name);
    }

    /// <summary>The controller's name (logs and metric tags).</summary>
    public string Name { get; }

    /// <summary>The queue the workers drain.</summary>
    public WorkQueue<ObjectKey> Queue { get; }

    /// <summary>How many reconciles may run at once (for different keys).</summary>
    public int Workers { get; }

    /// <summary>
    /// Runs the workers until <paramref name="cancellationToken"/> is cancelled or the queue shuts down, then waits
    /// for in-flight reconciles (which see the token cancelled) and returns. A key whose reconcile was cancelled
    /// is queued again, so the next run (or leader) picks it up.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException($"controller {Name} is already running");
        }

        try
        {
            Log.ControllerStarted(_logger, Name, Workers);
            var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None));
            await Task.WhenAll(workers);
        }
        finally
        {
            Log.ControllerStopped(_logger, Name);
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            ObjectKey key;
            try
            {
                (key, bool shuttingDown) = await Queue.GetAsync(cancellationToken);
                if (shuttingDown)
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await ReconcileOneAsync(key, cancellationToken);
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }

    private async Task ReconcileOneAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        string result = "success";
        try
        {
            var outcome = await _reconciler.ReconcileAsync(key, cancellationToken);
            if (outcome.RequeueAfter is { } after)
            {
                Queue.Forget(key);
                Queue.AddAfter(key, after);
                result = "requeue";
            }
            else if (outcome.Requeue)
            {
                Queue.AddRateLimited(key);
                result = "requeue";
            }
            else
            {
                Queue.Forget(key);
            }

            Log.Reconciled(_logger, Name, key.ToString(), Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped mid-reconcile (shutdown or lost leadership): the work is not done, so keep the key.
            Queue.Add(key);
            result = "cancelled";
        }
        catch (Exception e)
        {
            int attempt = Queue.NumRequeues(key) + 1;
            Queue.AddRateLimited(key);
            result = "error";
            _metrics?.ReconcileErrors.Add(1, _tag);
            Log.ReconcileFailed(_logger, e, Name, key.ToString(), attempt);
        }
        finally
        {
            _metrics?.Reconciles.Add(1, _tag, new KeyValuePair<string, object?>("result", result));
            _metrics?.ReconcileDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _tag);
        }
    }
}
