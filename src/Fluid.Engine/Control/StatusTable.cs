namespace Fluid.Engine.Control;

/// <summary>Formats dataset status the way <c>kubectl get dataset</c> prints Fluid's columns.</summary>
public static class StatusTable
{
    /// <summary>kubectl-style columns: Fluid's dataset columns, then hit ratio, throughput and the mount point.</summary>
    public static string Format(IReadOnlyList<DatasetStatusReport> reports)
    {
        string[] header = ["NAME", "UFS TOTAL SIZE", "CACHED", "CACHE CAPACITY", "CACHED PERCENTAGE", "PHASE", "HIT RATIO", "THROUGHPUT", "MOUNTED AT"];
        var rows = new List<string[]> { header };
        foreach (var r in reports)
        {
            rows.Add([
                r.Id,
                r.UfsTotal is { } total ? Units.Bytes(total) : r.Totals == "walking" ? "(walking)" : "-",
                Units.Bytes(r.Cached),
                Units.Bytes(r.CacheCapacity),
                r.CachedPercentage is { } percentage ? Units.Percent(percentage) : "-",
                r.Phase,
                Units.Percent(r.CacheHitRatio * 100),
                Units.Rate(r.ReadThroughput),
                r.MountPoint ?? "-",
            ]);
        }

        var widths = new int[header.Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        var text = new System.Text.StringBuilder();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                text.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 3));
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
