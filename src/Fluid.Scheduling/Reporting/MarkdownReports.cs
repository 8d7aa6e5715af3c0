using System.Text;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Settings;

namespace Fluid.Scheduling.Reporting;

/// <summary>Markdown tables for docs/scheduling.md.</summary>
public static class MarkdownReports
{
    /// <summary>Makespan and average JCT per size and policy, then Fluid's changes against the baselines.</summary>
    public static string Sweep(SweepResult sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var sb = new StringBuilder();
        sb.Append("| jobs | policy | makespan h (mean ± sd) | avg JCT h (mean ± sd) | cache hit | GPU util |\n");
        sb.Append("|---:|---|---:|---:|---:|---:|\n");
        foreach (var row in sweep.Rows)
        {
            foreach (var p in row.Policies)
            {
                sb.Append("| ").Append(row.Jobs).Append(" | ").Append(p.Policy).Append(" | ")
                  .Append(TextReports.MeanSd(p.Makespan, 3600)).Append(" | ").Append(TextReports.MeanSd(p.AverageJct, 3600)).Append(" | ")
                  .Append(Format.Percent(p.CacheHitRatio.Mean)).Append(" | ").Append(Format.Percent(p.GpuUtilisation.Mean)).Append(" |\n");
            }
        }

        sb.Append('\n');
        sb.Append("| jobs | policy vs baseline | makespan change (mean ± sd of per-seed change) | 95% CI of mean | avg JCT change (mean ± sd) | 95% CI of mean | change of the means (makespan / JCT) | seeds with lower makespan |\n");
        sb.Append("|---:|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var row in sweep.Rows)
        {
            foreach (var r in row.Reductions)
            {
                sb.Append("| ").Append(row.Jobs).Append(" | ").Append(r.Policy).Append(" vs ").Append(r.Baseline).Append(" | ")
                  .Append(TextReports.ChangeSd(r.Makespan)).Append(" | ").Append(Interval(r.Makespan)).Append(" | ")
                  .Append(TextReports.ChangeSd(r.AverageJct)).Append(" | ").Append(Interval(r.AverageJct)).Append(" | ")
                  .Append(Format.Change(r.MakespanOfMeans)).Append(" / ").Append(Format.Change(r.AverageJctOfMeans)).Append(" | ")
                  .Append(r.MakespanWins).Append('/').Append(r.Makespan.Count).Append(" |\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>Normal-approximation 95% confidence interval of a mean change.</summary>
    public static string Interval(Summary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var half = s.Count > 1 ? 1.96 * s.StdDev / Math.Sqrt(s.Count) : 0;
        return $"[{Format.Change(s.Mean - half)}, {Format.Change(s.Mean + half)}]";
    }

    /// <summary>One row per case: Fluid's changes against Kubernetes and against HiveD.</summary>
    public static string Sensitivity(SensitivityResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        sb.Append("| parameter | value | fluid vs kubernetes: makespan | avg JCT | fluid-hived vs hived: makespan | avg JCT | cache hit k8s → fluid |\n");
        sb.Append("|---|---|---:|---:|---:|---:|---:|\n");
        foreach (var c in result.Cases)
        {
            sb.Append("| ").Append(c.Parameter).Append(" | ").Append(c.Value).Append(" | ");
            Pair(sb, c, "fluid", "kubernetes");
            Pair(sb, c, "fluid-hived", "hived");
            var k8s = c.Policies.FirstOrDefault(p => p.Policy == "kubernetes");
            var fluid = c.Policies.FirstOrDefault(p => p.Policy == "fluid");
            sb.Append(k8s is null || fluid is null ? "–" : $"{Format.Percent(k8s.CacheHitRatio.Mean)} → {Format.Percent(fluid.CacheHitRatio.Mean)}").Append(" |\n");
        }

        return sb.ToString();

        static void Pair(StringBuilder sb, SensitivityCase c, string policy, string baseline)
        {
            var r = c.Reductions.FirstOrDefault(x => x.Policy == policy && x.Baseline == baseline);
            if (r is null)
            {
                sb.Append("– | – | ");
                return;
            }

            sb.Append(TextReports.ChangeSd(r.Makespan)).Append(" | ").Append(TextReports.ChangeSd(r.AverageJct)).Append(" | ");
        }
    }

    /// <summary>The parameter table: key, default, unit, meaning and source.</summary>
    public static string Parameters(SimulationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var sb = new StringBuilder();
        sb.Append("| parameter | default | unit | meaning | source of the default |\n");
        sb.Append("|---|---:|---|---|---|\n");
        foreach (var p in ParameterCatalog.Parameters)
        {
            sb.Append("| `").Append(p.Key).Append("` | ").Append(p.Get(settings)).Append(" | ").Append(p.Unit.Replace("|", "\\|", StringComparison.Ordinal)).Append(" | ")
              .Append(p.Description).Append(" | ").Append(p.Source).Append(" |\n");
        }

        return sb.ToString();
    }
}
