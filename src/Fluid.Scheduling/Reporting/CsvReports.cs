using System.Text;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Reporting;

/// <summary>CSV outputs for scripts (seconds, bytes and ratios, invariant culture, '\n' line ends).</summary>
public static class CsvReports
{
    /// <summary>One row of totals per policy.</summary>
    public static string Totals(IReadOnlyList<SimulationResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder("policy,jobs,makespan_s,avg_jct_s,p95_jct_s,avg_queue_s,gpu_utilisation,busy_gpu_utilisation,cache_hit_ratio,local_hit_ratio,evictions\n");
        foreach (var r in results)
        {
            var t = r.Totals;
            Row(sb, r.Policy, N(t.Jobs), N(t.MakespanSeconds), N(t.AverageJctSeconds), N(t.P95JctSeconds), N(t.AverageQueueSeconds),
                N(t.GpuUtilisation), N(t.BusyGpuUtilisation), N(t.CacheHitRatio), N(t.LocalHitRatio), N(t.Evictions));
        }

        return sb.ToString();
    }

    /// <summary>One row per policy and job.</summary>
    public static string Jobs(IReadOnlyList<SimulationResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder("policy,job_id,dataset,gpus,workers,nodes,arrival_s,start_s,finish_s,jct_s,queue_s,ideal_s,local_cache_bytes,remote_cache_bytes,store_bytes\n");
        foreach (var r in results)
        {
            foreach (var j in r.Jobs)
            {
                Row(sb, r.Policy, j.Id, j.Dataset, N(j.Gpus), N(j.Workers), j.Nodes, N(j.ArrivalSeconds), N(j.StartSeconds), N(j.FinishSeconds),
                    N(j.JctSeconds), N(j.QueueSeconds), N(j.IdealSeconds), N(j.LocalCacheBytes), N(j.RemoteCacheBytes), N(j.StoreBytes));
            }
        }

        return sb.ToString();
    }

    /// <summary>Every simulation of a sweep.</summary>
    public static string SweepRuns(SweepResult sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var sb = new StringBuilder("jobs,seed,policy,makespan_s,avg_jct_s,cache_hit_ratio,gpu_utilisation\n");
        foreach (var r in sweep.Runs)
        {
            Row(sb, N(r.Jobs), r.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Policy, N(r.MakespanSeconds), N(r.AverageJctSeconds), N(r.CacheHitRatio), N(r.GpuUtilisation));
        }

        return sb.ToString();
    }

    /// <summary>Per-size summaries and reductions of a sweep.</summary>
    public static string SweepSummary(SweepResult sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var sb = new StringBuilder("jobs,policy,baseline,metric,mean,sd,min,max,n\n");
        foreach (var row in sweep.Rows)
        {
            foreach (var p in row.Policies)
            {
                Stat(sb, row.Jobs, p.Policy, string.Empty, "makespan_s", p.Makespan);
                Stat(sb, row.Jobs, p.Policy, string.Empty, "avg_jct_s", p.AverageJct);
                Stat(sb, row.Jobs, p.Policy, string.Empty, "cache_hit_ratio", p.CacheHitRatio);
                Stat(sb, row.Jobs, p.Policy, string.Empty, "gpu_utilisation", p.GpuUtilisation);
            }

            foreach (var r in row.Reductions)
            {
                Stat(sb, row.Jobs, r.Policy, r.Baseline, "makespan_change", r.Makespan);
                Stat(sb, row.Jobs, r.Policy, r.Baseline, "avg_jct_change", r.AverageJct);
            }
        }

        return sb.ToString();
    }

    /// <summary>One row per sensitivity case and comparison.</summary>
    public static string Sensitivity(SensitivityResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder("parameter,value,policy,baseline,makespan_change_mean,makespan_change_sd,avg_jct_change_mean,avg_jct_change_sd,makespan_wins,n\n");
        foreach (var c in result.Cases)
        {
            foreach (var r in c.Reductions)
            {
                Row(sb, c.Parameter, c.Value, r.Policy, r.Baseline, N(r.Makespan.Mean), N(r.Makespan.StdDev), N(r.AverageJct.Mean), N(r.AverageJct.StdDev), N(r.MakespanWins), N(r.Makespan.Count));
            }
        }

        return sb.ToString();
    }

    private static void Stat(StringBuilder sb, int jobs, string policy, string baseline, string metric, Summary s) =>
        Row(sb, N(jobs), policy, baseline, metric, N(s.Mean), N(s.StdDev), N(s.Min), N(s.Max), N(s.Count));

    private static void Row(StringBuilder sb, params string[] cells)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            var c = cells[i];
            sb.Append(c.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + c.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : c);
        }

        sb.Append('\n');
    }

    private static string N(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
