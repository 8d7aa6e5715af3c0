using Fluid.Kubernetes.Controllers;
using Fluid.Kubernetes.Diagnostics;
using Fluid.Kubernetes.Informers;
using Fluid.Kubernetes.LeaderElection;
using Fluid.Kubernetes.Queues;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.DataLoads;
using Fluid.Operator.Datasets;
using Fluid.Operator.Diagnostics;
using Fluid.Operator.Engines;
using Fluid.Operator.Events;
using Fluid.Operator.Naming;
using Fluid.Operator.Resources;
using Fluid.Operator.Runtimes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Hosting;

/// <summary>
/// The operator process: informers for everything the controllers read, a work queue and controller host each for
/// Datasets, FluidCacheRuntimes and DataLoads, the wiring from informer events to queue keys, and (optionally)
/// leader election so that only the replica holding the Lease reconciles; standby replicas keep their caches warm.
/// </summary>
public sealed class OperatorHost : IDisposable
{
    private readonly LeaseElector? _elector;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly List<IDisposable> _registrations = [];
    private volatile bool _reconciling;

    /// <summary>Builds the operator over <paramref name="client"/>; nothing runs until <see cref="RunAsync"/>.</summary>
    public OperatorHost(IKubernetes client, OperatorOptions options, ILoggerFactory loggers, LeaderElectionOptions? election = null,
        KubernetesMetrics? metrics = null, TimeProvider? time = null, HttpClient? http = null, InformerOptions? informerOptions = null, EngineRegistry? engines = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(loggers);
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = loggers.CreateLogger<OperatorHost>();
        Metrics = metrics ?? new KubernetesMetrics();
        Cluster = new Cluster(client, loggers, Metrics, informerOptions);
        _ownsHttp = http is null;
        _http = http ?? new HttpClient();
        var clock = time ?? TimeProvider.System;
        var services = new EngineServices(Cluster, options, new EventRecorder(Cluster.Events, time: clock), clock, _http, loggers);
        var registry = engines ?? EngineRegistry.Default;

        DatasetQueue = new WorkQueue<ObjectKey>("datasets", metrics: Metrics);
        RuntimeQueue = new WorkQueue<ObjectKey>("fluidcacheruntimes", metrics: Metrics);
        DataLoadQueue = new WorkQueue<ObjectKey>("dataloads", metrics: Metrics);
        Controllers =
        [
            new ControllerHost("datasets", DatasetQueue, new DatasetReconciler(services), options.Workers, loggers.CreateLogger("Fluid.Operator.Datasets"), Metrics),
            new ControllerHost("fluidcacheruntimes", RuntimeQueue, new RuntimeReconciler(services, registry), options.Workers, loggers.CreateLogger("Fluid.Operator.Runtimes"), Metrics),
            new ControllerHost("dataloads", DataLoadQueue, new DataLoadReconciler(services, registry), options.Workers, loggers.CreateLogger("Fluid.Operator.DataLoads"), Metrics),
        ];
        Wire();
        if (election is not null)
        {
            _elector = new LeaseElector(client, election, loggers.CreateLogger<LeaseElector>(), Metrics, time);
        }
    }

    /// <summary>The operator's settings.</summary>
    public OperatorOptions Options { get; }

    /// <summary>The clients and informers.</summary>
    public Cluster Cluster { get; }

    /// <summary>The metrics of the Kubernetes layer (queues, reconciles, informers, leadership).</summary>
    public KubernetesMetrics Metrics { get; }

    public WorkQueue<ObjectKey> DatasetQueue { get; }

    public WorkQueue<ObjectKey> RuntimeQueue { get; }

    public WorkQueue<ObjectKey> DataLoadQueue { get; }

    /// <summary>The three controllers.</summary>
    public IReadOnlyList<ControllerHost> Controllers { get; }

    /// <summary>Whether every informer has listed once (readiness).</summary>
    public bool IsReady => Cluster.HasSynced;

    /// <summary>Whether this replica is reconciling now (it leads, or runs without leader election).</summary>
    public bool IsReconciling => _reconciling;

