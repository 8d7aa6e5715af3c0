using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Settings;

/// <summary>Everything a simulation experiment depends on besides the trace size and seed.</summary>
public sealed record SimulationSettings
{
    /// <summary>Cluster shape.</summary>
    public ClusterParameters Cluster { get; init; } = new();

    /// <summary>Synthetic workload distributions.</summary>
    public WorkloadParameters Workload { get; init; } = new();

    /// <summary>Policy knobs.</summary>
    public PolicyParameters Policy { get; init; } = new();

    /// <summary>Simulator knobs.</summary>
    public SimulatorOptions Simulator { get; init; } = new();
}
