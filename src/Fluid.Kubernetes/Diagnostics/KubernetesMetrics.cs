using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Fluid.Kubernetes.Diagnostics;

/// <summary>
/// The Kubernetes layer's metrics (meter <c>Fluid.Kubernetes</c>): work queue depth, adds and retries; reconcile
/// count, duration and errors; informer events, watch restarts and relists; leader election transitions.
/// </summary>
public sealed class KubernetesMetrics : IDisposable
{
    /// <summary>The meter name to listen to or export.</summary>
    public const string MeterName = "Fluid.Kubernetes";

    private readonly Meter _meter;
    private readonly ConcurrentDictionary<string, Func<int>> _queueDepths = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<bool>> _leaders = new(StringComparer.Ordinal);

    /// <summary>Creates the instruments, on a meter from <paramref name="meterFactory"/> when given.</summary>
    public KubernetesMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("fluid.kubernetes.workqueue.depth",
            () => _queueDepths.Select(q => new Measurement<int>(q.Value(), new KeyValuePair<string, object?>("queue", q.Key))),
            unit: "{item}", description: "Keys waiting in a work queue.");
        _meter.CreateObservableGauge("fluid.kubernetes.leader.is_leader",
            () => _leaders.Select(l => new Measurement<int>(l.Value() ? 1 : 0, new KeyValuePair<string, object?>("lease", l.Key))),
            description: "1 while this replica holds the lease.");
        QueueAdds = _meter.CreateCounter<long>("fluid.kubernetes.workqueue.adds", "{item}", "Keys added to a work queue.");
        QueueRetries = _meter.CreateCounter<long>("fluid.kubernetes.workqueue.retries", "{item}", "Rate-limited re-adds after a failure.");
        Reconciles = _meter.CreateCounter<long>("fluid.kubernetes.reconcile.count", "{reconcile}", "Reconciles run, by result.");
        ReconcileErrors = _meter.CreateCounter<long>("fluid.kubernetes.reconcile.errors", "{reconcile}", "Reconciles that threw.");
        ReconcileDuration = _meter.CreateHistogram<double>("fluid.kubernetes.reconcile.duration", "s", "Time spent in one reconcile.");
        InformerEvents = _meter.CreateCounter<long>("fluid.kubernetes.informer.events", "{event}", "Events delivered to handlers, by type.");
        WatchRestarts = _meter.CreateCounter<long>("fluid.kubernetes.informer.watch_restarts", "{restart}", "Watches restarted, by reason.");
        Relists = _meter.CreateCounter<long>("fluid.kubernetes.informer.relists", "{list}", "Full lists after the first (410 Gone or errors).");
        LeaderTransitions = _meter.CreateCounter<long>("fluid.kubernetes.leader.transitions", "{transition}", "Leadership acquired or lost.");
    }

    /// <summary>Keys added to a work queue (tag <c>queue</c>).</summary>
    public Counter<long> QueueAdds { get; }

    /// <summary>Rate-limited re-adds (tag <c>queue</c>).</summary>
    public Counter<long> QueueRetries { get; }

    /// <summary>Reconciles run (tags <c>controller</c>, <c>result</c> = success, requeue or error).</summary>
    public Counter<long> Reconciles { get; }

    /// <summary>Reconciles that threw (tag <c>controller</c>).</summary>
    public Counter<long> ReconcileErrors { get; }

    /// <summary>Reconcile duration in seconds (tag <c>controller</c>).</summary>
    public Histogram<double> ReconcileDuration { get; }

    /// <summary>Informer events delivered (tags <c>resource</c>, <c>type</c>).</summary>
    public Counter<long> InformerEvents { get; }

    /// <summary>Watch restarts (tags <c>resource</c>, <c>reason</c> = closed, error, watchdog or expired).</summary>
    public Counter<long> WatchRestarts { get; }

    /// <summary>Relists after the first list (tag <c>resource</c>).</summary>
    public Counter<long> Relists { get; }

    /// <summary>Leadership changes (tags <c>lease</c>, <c>change</c> = acquired or lost).</summary>
    public Counter<long> LeaderTransitions { get; }

    /// <summary>Reports a queue's depth under <paramref name="name"/> until the returned object is disposed.</summary>
    public IDisposable TrackQueueDepth(string name, Func<int> depth)
    {
        _queueDepths[name] = depth;
        return new Untrack(() => _queueDepths.TryRemove(name, out _));
    }

    /// <summary>Reports whether this replica leads <paramref name="lease"/> until the returned object is disposed.</summary>
    public IDisposable TrackLeader(string lease, Func<bool> isLeader)
    {
        _leaders[lease] = isLeader;
        return new Untrack(() => _leaders.TryRemove(lease, out _));
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private sealed class Untrack(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
