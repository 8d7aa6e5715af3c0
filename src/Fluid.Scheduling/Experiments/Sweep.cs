using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Settings;

namespace Fluid.Scheduling.Experiments;

/// <summary>What a sweep runs: trace sizes, seeds, policies and settings.</summary>
public sealed record SweepOptions
{
    /// <summary>Trace sizes (jobs per trace).</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [15, 20, 25, 30];

    /// <summary>Seeds per size: <see cref="FirstSeed"/> .. FirstSeed + Seeds - 1.</summary>
    public int Seeds { get; init; } = 20;

    /// <summary>First seed.</summary>
    public ulong FirstSeed { get; init; } = 1;

    /// <summary>Policies to compare.</summary>
    public IReadOnlyList<string> Policies { get; init; } = Experiment.DefaultPolicies;

    /// <summary>Model and workload settings.</summary>
    public SimulationSettings Settings { get; init; } = new();
}

/// <summary>One policy's makespan and average JCT over the seeds of one trace size.</summary>
/// <param name="Policy">Policy name.</param>
/// <param name="Makespan">Makespan in seconds over seeds.</param>
/// <param name="AverageJct">Average JCT in seconds over seeds.</param>
/// <param name="CacheHitRatio">Cache hit ratio over seeds.</param>
/// <param name="GpuUtilisation">Allocated GPU utilisation over seeds.</param>
public sealed record PolicySummary(string Policy, Summary Makespan, Summary AverageJct, Summary CacheHitRatio, Summary GpuUtilisation);

/// <summary>How much a policy changes makespan and average JCT against a baseline, seed by seed.</summary>
/// <param name="Policy">The policy measured.</param>
/// <param name="Baseline">The baseline it is compared with.</param>
/// <param name="Makespan">Per-seed relative change of makespan, (policy - baseline) / baseline.</param>
/// <param name="AverageJct">Per-seed relative change of average JCT.</param>
/// <param name="MakespanOfMeans">Relative change of the mean makespans.</param>
/// <param name="AverageJctOfMeans">Relative change of the mean average JCTs.</param>
/// <param name="MakespanWins">Seeds where the policy's makespan is lower than the baseline's.</param>
public sealed record Reduction(string Policy, string Baseline, Summary Makespan, Summary AverageJct, double MakespanOfMeans, double AverageJctOfMeans, int MakespanWins);

/// <summary>Results of one trace size.</summary>
/// <param name="Jobs">Jobs per trace.</param>
/// <param name="Policies">Per-policy summaries.</param>
/// <param name="Reductions">Fluid against the baselines.</param>
public sealed record SweepRow(int Jobs, IReadOnlyList<PolicySummary> Policies, IReadOnlyList<Reduction> Reductions);

/// <summary>One simulation of a sweep.</summary>
/// <param name="Jobs">Trace size.</param>
/// <param name="Seed">Trace and tie-break seed.</param>
/// <param name="Policy">Policy name.</param>
/// <param name="MakespanSeconds">Makespan.</param>
/// <param name="AverageJctSeconds">Average JCT.</param>
/// <param name="CacheHitRatio">Cache hit ratio.</param>
/// <param name="GpuUtilisation">Allocated GPU utilisation.</param>
public sealed record SweepRun(int Jobs, ulong Seed, string Policy, double MakespanSeconds, double AverageJctSeconds, double CacheHitRatio, double GpuUtilisation);

/// <summary>Everything a sweep produced.</summary>
/// <param name="Rows">One row per trace size.</param>
/// <param name="Runs">Every simulation.</param>
public sealed record SweepResult(IReadOnlyList<SweepRow> Rows, IReadOnlyList<SweepRun> Runs);

/// <summary>Runs every policy on seeded synthetic traces of several sizes and summarises the outcome.</summary>
public static class Sweep
{
    /// <summary>Pairs (policy, baseline) reported when both are in the sweep.</summary>
    public static IReadOnlyList<(string Policy, string Baseline)> Comparisons { get; } =
        [("fluid", "kubernetes"), ("fluid-hived", "hived"), ("fluid", "hived"), ("hived", "kubernetes")];

    /// <summary>Runs the sweep.</summary>
    public static SweepResult Run(SweepOptions options, PolicyRegistry? registry = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Seeds <= 0)
        {
            throw new ArgumentException($"seeds: must be > 0 (got {options.Seeds})");
        }

        var runs = new List<SweepRun>();
        var rows = new List<SweepRow>();
        var settings = options.Settings with { Simulator = options.Settings.Simulator with { RecordTimeline = false } };
        foreach (var size in options.Sizes)
        {
            var perPolicy = new Dictionary<string, List<SweepRun>>(StringComparer.Ordinal);
            foreach (var p in options.Policies)
            {
                perPolicy[p] = [];
            }

            for (var k = 0; k < options.Seeds; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var seed = options.FirstSeed + (ulong)k;
                var trace = Experiment.Generate(options.Settings, size, seed);
                var results = Experiment.Run(settings, trace, options.Policies, seed, registry);
                for (var i = 0; i < results.Count; i++)
                {
                    var t = results[i].Totals;
                    var run = new SweepRun(size, seed, options.Policies[i], t.MakespanSeconds, t.AverageJctSeconds, t.CacheHitRatio, t.GpuUtilisation);
                    runs.Add(run);
                    perPolicy[options.Policies[i]].Add(run);
                }
            }

            rows.Add(Summarise(size, options.Policies, perPolicy));
        }

        return new SweepResult(rows, runs);
    }

    private static SweepRow Summarise(int size, IReadOnlyList<string> policies, Dictionary<string, List<SweepRun>> perPolicy)
    {
        var summaries = new List<PolicySummary>();
        foreach (var p in policies)
        {
            var r = perPolicy[p];
            summaries.Add(new PolicySummary(
                p,
                Summary.Of(r.Select(x => x.MakespanSeconds).ToArray()),
                Summary.Of(r.Select(x => x.AverageJctSeconds).ToArray()),
                Summary.Of(r.Select(x => x.CacheHitRatio).ToArray()),
                Summary.Of(r.Select(x => x.GpuUtilisation).ToArray())));
        }

        var reductions = new List<Reduction>();
        foreach (var (policy, baseline) in Comparisons)
        {
            if (!perPolicy.TryGetValue(policy, out var a) || !perPolicy.TryGetValue(baseline, out var b))
            {
                continue;
            }

            var makespan = new double[a.Count];
            var jct = new double[a.Count];
            var wins = 0;
            for (var i = 0; i < a.Count; i++)
            {
                makespan[i] = (a[i].MakespanSeconds - b[i].MakespanSeconds) / b[i].MakespanSeconds;
                jct[i] = (a[i].AverageJctSeconds - b[i].AverageJctSeconds) / b[i].AverageJctSeconds;
                if (a[i].MakespanSeconds < b[i].MakespanSeconds)
                {
                    wins++;
                }
            }

            var ma = a.Average(x => x.MakespanSeconds);
            var mb = b.Average(x => x.MakespanSeconds);
            var ja = a.Average(x => x.AverageJctSeconds);
            var jb = b.Average(x => x.AverageJctSeconds);
            reductions.Add(new Reduction(policy, baseline, Summary.Of(makespan), Summary.Of(jct), (ma - mb) / mb, (ja - jb) / jb, wins));
        }

        return new SweepRow(size, summaries, reductions);
    }
}
