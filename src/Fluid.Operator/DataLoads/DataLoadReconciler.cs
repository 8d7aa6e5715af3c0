using Fluid.Api.Core;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;
using Fluid.Kubernetes.Controllers;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Applying;
using Fluid.Operator.Datasets;
using Fluid.Operator.Diagnostics;
using Fluid.Operator.Engines;
using Fluid.Operator.Engines.FluidCache;
using Fluid.Operator.Events;
using Fluid.Operator.Resources;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.DataLoads;

/// <summary>
/// Reconciles a DataLoad through Fluid's phases: Pending until its Dataset is Bound with ready workers, its
/// <c>runAfter</c> operation is Complete and the Dataset's operation lock (status.operationRef) is free; then a Job
/// running <c>fluid load</c> (Executing), and Complete or Failed from the Job's status. <c>policy: Cron</c> keeps a
/// CronJob and follows its latest Job; <c>ttlSecondsAfterFinished</c> deletes the DataLoad after it finished.
/// </summary>
public sealed class DataLoadReconciler : IReconciler
{
    /// <summary>Fluid's finalizer on DataLoads (it releases the Dataset's operation lock).</summary>
    public const string Finalizer = "fluid-dataload-controller-finalizer";

    /// <summary>The key of the lock in the Dataset's status.operationRef.</summary>
    public const string LockKey = "DataLoad";

    private readonly EngineServices _services;
    private readonly EngineRegistry _engines;
    private readonly ILogger _logger;

    /// <summary>Creates the reconciler.</summary>
    public DataLoadReconciler(EngineServices services, EngineRegistry engines)
    {
        _services = services ?? throw new ArgumentNullException(nameof(services));
        _engines = engines ?? throw new ArgumentNullException(nameof(engines));
        _logger = services.Loggers.CreateLogger<DataLoadReconciler>();
    }

    private Hosting.Cluster Cluster => _services.Cluster;

    /// <summary>The key of the Dataset a DataLoad targets (its own namespace unless it names one).</summary>
    public static ObjectKey DatasetKeyOf(DataLoadResource load)
    {
        ArgumentNullException.ThrowIfNull(load);
        var ns = string.IsNullOrEmpty(load.Spec?.Dataset?.Namespace) ? load.Metadata.NamespaceProperty : load.Spec.Dataset.Namespace;
        return new ObjectKey(ns, load.Spec?.Dataset?.Name ?? "");
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var load = await Cluster.DataLoads.GetAsync(key, cancellationToken);
        if (load is null)
        {
            return ReconcileResult.Done;
        }

        var datasetKey = DatasetKeyOf(load);
        if (load.IsBeingDeleted())
        {
            if (load.HasFinalizer(Finalizer))
            {
                await ReleaseLockAsync(datasetKey, key.Name, cancellationToken);
                await Cluster.DataLoads.RemoveFinalizerAsync(key, Finalizer, _logger, cancellationToken);
            }

            return ReconcileResult.Done;
        }

        if (!load.HasFinalizer(Finalizer))
        {
            load = (await Cluster.DataLoads.AddFinalizerAsync(key, Finalizer, _logger, cancellationToken))?.Object;
            if (load is null)
            {
                return ReconcileResult.Done;
            }
        }

        var status = load.Status ?? new OperationStatus();
        bool cron = load.Spec?.Policy == OperationPolicy.Cron;
        if (!cron && status.Phase is OperationPhase.Complete or OperationPhase.Failed)
        {
            await ReleaseLockAsync(datasetKey, key.Name, cancellationToken);
            return await ExpireAsync(key, load, cancellationToken);
        }

        if (datasetKey.Namespace != key.Namespace)
        {
            return await FailAsync(key, load, "TargetDatasetNamespaceNotSame", $"the Dataset must be in the DataLoad's namespace \"{key.Namespace}\"", cancellationToken);
        }

        var dataset = await Cluster.Datasets.GetAsync(datasetKey, cancellationToken);
        var problems = SpecProblems.Check(dataset, load: load).DataLoad;
        if (problems.Count > 0)
        {
            return await FailAsync(key, load, "InvalidSpec", "the DataLoad is invalid: " + string.Join("; ", problems), cancellationToken);
        }

        bool executing = status.Phase == OperationPhase.Executing;
        if (!executing && !cron)
        {
            var waiting = await WaitReasonAsync(load, dataset, datasetKey, cancellationToken);
            if (waiting is not null)
            {
                await PendingAsync(key, load, waiting.Value.Reason, waiting.Value.Message, waiting.Value.OnOperation, cancellationToken);
                return ReconcileResult.Done;
            }
        }

        var runtime = Cluster.RuntimeInformer.Cache.Get(datasetKey) ?? await Cluster.Runtimes.GetAsync(datasetKey, cancellationToken);
        if (dataset is null || runtime is null)
        {
            await PendingAsync(key, load, "TargetDatasetNotReady", $"waiting for Dataset {datasetKey} and its runtime", false, cancellationToken);
            return ReconcileResult.Done;
        }

        var engine = _engines.Create(runtime.Kind, _services);
        var pod = engine.DataLoadPod(new RuntimeContext(dataset, runtime), load);
        return cron
            ? await ReconcileCronAsync(key, load, dataset, datasetKey, pod, cancellationToken)
            : await ReconcileOnceAsync(key, load, datasetKey, pod, executing, cancellationToken);
    }

