using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Reporting;

/// <summary>Terminal tables of simulation and sweep results.</summary>
public static class TextReports
{
    /// <summary>One row of totals per policy.</summary>
    public static string Totals(IReadOnlyList<SimulationResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var table = new TextTable("policy", "makespan h", "avg JCT h", "p95 JCT h", "avg queue h", "GPU util", "busy GPU", "cache hit", "local hit", "evictions");
        foreach (var r in results)
        {
            var t = r.Totals;
            table.Add(r.Policy, Format.Hours(t.MakespanSeconds), Format.Hours(t.AverageJctSeconds), Format.Hours(t.P95JctSeconds), Format.Hours(t.AverageQueueSeconds),
                Format.Percent(t.GpuUtilisation), Format.Percent(t.BusyGpuUtilisation), Format.Percent(t.CacheHitRatio), Format.Percent(t.LocalHitRatio), Format.Number(t.Evictions, 0));
        }

        return table.ToString();
    }

    /// <summary>Per-job rows of one result.</summary>
    public static string Jobs(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var table = new TextTable("job", "dataset", "GPUs", "nodes", "arrival h", "start h", "finish h", "JCT h", "ideal h", "local GB", "remote GB", "store GB");
        foreach (var j in result.Jobs)
        {
            table.Add(j.Id, j.Dataset, Format.Number(j.Gpus, 0), j.Nodes, Format.Hours(j.ArrivalSeconds), Format.Hours(j.StartSeconds), Format.Hours(j.FinishSeconds),
                Format.Hours(j.JctSeconds), Format.Hours(j.IdealSeconds), Format.GB(j.LocalCacheBytes), Format.GB(j.RemoteCacheBytes), Format.GB(j.StoreBytes));
        }

        return table.ToString();
    }

    /// <summary>Mean ± standard deviation per trace size and policy, then Fluid's reductions.</summary>
    public static string Sweep(SweepResult sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var table = new TextTable("jobs", "policy", "makespan h (mean ± sd)", "avg JCT h (mean ± sd)", "cache hit", "GPU util");
        foreach (var row in sweep.Rows)
        {
            foreach (var p in row.Policies)
            {
                table.Add(Format.Number(row.Jobs, 0), p.Policy, MeanSd(p.Makespan, 3600), MeanSd(p.AverageJct, 3600), Format.Percent(p.CacheHitRatio.Mean), Format.Percent(p.GpuUtilisation.Mean));
            }
        }

        var reductions = new TextTable("jobs", "policy vs baseline", "makespan change (mean ± sd)", "avg JCT change (mean ± sd)", "change of means (makespan / JCT)", "makespan wins");
        foreach (var row in sweep.Rows)
        {
            foreach (var r in row.Reductions)
            {
                reductions.Add(Format.Number(row.Jobs, 0), $"{r.Policy} vs {r.Baseline}", ChangeSd(r.Makespan), ChangeSd(r.AverageJct),
                    $"{Format.Change(r.MakespanOfMeans)} / {Format.Change(r.AverageJctOfMeans)}", $"{r.MakespanWins}/{r.Makespan.Count}");
            }
        }

        return table + "\n" + reductions;
    }

    /// <summary>"mean ± sd" of values divided by <paramref name="scale"/>.</summary>
    public static string MeanSd(Summary s, double scale)
    {
        ArgumentNullException.ThrowIfNull(s);
        return $"{(s.Mean / scale).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} ± {(s.StdDev / scale).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>"+x.x% ± y.y%" of a relative change.</summary>
    public static string ChangeSd(Summary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return $"{Format.Change(s.Mean)} ± {Format.Percent(s.StdDev)}";
    }
}
