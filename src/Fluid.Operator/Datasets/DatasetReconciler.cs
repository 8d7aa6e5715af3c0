using Fluid.Kubernetes.Controllers;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Diagnostics;
using Fluid.Operator.Engines;
using Fluid.Operator.Events;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Datasets;

/// <summary>
/// Reconciles a Dataset: check it as <c>fluid validate</c> does, compute its phase (NotBound, Bound, Failed) from its
/// runtime, and hold its deletion with Fluid's finalizer while any running pod uses its PVC.
/// </summary>
public sealed class DatasetReconciler : IReconciler
{
    /// <summary>Fluid's finalizer on Datasets.</summary>
    public const string Finalizer = "fluid-dataset-controller-finalizer";

    /// <summary>Fluid's event reason when a Dataset cannot be deleted yet.</summary>
    public const string DeleteBlockedReason = "ErrorDeleteDataset";

    private readonly EngineServices _services;
    private readonly ILogger _logger;

    /// <summary>Creates the reconciler.</summary>
    public DatasetReconciler(EngineServices services)
    {
        _services = services ?? throw new ArgumentNullException(nameof(services));
        _logger = services.Loggers.CreateLogger<DatasetReconciler>();
    }

    private Hosting.Cluster Cluster => _services.Cluster;

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var dataset = await Cluster.Datasets.GetAsync(key, cancellationToken);
        if (dataset is null)
        {
            return ReconcileResult.Done;
        }

        if (dataset.IsBeingDeleted())
        {
            if (!dataset.HasFinalizer(Finalizer))
            {
                return ReconcileResult.Done;
            }

            var users = PodUsage.UsingClaim(Cluster.PodInformer.Cache.List(key.Namespace), key.Name);
            if (users.Count > 0)
            {
                var podNames = string.Join(", ", users.Select(p => p.Metadata.Name));
                Log.DatasetInUse(_logger, key.Namespace ?? "", key.Name, podNames);
                await _services.Events.RecordAsync(dataset, EventTypes.Warning, DeleteBlockedReason,
                    $"Failed to delete dataset because Pod(s) [{podNames}] in namespace {key.Namespace} is(are) using it", cancellationToken);
                return ReconcileResult.After(_services.Options.DeletionRecheck);
            }

            await Cluster.Datasets.RemoveFinalizerAsync(key, Finalizer, _logger, cancellationToken);
            Log.DatasetReleased(_logger, key.Namespace ?? "", key.Name);
            return ReconcileResult.Done;
        }

        if (!dataset.HasFinalizer(Finalizer))
        {
            dataset = (await Cluster.Datasets.AddFinalizerAsync(key, Finalizer, _logger, cancellationToken))?.Object;
            if (dataset is null)
            {
                return ReconcileResult.Done;
            }
        }

        var runtime = Cluster.RuntimeInformer.Cache.Get(key);
        var problems = SpecProblems.Check(dataset).Dataset;
        var now = _services.Time.GetUtcNow();
        now = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var written = await Cluster.Datasets.UpdateStatusAsync(key, d => d.Status = DatasetStatusCalculator.Compute(d, runtime, problems, now), _logger, cancellationToken);
        if (written?.Outcome == ApplyOutcome.Updated)
        {
            Log.DatasetPhase(_logger, key.Namespace ?? "", key.Name, written.Object.Status?.Phase?.ToString() ?? "");
        }

        return ReconcileResult.Done;
    }
}
