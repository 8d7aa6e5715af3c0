using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fluid.Kubernetes.Controllers;
using Fluid.Kubernetes.Diagnostics;
using Fluid.Kubernetes.Informers;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Queues;
using Fluid.Kubernetes.Resources;
using k8s.Models;

namespace Fluid.Kubernetes.Tests.Controllers;

public sealed class ControllerHostTests
{
    private static WorkQueue<ObjectKey> NewQueue(string name, KubernetesMetrics? metrics = null) =>
        new(name, new ExponentialBackoffRateLimiter<ObjectKey>(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1)), metrics);

    [Fact]
    public async Task Reconcile_FailsTwice_RetriedWithBackoffThenForgotten()
    {
        using var queue = NewQueue("retry");
        var key = new ObjectKey("default", "a");
        var attempts = new ConcurrentQueue<TimeSpan>();
        var clock = Stopwatch.StartNew();
        var reconciler = new DelegateReconciler((k, ct) =>
        {
            attempts.Enqueue(clock.Elapsed);
            return attempts.Count <= 2 ? throw new InvalidOperationException("not yet") : Task.FromResult(ReconcileResult.Done);
        });
        var host = new ControllerHost("retry", queue, reconciler, workers: 2);
        using var stop = new CancellationTokenSource();
        var run = host.RunAsync(stop.Token);

        queue.Add(key);
        await Eventually.TrueAsync(() => attempts.Count == 3, "third attempt");
        await Eventually.TrueAsync(() => queue.NumRequeues(key) == 0, "failures forgotten after success");

        var times = attempts.ToArray();
        // Backoff of 50 ms, then 100 ms, between the attempts.
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(45), $"first retry after {times[1] - times[0]}");
        Assert.True(times[2] - times[1] >= TimeSpan.FromMilliseconds(95), $"second retry after {times[2] - times[1]}");
        await Task.Delay(200);
        Assert.Equal(3, attempts.Count);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Reconcile_RequeueAfter_RunsAgainAfterDelay()
    {
        using var queue = NewQueue("requeue");
        var times = new ConcurrentQueue<TimeSpan>();
        var clock = Stopwatch.StartNew();
        var reconciler = new DelegateReconciler((k, ct) =>
        {
            times.Enqueue(clock.Elapsed);
            return Task.FromResult(times.Count == 1 ? ReconcileResult.After(TimeSpan.FromMilliseconds(300)) : ReconcileResult.Done);
        });
        var host = new ControllerHost("requeue", queue, reconciler);
        using var stop = new CancellationTokenSource();
        var run = host.RunAsync(stop.Token);

        queue.Add(new ObjectKey(null, "n1"));
        await Eventually.TrueAsync(() => times.Count == 2, "second reconcile");

        var t = times.ToArray();
        Assert.True(t[1] - t[0] >= TimeSpan.FromMilliseconds(290), $"requeued after {t[1] - t[0]}");
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Stop_MidReconcile_CancelsAndKeepsKeyForNextRun()
    {
        using var queue = NewQueue("stop");
        var started = new TaskCompletionSource();
        var reconciler = new DelegateReconciler(async (k, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return ReconcileResult.Done;
        });
        var host = new ControllerHost("stop", queue, reconciler, workers: 1);
        using var stop = new CancellationTokenSource();
        var run = host.RunAsync(stop.Token);
        queue.Add(new ObjectKey("default", "a"));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(1, queue.Count);
        Assert.Equal(0, queue.ProcessingCount);
    }

    [Fact]
    public async Task InformerQueueHost_ManyChanges_EveryKeyReconciledOneAtATimeToLatestState()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var metrics = new KubernetesMetrics();
        var reconcileCount = new ConcurrentDictionary<string, long>();
        using var listener = ListenTo(metrics, reconcileCount);
        var pods = new ResourceClient<V1Pod>(cluster.Client, ResourceTypes.Pods);
        var informer = new ResourceInformer<V1Pod>(pods, metrics: metrics);
        using var queue = NewQueue("pods", metrics);
        informer.EnqueueKeysTo(queue);
        var inFlight = new ConcurrentDictionary<ObjectKey, int>();
        var lastSeenGeneration = new ConcurrentDictionary<ObjectKey, string>();
        int overlaps = 0;
        var reconciler = new DelegateReconciler(async (key, ct) =>
        {
            if (inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            try
            {
                await Task.Delay(Random.Shared.Next(1, 5), ct);
                var pod = informer.Cache.Get(key);
                lastSeenGeneration[key] = pod?.Metadata.Labels?["version"] ?? "gone";
                return ReconcileResult.Done;
            }
            finally
            {
                inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
            }
        });
        var host = new ControllerHost("pods", queue, reconciler, workers: 4, metrics: metrics);
        using var stop = new CancellationTokenSource();
        var informing = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var hosting = host.RunAsync(stop.Token);

        for (int i = 0; i < 10; i++)
        {
            await pods.CreateAsync(new V1Pod { Metadata = new() { Name = $"p{i}", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["version"] = "0" } } });
        }

        for (int round = 1; round <= 5; round++)
        {
            for (int i = 0; i < 10; i++)
            {
                await pods.PatchAsync(new ObjectKey("default", $"p{i}"), MergePatches.Labels(new Dictionary<string, string?> { ["version"] = round.ToString() }));
            }
        }

        await pods.DeleteAsync(new ObjectKey("default", "p9"));

        await Eventually.TrueAsync(() => Enumerable.Range(0, 9).All(i => lastSeenGeneration.GetValueOrDefault(new ObjectKey("default", $"p{i}")) == "5")
            && lastSeenGeneration.GetValueOrDefault(new ObjectKey("default", "p9")) == "gone", "every key reconciled to its latest state");
        Assert.Equal(0, overlaps);
        listener.RecordObservableInstruments();
        Assert.True(reconcileCount.GetValueOrDefault("success") >= 10);
        Assert.Equal(0, reconcileCount.GetValueOrDefault("error"));
        await stop.CancelAsync();
        await Task.WhenAll(informing, hosting).WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static MeterListener ListenTo(KubernetesMetrics metrics, ConcurrentDictionary<string, long> reconciles)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == KubernetesMetrics.MeterName && instrument.Name == "fluid.kubernetes.reconcile.count")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "result")
                {
                    reconciles.AddOrUpdate((string)tag.Value!, value, (_, n) => n + value);
                }
            }
        });
        listener.Start();
        return listener;
    }
}