    private async Task<ReconcileResult> ReconcileOnceAsync(ObjectKey key, DataLoadResource load, ObjectKey datasetKey, V1PodTemplateSpec pod, bool executing, CancellationToken cancellationToken)
    {
        if (!executing)
        {
            var holder = await AcquireLockAsync(datasetKey, key.Name, cancellationToken);
            if (holder is not null)
            {
                await _services.Events.RecordAsync(load, EventTypes.Warning, "DataLoadCollision", $"DataLoad {holder} is loading Dataset {datasetKey.Name}; waiting for it to finish", cancellationToken);
                await PendingAsync(key, load, "DataLoadCollision", $"waiting for DataLoad {holder} to release Dataset {datasetKey.Name}", false, cancellationToken);
                return ReconcileResult.Done;
            }
        }

        var job = (await Cluster.Jobs.ApplyAsync(DataLoadRenderer.RenderJob(load, pod), (s, d) => s.Spec = d.Spec, createOnly: true, _logger, cancellationToken)).Object;
        if (!executing)
        {
            await _services.Events.RecordAsync(load, EventTypes.Normal, "DataLoadJobStarted", $"The DataLoad job {job.Metadata.Name} started", cancellationToken);
            await SetStatusAsync(key, s => s with { Phase = OperationPhase.Executing, WaitingFor = null, Conditions = null, Duration = null }, cancellationToken);
        }

        var started = Created(load);
        var finished = DataLoadStatusCalculator.Finished(load.Status ?? new OperationStatus(), job, started);
        if (finished is null)
        {
            return ReconcileResult.Done;
        }

        var written = await SetStatusAsync(key, _ => finished, cancellationToken);
        await ReleaseLockAsync(datasetKey, key.Name, cancellationToken);
        bool complete = finished.Phase == OperationPhase.Complete;
        await _services.Events.RecordAsync(load, complete ? EventTypes.Normal : EventTypes.Warning, complete ? "DataLoadJobComplete" : "DataLoadJobFailed",
            complete ? $"The DataLoad job {job.Metadata.Name} completed" : $"The DataLoad job {job.Metadata.Name} failed: {finished.Conditions?[0].Message}", cancellationToken);
        return await ExpireAsync(key, written ?? load, cancellationToken);
    }