    /// <summary>Runs informers and (while leading) the controllers until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stopInformers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var informers = Cluster.RunInformersAsync(stopInformers.Token);
        try
        {
            await Cluster.WaitForSyncAsync(cancellationToken);
            Log.OperatorState(_logger, _elector is null ? "running" : "waiting for the lease");
            if (_elector is null)
            {
                await RunControllersAsync(cancellationToken);
            }
            else
            {
                await _elector.RunAsync(RunControllersAsync, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
        finally
        {
            await stopInformers.CancelAsync();
            await informers;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        DatasetQueue.Dispose();
        RuntimeQueue.Dispose();
        DataLoadQueue.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task RunControllersAsync(CancellationToken leading)
    {
        _reconciling = true;
        try
        {
            // Every object is looked at once on taking over: changes may have happened while no one was leading.
            foreach (var dataset in Cluster.DatasetInformer.Cache.List())
            {
                DatasetQueue.Add(ObjectKey.From(dataset));
            }

            foreach (var runtime in Cluster.RuntimeInformer.Cache.List())
            {
                RuntimeQueue.Add(ObjectKey.From(runtime));
            }

            foreach (var load in Cluster.DataLoadInformer.Cache.List())
            {
                DataLoadQueue.Add(ObjectKey.From(load));
            }

            await Task.WhenAll(Controllers.Select(c => c.RunAsync(leading)));
        }
        finally
        {
            _reconciling = false;
        }
    }

    private void Wire()
    {
        var c = Cluster;
        _registrations.Add(c.DatasetInformer.EnqueueKeysTo(DatasetQueue));
        _registrations.Add(c.DatasetInformer.EnqueueKeysTo(RuntimeQueue));
        _registrations.Add(c.DatasetInformer.EnqueueMappedTo(DataLoadQueue, d =>
            c.DataLoadInformer.Cache.List(d.Metadata.NamespaceProperty)
                .Where(l => DataLoadReconciler.DatasetKeyOf(l) == ObjectKey.From(d))
                .Select(ObjectKey.From)));

        _registrations.Add(c.RuntimeInformer.EnqueueKeysTo(RuntimeQueue));
        _registrations.Add(c.RuntimeInformer.EnqueueKeysTo(DatasetQueue));
        _registrations.Add(c.RuntimeInformer.EnqueueMappedTo(DataLoadQueue, r =>
            c.DataLoadInformer.Cache.List(r.Metadata.NamespaceProperty)
                .Where(l => DataLoadReconciler.DatasetKeyOf(l) == ObjectKey.From(r))
                .Select(ObjectKey.From)));

        _registrations.Add(c.DataLoadInformer.EnqueueKeysTo(DataLoadQueue));
        _registrations.Add(c.DataLoadInformer.EnqueueMappedTo(DataLoadQueue, done =>
            c.DataLoadInformer.Cache.List(done.Metadata.NamespaceProperty)
                .Where(l => l.Spec?.RunAfter?.Name == done.Metadata.Name)
                .Select(ObjectKey.From)));

        _registrations.Add(c.StatefulSetInformer.EnqueueOwnersTo(RuntimeQueue, FluidCacheRuntimeKind, Fluid.Api.Meta.FluidApi.Group));
        _registrations.Add(c.DaemonSetInformer.EnqueueOwnersTo(RuntimeQueue, FluidCacheRuntimeKind, Fluid.Api.Meta.FluidApi.Group));
        _registrations.Add(c.JobInformer.EnqueueOwnersTo(RuntimeQueue, FluidCacheRuntimeKind, Fluid.Api.Meta.FluidApi.Group));
        _registrations.Add(c.JobInformer.EnqueueOwnersTo(DataLoadQueue, Fluid.Api.Operations.DataLoad.KindName, Fluid.Api.Meta.FluidApi.Group));
        _registrations.Add(c.JobInformer.EnqueueMappedTo(DataLoadQueue, job => CronOwnedLoads(job)));
        _registrations.Add(c.CronJobInformer.EnqueueOwnersTo(DataLoadQueue, Fluid.Api.Operations.DataLoad.KindName, Fluid.Api.Meta.FluidApi.Group));

        // Pods: a worker pod wakes its runtime; a pod using a Dataset's PVC wakes the Dataset (deletion) and the
        // runtime (FUSE node labels).
        _registrations.Add(c.PodInformer.EnqueueMappedTo(RuntimeQueue, PodKeys));
        _registrations.Add(c.PodInformer.EnqueueMappedTo(DatasetQueue, pod => ClaimKeys(pod)));
    }

    private const string FluidCacheRuntimeKind = Fluid.Api.Runtimes.FluidCacheRuntime.KindName;

    private static IEnumerable<ObjectKey> CronOwnedLoads(V1Job job)
    {
        foreach (var owner in job.Metadata.OwnerReferences ?? [])
        {
            const string suffix = "-loader-job";
            if (owner.Kind == "CronJob" && owner.Name.EndsWith(suffix, StringComparison.Ordinal))
            {
                yield return new ObjectKey(job.Metadata.NamespaceProperty, owner.Name[..^suffix.Length]);
            }
        }
    }

    private static IEnumerable<ObjectKey> PodKeys(V1Pod pod)
    {
        var labels = pod.Metadata.Labels;
        if (labels is not null && labels.TryGetValue(FluidLabels.Role, out var role) && role == FluidLabels.WorkerRole
            && labels.TryGetValue(FluidLabels.Release, out var release))
        {
            yield return new ObjectKey(pod.Metadata.NamespaceProperty, release);
        }

        foreach (var key in ClaimKeys(pod))
        {
            yield return key;
        }
    }

    private static IEnumerable<ObjectKey> ClaimKeys(V1Pod pod) =>
        (pod.Spec?.Volumes ?? []).Select(v => v.PersistentVolumeClaim?.ClaimName).OfType<string>().Distinct()
            .Select(claim => new ObjectKey(pod.Metadata.NamespaceProperty, claim));
}
