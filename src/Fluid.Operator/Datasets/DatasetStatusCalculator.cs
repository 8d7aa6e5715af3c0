using Fluid.Api.Core;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Runtimes;
using Fluid.Kubernetes.Objects;
using Fluid.Operator.Naming;
using Fluid.Operator.Resources;

namespace Fluid.Operator.Datasets;

/// <summary>Computes a Dataset's phase, bound runtimes and conditions from what was read: a pure function.</summary>
public static class DatasetStatusCalculator
{
    /// <summary>Fluid's condition type for a usable Dataset.</summary>
    public const string ReadyCondition = "Ready";

    /// <summary>Fluid's reason when the Dataset is bound.</summary>
    public const string ReadyReason = "DatasetReady";

    /// <summary>Fluid's message when the Dataset is bound.</summary>
    public const string ReadyMessage = "The ddc runtime is ready.";

    /// <summary>Reason when the Dataset's spec fails the checks of <c>fluid validate</c>.</summary>
    public const string InvalidSpecReason = "InvalidSpec";

    /// <summary>Reason when the Dataset is bound to a runtime of another kind.</summary>
    public const string RuntimeConflictReason = "RuntimeConflict";

    /// <summary>The category Fluid writes for cache runtimes in status.runtimes.</summary>
    public const string AccelerateCategory = "Accelerate";

    /// <summary>
    /// The status the Dataset should have. Fields other controllers own (ufsTotal, fileNum, cacheStates while bound,
    /// operationRef, dataLoadRef) are carried over from <paramref name="dataset"/>'s current status.
    /// </summary>
    public static DatasetStatus Compute(DatasetResource dataset, FluidCacheRuntimeResource? runtime, IReadOnlyList<string> problems, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(problems);
        var current = dataset.Status ?? new DatasetStatus();
        var live = runtime is not null && !runtime.IsBeingDeleted() ? runtime : null;

        if (problems.Count > 0)
        {
            return current with
            {
                Phase = DatasetPhase.Failed,
                Conditions = Conditions(current, ConditionStatus.False, InvalidSpecReason, "the Dataset is invalid: " + string.Join("; ", problems), now),
            };
        }

        var foreign = current.Runtimes?.FirstOrDefault(r => !string.IsNullOrEmpty(r.Type) && r.Type != RuntimeNames.RuntimeType);
        if (foreign is not null)
        {
            if (live is null)
            {
                // Bound by another controller's runtime: not ours to change.
                return current;
            }

            return current with
            {
                Phase = DatasetPhase.Failed,
                Conditions = Conditions(current, ConditionStatus.False, RuntimeConflictReason,
                    $"the Dataset is bound to {foreign.Type} runtime {foreign.Namespace}/{foreign.Name}; a Dataset binds one runtime, so FluidCacheRuntime {live.Metadata.Name} cannot bind it",
                    now),
            };
        }

        bool alreadyBound = current.Phase == DatasetPhase.Bound && current.Runtimes?.Any(r => r.Type == RuntimeNames.RuntimeType) == true;
        bool workersUp = live?.Status?.WorkerPhase is RuntimePhase.Ready or RuntimePhase.PartialReady;
        if (live is not null && (alreadyBound || workersUp))
        {
            return current with
            {
                Phase = DatasetPhase.Bound,
                Runtimes = ValueList.Of(new RuntimeRef
                {
                    Name = live.Metadata.Name,
                    Namespace = live.Metadata.NamespaceProperty,
                    Category = AccelerateCategory,
                    Type = RuntimeNames.RuntimeType,
                }),
                Mounts = dataset.Spec?.Mounts,
                Conditions = Conditions(current, ConditionStatus.True, ReadyReason, ReadyMessage, now),
            };
        }

        // No runtime (or one not yet up): NotBound, and nothing left of a previous binding.
        return current with
        {
            Phase = DatasetPhase.NotBound,
            Runtimes = null,
            Mounts = null,
            CacheStates = null,
            Hcfs = null,
            Conditions = null,
        };
    }

    private static ValueList<DatasetCondition> Conditions(DatasetStatus current, ConditionStatus status, string reason, string message, DateTimeOffset now)
    {
        var previous = current.Conditions?.FirstOrDefault(c => c.Type == ReadyCondition);
        if (previous is not null && previous.Status == status && previous.Reason == reason && previous.Message == message)
        {
            return ValueList.Of(previous);
        }

        return ValueList.Of(new DatasetCondition
        {
            Type = ReadyCondition,
            Status = status,
            Reason = reason,
            Message = message,
            LastUpdateTime = now,
            LastTransitionTime = previous?.Status == status ? previous.LastTransitionTime ?? now : now,
        });
    }
}