    private async Task<ReconcileResult> ReconcileCronAsync(ObjectKey key, DataLoadResource load, DatasetResource dataset, ObjectKey datasetKey, V1PodTemplateSpec pod, CancellationToken cancellationToken)
    {
        // The CronJob starts runs on its own schedule; it is suspended while another load holds the Dataset.
        var holder = HolderOf(dataset);
        bool suspend = holder is not null && holder != key.Name;
        if (load.Spec?.RunAfter is not null && await WaitReasonAsync(load, dataset, datasetKey, cancellationToken) is { } waiting)
        {
            suspend = true;
            await PendingAsync(key, load, waiting.Reason, waiting.Message, waiting.OnOperation, cancellationToken);
        }

        var cronJob = (await Cluster.CronJobs.ApplyAsync(DataLoadRenderer.RenderCronJob(load, pod, suspend), (s, d) => s.Spec = d.Spec, logger: _logger, cancellationToken: cancellationToken)).Object;
        var latest = Cluster.JobInformer.Cache.List(key.Namespace)
            .Where(j => OwnerReferences.IsOwnedBy(j, cronJob))
            .OrderByDescending(j => j.Metadata.CreationTimestamp)
            .ThenByDescending(j => j.Metadata.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        var schedule = ToTime(cronJob.Status?.LastScheduleTime);
        var success = ToTime(cronJob.Status?.LastSuccessfulTime);
        if (latest is null)
        {
            await SetStatusAsync(key, s => s with { Phase = s.Phase ?? OperationPhase.Pending, LastScheduleTime = schedule ?? s.LastScheduleTime, LastSuccessfulTime = success ?? s.LastSuccessfulTime }, cancellationToken);
            return ReconcileResult.Done;
        }

        var current = load.Status ?? new OperationStatus();
        var finished = DataLoadStatusCalculator.Finished(current, latest, Created(latest));
        if (finished is null)
        {
            // A run is under way: it takes the Dataset's lock for as long as it runs.
            await AcquireLockAsync(datasetKey, key.Name, cancellationToken);
            await SetStatusAsync(key, s => s with { Phase = OperationPhase.Executing, WaitingFor = null, LastScheduleTime = schedule ?? s.LastScheduleTime }, cancellationToken);
            return ReconcileResult.Done;
        }

        await SetStatusAsync(key, _ => finished with { LastScheduleTime = schedule ?? finished.LastScheduleTime, LastSuccessfulTime = success ?? finished.LastSuccessfulTime }, cancellationToken);
        await ReleaseLockAsync(datasetKey, key.Name, cancellationToken);
        return ReconcileResult.Done;
    }

    private async Task<(string Reason, string Message, bool OnOperation)?> WaitReasonAsync(DataLoadResource load, DatasetResource? dataset, ObjectKey datasetKey, CancellationToken cancellationToken)
    {
        if (dataset is null)
        {
            return ("TargetDatasetNotFound", $"no Dataset \"{datasetKey.Name}\" in namespace \"{datasetKey.Namespace}\"", false);
        }

        var runtime = Cluster.RuntimeInformer.Cache.Get(datasetKey);
        if (dataset.Status?.Phase != DatasetPhase.Bound)
        {
            return ("TargetDatasetNotReady", $"Dataset {datasetKey.Name} is {dataset.Status?.Phase?.ToString() ?? "not bound"}; waiting for it to be Bound", false);
        }

        if (runtime?.Status?.WorkerPhase is not (RuntimePhase.Ready or RuntimePhase.PartialReady))
        {
            return ("RuntimeNotReady", $"the runtime of Dataset {datasetKey.Name} has no ready worker yet", false);
        }

        if (load.Spec?.RunAfter is { } after)
        {
            if (after.Kind != OperationKind.DataLoad)
            {
                return ("DataOperationNotSupport", $"runAfter names a {after.Kind}, which this build does not run", true);
            }

            var ns = string.IsNullOrEmpty(after.Namespace) ? load.Metadata.NamespaceProperty : after.Namespace;
            var before = await Cluster.DataLoads.GetAsync(new ObjectKey(ns, after.Name ?? ""), cancellationToken);
            if (before?.Status?.Phase != OperationPhase.Complete)
            {
                return ("WaitingForOperation", $"waiting for DataLoad {ns}/{after.Name} to complete (now {before?.Status?.Phase?.ToString() ?? (before is null ? "missing" : "Pending")})", true);
            }
        }

        return null;
    }

    private async Task PendingAsync(ObjectKey key, DataLoadResource load, string reason, string message, bool onOperation, CancellationToken cancellationToken)
    {
        var before = load.Status;
        var written = await SetStatusAsync(key, s => s with
        {
            Phase = OperationPhase.Pending,
            WaitingFor = onOperation ? new WaitingStatus { OperationComplete = true } : null,
            Infos = ValueMap.Of(("waitingFor", message)),
        }, cancellationToken);
        if (before?.Infos?.TryGetValue("waitingFor", out var was) != true || was != message)
        {
            await _services.Events.RecordAsync(written ?? load, EventTypes.Normal, reason, message, cancellationToken);
        }
    }

    private async Task<ReconcileResult> FailAsync(ObjectKey key, DataLoadResource load, string reason, string message, CancellationToken cancellationToken)
    {
        var now = Now();
        var written = await SetStatusAsync(key, s => s.Phase == OperationPhase.Failed && s.Conditions?.FirstOrDefault()?.Message == message ? s : s with
        {
            Phase = OperationPhase.Failed,
            Duration = Naming.Units.Duration(now - Created(load)),
            Conditions = ValueList.Of(new OperationCondition { Type = "Failed", Status = ConditionStatus.True, Reason = reason, Message = message, LastProbeTime = now, LastTransitionTime = now }),
        }, cancellationToken);
        return await ExpireAsync(key, written ?? load, cancellationToken);
    }

    private async Task<ReconcileResult> ExpireAsync(ObjectKey key, DataLoadResource load, CancellationToken cancellationToken)
    {
        var expires = DataLoadStatusCalculator.ExpiresAt(load.Status, load.Spec?.TtlSecondsAfterFinished);
        if (expires is not { } at)
        {
            return ReconcileResult.Done;
        }

        var left = at - _services.Time.GetUtcNow();
        if (left > TimeSpan.Zero)
        {
            return ReconcileResult.After(left);
        }

        await Cluster.DataLoads.DeleteAsync(key, "Background", cancellationToken: cancellationToken);
        Log.DataLoadExpired(_logger, key.Namespace ?? "", key.Name, load.Spec?.TtlSecondsAfterFinished ?? 0);
        return ReconcileResult.Done;
    }

    private async Task<DataLoadResource?> SetStatusAsync(ObjectKey key, Func<OperationStatus, OperationStatus> change, CancellationToken cancellationToken)
    {
        var written = await Cluster.DataLoads.UpdateStatusAsync(key, l => l.Status = change(l.Status ?? new OperationStatus()), _logger, cancellationToken);
        if (written?.Outcome == ApplyOutcome.Updated)
        {
            Log.DataLoadPhase(_logger, key.Namespace ?? "", key.Name, written.Object.Status?.Phase?.ToString() ?? "");
        }

        return written?.Object;
    }

    /// <summary>Takes the Dataset's DataLoad lock for <paramref name="name"/>; returns the holder when another load has it.</summary>
    private async Task<string?> AcquireLockAsync(ObjectKey datasetKey, string name, CancellationToken cancellationToken)
    {
        string? holder = null;
        await Cluster.Datasets.UpdateStatusAsync(datasetKey, d =>
        {
            holder = HolderOf(d);
            if (holder is null)
            {
                var status = d.Status ?? new DatasetStatus();
                var refs = (status.OperationRef ?? ValueMap<string>.Empty).Where(p => p.Key != LockKey).Append(new(LockKey, name));
                d.Status = status with { OperationRef = new ValueMap<string>(refs) };
            }
        }, _logger, cancellationToken);
        return holder == name ? null : holder;
    }

    private Task ReleaseLockAsync(ObjectKey datasetKey, string name, CancellationToken cancellationToken) =>
        Cluster.Datasets.UpdateStatusAsync(datasetKey, d =>
        {
            if (HolderOf(d) == name)
            {
                var refs = d.Status!.OperationRef!.Where(p => p.Key != LockKey).ToList();
                d.Status = d.Status with { OperationRef = refs.Count > 0 ? new ValueMap<string>(refs) : null };
            }
        }, _logger, cancellationToken);

    private static string? HolderOf(DatasetResource dataset) =>
        dataset.Status?.OperationRef?.TryGetValue(LockKey, out var holder) == true && !string.IsNullOrEmpty(holder) ? holder : null;

    private static DateTimeOffset Created(k8s.IKubernetesObject<V1ObjectMeta> obj) =>
        ToTime(obj.Metadata.CreationTimestamp) ?? DateTimeOffset.UnixEpoch;

    private static DateTimeOffset? ToTime(DateTime? time) => time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;

    private DateTimeOffset Now()
    {
        var now = _services.Time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }
}
