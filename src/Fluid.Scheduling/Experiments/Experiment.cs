using Fluid.Scheduling.Model;
using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Simulation;
using Fluid.Scheduling.Traces;

namespace Fluid.Scheduling.Experiments;

/// <summary>Runs several policies on the same trace and cluster.</summary>
public static class Experiment
{
    /// <summary>The policies compared by default.</summary>
    public static IReadOnlyList<string> DefaultPolicies { get; } = ["kubernetes", "hived", "fluid", "fluid-hived"];

    /// <summary>Generates the synthetic trace of <paramref name="jobs"/> jobs for <paramref name="seed"/>.</summary>
    public static Trace Generate(SimulationSettings settings, int jobs, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return SyntheticTraceGenerator.Generate(jobs, seed, settings.Workload);
    }

    /// <summary>Simulates each policy on <paramref name="trace"/>; the policy tie-break seed is <paramref name="seed"/>.</summary>
    public static IReadOnlyList<SimulationResult> Run(SimulationSettings settings, Trace trace, IReadOnlyList<string> policies, ulong seed, PolicyRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(policies);
        registry ??= PolicyRegistry.Default;
        var cluster = settings.Cluster.Build();
        var environment = new PolicyEnvironment(cluster, settings.Policy);
        var options = settings.Simulator with { Seed = seed };
        var results = new SimulationResult[policies.Count];
        for (var i = 0; i < policies.Count; i++)
        {
            var policy = registry.Create(policies[i], environment);
            results[i] = Simulator.Run(cluster, trace, policy, options);
        }

        return results;
    }
}
