using Fluid.Api.Core;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Runtimes;
using Fluid.Kubernetes.Controllers;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Datasets;
using Fluid.Operator.Diagnostics;
using Fluid.Operator.Engines;
using Fluid.Operator.Engines.FluidCache;
using Fluid.Operator.Naming;
using Fluid.Operator.Resources;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Runtimes;

/// <summary>
/// Reconciles a FluidCacheRuntime: read the runtime and its Dataset, check both, let the engine render and apply the
/// objects, sync the status (and node labels, and cache figures into the Dataset), and on deletion let the engine
/// clean up before the finalizer goes.
/// </summary>
public sealed class RuntimeReconciler : IReconciler
{
    /// <summary>Condition type when the runtime cannot be set up (invalid spec, missing or conflicting Dataset).</summary>
    public const string SetupCondition = "SetupBlocked";

    private readonly EngineServices _services;
    private readonly IRuntimeEngine _engine;
    private readonly ILogger _logger;

    /// <summary>Creates the reconciler with the engine of FluidCacheRuntime from <paramref name="engines"/>.</summary>
    public RuntimeReconciler(EngineServices services, EngineRegistry engines)
    {
        _services = services ?? throw new ArgumentNullException(nameof(services));
        ArgumentNullException.ThrowIfNull(engines);
        _engine = engines.Create(FluidCacheRuntime.KindName, services);
        _logger = services.Loggers.CreateLogger<RuntimeReconciler>();
    }

    private Hosting.Cluster Cluster => _services.Cluster;

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var runtime = await Cluster.Runtimes.GetAsync(key, cancellationToken);
        if (runtime is null)
        {
            return ReconcileResult.Done;
        }

        var dataset = await Cluster.Datasets.GetAsync(key, cancellationToken);
        if (runtime.IsBeingDeleted())
        {
            return await DeleteAsync(key, runtime, dataset, cancellationToken);
        }

        // The finalizer goes on before anything is created, so nothing can be left behind.
        if (!runtime.HasFinalizer(FluidCacheRenderer.RuntimeFinalizer))
        {
            runtime = (await Cluster.Runtimes.AddFinalizerAsync(key, FluidCacheRenderer.RuntimeFinalizer, _logger, cancellationToken))?.Object;
            if (runtime is null)
            {
                return ReconcileResult.Done;
            }
        }

        var blocked = Blocker(runtime, dataset);
        if (blocked is not null)
        {
            Log.RuntimeBlocked(_logger, key.Namespace ?? "", key.Name, blocked.Value.Message);
            await WriteBlockedAsync(key, blocked.Value.Reason, blocked.Value.Message, cancellationToken);
            return ReconcileResult.Done;
        }

        // As in Fluid, the Dataset owns its runtime: deleting the Dataset deletes the runtime.
        if (!OwnerReferences.IsOwnedBy(runtime, dataset!))
        {
            runtime = (await Cluster.Runtimes.UpdateAsync(key, r =>
            {
                if (!OwnerReferences.IsOwnedBy(r, dataset!))
                {
                    (r.Metadata.OwnerReferences ??= []).Add(OwnerReferences.For(dataset!, controller: false, blockOwnerDeletion: false));
                }
            }, _logger, cancellationToken))?.Object ?? runtime;
        }

        var context = new RuntimeContext(dataset!, runtime);
        await _engine.SetupAsync(context, cancellationToken);
        var sync = await _engine.SyncAsync(context, cancellationToken);
        var written = await Cluster.Runtimes.UpdateStatusAsync(key, r => r.Status = sync.Status with
        {
            Conditions = sync.Status.Conditions is { } c ? new ValueList<RuntimeCondition>(c.Where(x => x.Type != SetupCondition)) : null,
        }, _logger, cancellationToken);
        if (written?.Outcome == ApplyOutcome.Updated)
        {
            Log.RuntimeStatus(_logger, key.Namespace ?? "", key.Name, sync.Status.WorkerPhase?.ToString() ?? "", sync.Status.WorkerNumberReady ?? 0, sync.Status.DesiredWorkerNumberScheduled ?? 0);
        }

