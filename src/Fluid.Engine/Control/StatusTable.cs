namespace Fluid.Engine.Control;

/// <summary>Formats dataset status the way <c>kubectl get dataset</c> prints Fluid's columns.</summary>
public static class StatusTable
{
    /// <summary>
    /// kubectl-style columns: Fluid's dataset columns, then hit ratio, throughput and the mount point; a dataset
    /// that runs on cache workers is followed by one indented row per worker (its share, state and address).
    /// </summary>
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
            foreach (var w in r.Workers ?? [])
            {
                // One row per cache worker under its dataset; the last column says where it listens.
                var missing = w.Error is null ? "-" : "?";
                rows.Add([
                    "  " + w.Id,
                    string.Empty,
                    w.Error is null ? Units.Bytes(w.Cached) : missing,
                    w.Error is null ? Units.Bytes(w.CacheCapacity) : missing,
                    string.Empty,
                    w.State,
                    w.Error is null ? Units.Percent(w.CacheHitRatio * 100) : missing,
                    w.Error is null ? Units.Rate(w.Throughput) : missing,
                    w.Error is null ? w.Address : $"{w.Address} ({w.Error})",
                ]);
            }
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
