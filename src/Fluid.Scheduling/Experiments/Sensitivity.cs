using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Settings;

namespace Fluid.Scheduling.Experiments;

/// <summary>A parameter and the values to try for it, one at a time, with every other parameter at its default.</summary>
/// <param name="Parameter">Key in <see cref="ParameterCatalog"/>.</param>
/// <param name="Values">Values to try.</param>
public sealed record SensitivityCaseSpec(string Parameter, IReadOnlyList<string> Values);

/// <summary>The sweep of one parameter value.</summary>
/// <param name="Parameter">Parameter key, or "baseline".</param>
/// <param name="Value">Value tried (or "defaults").</param>
/// <param name="Policies">Per-policy summaries.</param>
/// <param name="Reductions">Fluid against the baselines.</param>
public sealed record SensitivityCase(string Parameter, string Value, IReadOnlyList<PolicySummary> Policies, IReadOnlyList<Reduction> Reductions);

/// <summary>A one-at-a-time sensitivity analysis.</summary>
/// <param name="Jobs">Jobs per trace.</param>
/// <param name="Seeds">Seeds per case.</param>
/// <param name="FirstSeed">First seed.</param>
/// <param name="Cases">The baseline first, then one case per parameter value.</param>
public sealed record SensitivityResult(int Jobs, int Seeds, ulong FirstSeed, IReadOnlyList<SensitivityCase> Cases);

/// <summary>Which parameters Fluid's gain depends on: rerun the sweep with one parameter changed at a time.</summary>
public static class Sensitivity
{
    /// <summary>The cases of the documented sensitivity table.</summary>
    public static IReadOnlyList<SensitivityCaseSpec> DefaultCases { get; } =
    [
        new("workload.store-mbps", ["100", "1000", "3000"]),
        new("cluster.cache-gib-per-node", ["50", "400", "1000"]),
        new("cluster.network-gbps", ["10", "100"]),
        new("cluster.cache-read-gbps", ["1"]),
        new("workload.datasets", ["1", "2", "8"]),
        new("workload.dataset-max-gb", ["300"]),
        new("workload.popularity-skew", ["0"]),
        new("workload.arrival", ["poisson"]),
        new("workload.duration-median-h", ["0.25", "4"]),
        new("workload.duration-sigma", ["0.3", "1.5"]),
        new("workload.one-gpu-share", ["0.8"]),
        new("cluster.nodes", ["8"]),
        new("policy.fluid.age-bound-h", ["1", "4", "inf"]),
        new("policy.fluid.cached-threshold", ["0.1", "0.9"]),
        new("policy.hived.vcs", ["2"]),
    ];

    /// <summary>Runs the baseline and every case on traces of <paramref name="jobs"/> jobs.</summary>
    public static SensitivityResult Run(SimulationSettings settings, int jobs, int seeds, ulong firstSeed, IReadOnlyList<SensitivityCaseSpec> cases, IReadOnlyList<string> policies, PolicyRegistry? registry = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(cases);

        // Resolve every case first so a typo fails before minutes of simulation.
        var resolved = new List<(string Parameter, string Value, SimulationSettings Settings)> { ("baseline", "defaults", settings) };
        foreach (var c in cases)
        {
            foreach (var v in c.Values)
            {
                resolved.Add((c.Parameter, v, ParameterCatalog.Apply(settings, [$"{c.Parameter}={v}"])));
            }
        }

        var results = new List<SensitivityCase>();
        foreach (var (parameter, value, s) in resolved)
        {
            var sweep = Sweep.Run(new SweepOptions { Sizes = [jobs], Seeds = seeds, FirstSeed = firstSeed, Policies = policies, Settings = s }, registry, cancellationToken);
            var row = sweep.Rows[0];
            results.Add(new SensitivityCase(parameter, value, row.Policies, row.Reductions));
        }

        return new SensitivityResult(jobs, seeds, firstSeed, results);
    }
}