        if (sync.Figures is { } figures)
        {
            // The runtime controller keeps the Dataset's figures; the Dataset controller owns its phase.
            await Cluster.Datasets.UpdateStatusAsync(key, d =>
            {
                var status = d.Status ?? new DatasetStatus();
                d.Status = status with
                {
                    UfsTotal = figures.UfsTotal ?? status.UfsTotal,
                    FileNum = figures.FileNum ?? status.FileNum,
                    CacheStates = status.Phase == DatasetPhase.Bound ? figures.CacheStates : status.CacheStates,
                };
            }, _logger, cancellationToken);
        }

        return ReconcileResult.After(_services.Options.StatusInterval);
    }

    private async Task<ReconcileResult> DeleteAsync(ObjectKey key, FluidCacheRuntimeResource runtime, DatasetResource? dataset, CancellationToken cancellationToken)
    {
        if (!runtime.HasFinalizer(FluidCacheRenderer.RuntimeFinalizer))
        {
            return ReconcileResult.Done;
        }

        // The Dataset may already be gone (it owns the runtime); the engine needs only its uid for label names.
        var context = new RuntimeContext(dataset ?? new DatasetResource { Metadata = new() { Name = key.Name, NamespaceProperty = key.Namespace } }, runtime);
        if (!await _engine.ShutdownAsync(context, cancellationToken))
        {
            return ReconcileResult.After(TimeSpan.FromSeconds(2));
        }

        await Cluster.Runtimes.RemoveFinalizerAsync(key, FluidCacheRenderer.RuntimeFinalizer, _logger, cancellationToken);
        Log.RuntimeCleanedUp(_logger, key.Namespace ?? "", key.Name);
        return ReconcileResult.Done;
    }

    private static (string Reason, string Message)? Blocker(FluidCacheRuntimeResource runtime, DatasetResource? dataset)
    {
        if (dataset is null)
        {
            return ("DatasetNotFound", $"no Dataset \"{runtime.Metadata.Name}\" in namespace \"{runtime.Metadata.NamespaceProperty}\" (a runtime binds to the Dataset of the same name and namespace)");
        }

        if (dataset.IsBeingDeleted())
        {
            return ("DatasetDeleting", "the Dataset is being deleted");
        }

        var problems = SpecProblems.Check(dataset, runtime);
        if (problems.Runtime.Count > 0)
        {
            return ("InvalidSpec", "the runtime is invalid: " + string.Join("; ", problems.Runtime));
        }

        if (problems.Dataset.Count > 0)
        {
            return ("DatasetInvalid", "the Dataset is invalid: " + string.Join("; ", problems.Dataset));
        }

        var foreign = dataset.Status?.Runtimes?.FirstOrDefault(r => !string.IsNullOrEmpty(r.Type) && r.Type != RuntimeNames.RuntimeType);
        return foreign is not null
            ? ("DatasetBoundElsewhere", $"the Dataset is bound to {foreign.Type} runtime {foreign.Namespace}/{foreign.Name}")
            : null;
    }

    private Task WriteBlockedAsync(ObjectKey key, string reason, string message, CancellationToken cancellationToken) =>
        Cluster.Runtimes.UpdateStatusAsync(key, r =>
        {
            var status = r.Status ?? new RuntimeStatus();
            var old = status.Conditions?.FirstOrDefault(c => c.Type == SetupCondition);
            if (old is { Status: ConditionStatus.True } && old.Reason == reason && old.Message == message)
            {
                return;
            }

            var now = _services.Time.GetUtcNow();
            now = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
            var others = status.Conditions?.Where(c => c.Type != SetupCondition) ?? [];
            r.Status = status with
            {
                WorkerPhase = status.WorkerPhase ?? RuntimePhase.NotReady,
                FusePhase = status.FusePhase ?? RuntimePhase.NotReady,
                Conditions = new ValueList<RuntimeCondition>([.. others, new RuntimeCondition
                {
                    Type = SetupCondition,
                    Status = ConditionStatus.True,
                    Reason = reason,
                    Message = message,
                    LastProbeTime = now,
                    LastTransitionTime = now,
                }]),
            };
        }, _logger, cancellationToken);
}
