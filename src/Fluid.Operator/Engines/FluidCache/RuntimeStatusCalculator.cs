using Fluid.Api.Core;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Runtimes;
using Fluid.Operator.Naming;
using k8s.Models;

namespace Fluid.Operator.Engines.FluidCache;

/// <summary>What the runtime's status is computed from.</summary>
/// <param name="Names">The runtime's names.</param>
/// <param name="DesiredWorkers">spec.replicas (defaulted).</param>
/// <param name="Workers">The worker StatefulSet as observed, or null before it exists.</param>
/// <param name="Fuse">The FUSE DaemonSet as observed, or null before it exists.</param>
/// <param name="Mounts">The Dataset's mounts (Fluid copies them into the runtime status).</param>
/// <param name="CacheStates">Cache figures from the workers, or null to keep the previous ones.</param>
/// <param name="Created">The runtime's creation time (for setupDuration).</param>
/// <param name="Now">The time of this computation.</param>
public sealed record RuntimeObservation(
    RuntimeNames Names,
    int DesiredWorkers,
    V1StatefulSet? Workers,
    V1DaemonSet? Fuse,
    ValueList<Mount>? Mounts,
    ValueMap<string>? CacheStates,
    DateTimeOffset Created,
    DateTimeOffset Now);

/// <summary>Computes a FluidCacheRuntime's status with Fluid's fields and condition names: a pure function.</summary>
public static class RuntimeStatusCalculator
{
    public const string WorkersInitialized = "WorkersInitialized";
    public const string WorkersReady = "WorkersReady";
    public const string FusesInitialized = "FusesInitialized";
    public const string FusesReady = "FusesReady";

    /// <summary>The status for <paramref name="observed"/>, keeping condition times when a condition did not change.</summary>
    public static RuntimeStatus Compute(RuntimeStatus? previous, RuntimeObservation observed)
    {
        ArgumentNullException.ThrowIfNull(observed);
        previous ??= new RuntimeStatus();
        var workers = observed.Workers?.Status;
        int desired = observed.DesiredWorkers;
        int current = workers?.Replicas ?? 0;
        int ready = workers?.ReadyReplicas ?? 0;
        int available = workers?.AvailableReplicas ?? 0;
        var workerPhase = PhaseOf(desired, ready);

        var fuse = observed.Fuse?.Status;
        int fuseDesired = fuse?.DesiredNumberScheduled ?? 0;
        int fuseReady = fuse?.NumberReady ?? 0;
        // No node needs FUSE until a pod uses the PVC there, so none desired counts as ready.
        var fusePhase = PhaseOf(fuseDesired, fuseReady);

        var conditions = new List<RuntimeCondition>();
        if (observed.Workers is not null)
        {
            conditions.Add(Condition(previous, WorkersInitialized, ConditionStatus.True, "Workers are initialized", "The workers are initialized.", observed.Now));
            conditions.Add(workerPhase switch
            {
                RuntimePhase.Ready => Condition(previous, WorkersReady, ConditionStatus.True, "Workers are ready", "The workers are ready.", observed.Now),
                RuntimePhase.PartialReady => Condition(previous, WorkersReady, ConditionStatus.True, "Workers are ready", "The workers are partially ready.", observed.Now),
                _ => Condition(previous, WorkersReady, ConditionStatus.False, "Workers are ready", "The workers are not ready.", observed.Now),
            });
        }

        if (observed.Fuse is not null)
        {
            conditions.Add(Condition(previous, FusesInitialized, ConditionStatus.True, "Fuses are initialized", "The fuses are initialized.", observed.Now));
            conditions.Add(fusePhase == RuntimePhase.NotReady
                ? Condition(previous, FusesReady, ConditionStatus.False, "Fuses are ready", "The fuses are not ready.", observed.Now)
                : Condition(previous, FusesReady, ConditionStatus.True, "Fuses are ready", "The fuses are ready.", observed.Now));
        }

        bool up = observed.Workers is not null && workerPhase != RuntimePhase.NotReady;
        return previous with
        {
            ValueFile = observed.Names.ConfigMap,
            WorkerPhase = observed.Workers is null ? RuntimePhase.NotReady : workerPhase,
            DesiredWorkerNumberScheduled = desired,
            CurrentWorkerNumberScheduled = current,
            WorkerNumberReady = ready,
            WorkerNumberAvailable = available,
            WorkerNumberUnavailable = Math.Max(0, current - available),
            FusePhase = observed.Fuse is null ? RuntimePhase.NotReady : fusePhase,
            DesiredFuseNumberScheduled = fuseDesired,
            CurrentFuseNumberScheduled = fuse?.CurrentNumberScheduled ?? 0,
            FuseNumberReady = fuseReady,
            FuseNumberAvailable = fuse?.NumberAvailable ?? 0,
            FuseNumberUnavailable = fuse?.NumberUnavailable ?? 0,
            SetupDuration = previous.SetupDuration ?? (up ? Units.Duration(observed.Now - observed.Created) : null),
            Conditions = conditions.Count > 0 ? new ValueList<RuntimeCondition>(conditions) : previous.Conditions,
            CacheStates = observed.CacheStates ?? previous.CacheStates,
            Selector = observed.Names.WorkerSelectorString,
            Mounts = observed.Mounts,
        };
    }

    /// <summary>Fluid's phase rule: all desired ready is Ready, some is PartialReady, none is NotReady; none desired is Ready.</summary>
    public static RuntimePhase PhaseOf(int desired, int ready) =>
        desired <= 0 || ready >= desired ? RuntimePhase.Ready : ready > 0 ? RuntimePhase.PartialReady : RuntimePhase.NotReady;

    private static RuntimeCondition Condition(RuntimeStatus previous, string type, ConditionStatus status, string reason, string message, DateTimeOffset now)
    {
        var old = previous.Conditions?.FirstOrDefault(c => c.Type == type);
        if (old is not null && old.Status == status && old.Reason == reason && old.Message == message)
        {
            return old;
        }

        return new RuntimeCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastProbeTime = now,
            LastTransitionTime = old?.Status == status ? old.LastTransitionTime ?? now : now,
        };
    }
}
