using System.Globalization;
using System.Text;
using Fluid.Scheduling.Model;
using Fluid.Scheduling.Settings;

namespace Fluid.Scheduling.Traces;

/// <summary>
/// Reads and writes traces as CSV, one job per row, so that real traces can be replayed. Columns (any order,
/// header required; '#' lines are comments):
/// job_id, gpus, dataset, dataset_gb, epochs, sample_ms are required; arrival_s (0), workers (1),
/// dataset_files (size / workload.sample-kb), store_mbps (workload.store-mbps), cpu (gpus x cpu-per-gpu),
/// memory_gib (gpus x memory-gib-per-gpu), priority (0) and vc (default) are optional. A dataset's
/// dataset_gb, dataset_files and store_mbps must agree on every row that names it.
/// </summary>
public static class TraceCsv
{
    /// <summary>Column names in the order <see cref="Write"/> uses.</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["job_id", "arrival_s", "gpus", "workers", "dataset", "dataset_gb", "dataset_files", "store_mbps", "epochs", "sample_ms", "cpu", "memory_gib", "priority", "vc"];

    private static readonly string[] Required = ["job_id", "gpus", "dataset", "dataset_gb", "epochs", "sample_ms"];

    /// <summary>Writes a trace; reading it back gives the same trace.</summary>
    public static string Write(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var datasets = trace.Datasets.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.Append(string.Join(',', Columns)).Append('\n');
        foreach (var j in trace.Jobs)
        {
            var d = datasets[j.Dataset];
            sb.Append(Escape(j.Id)).Append(',')
              .Append(N(j.ArrivalSeconds)).Append(',')
              .Append(N(j.Gpus)).Append(',')
              .Append(N(j.Workers)).Append(',')
              .Append(Escape(j.Dataset)).Append(',')
              .Append(N(d.SizeBytes / Units.GB)).Append(',')
              .Append(N(d.FileCount)).Append(',')
              .Append(N(d.StoreBytesPerSecond / Units.MB)).Append(',')
              .Append(N(j.Epochs)).Append(',')
              .Append(N(j.SampleSeconds * 1000)).Append(',')
              .Append(N(j.CpuCores)).Append(',')
              .Append(N(j.MemoryBytes / Units.GiB)).Append(',')
              .Append(N(j.Priority)).Append(',')
              .Append(Escape(j.VirtualCluster)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Reads a trace; defaults for optional columns come from <paramref name="defaults"/>.</summary>
    /// <exception cref="FormatException">The CSV is malformed; the message lists every problem with its line and column.</exception>
    public static Trace Read(TextReader reader, string source, WorkloadParameters defaults)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(defaults);
        var problems = new List<string>();
        Dictionary<string, int>? header = null;
        var datasets = new List<DatasetSpec>();
        var datasetRows = new Dictionary<string, int>(StringComparer.Ordinal);
        var jobs = new List<JobSpec>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line.TrimStart().StartsWith('#') || line.Trim().Length == 0)
            {
                continue;
            }

            var cells = Split(line);
            var where = $"{source}:{lineNumber}";
            if (header is null)
            {
                header = ReadHeader(cells, where, problems);
                if (header is null)
                {
                    break;
                }

                continue;
            }

            if (cells.Count != header.Count)
            {
                problems.Add($"{where}: {cells.Count} cells but the header has {header.Count} columns");
                continue;
            }

            ReadRow(cells, header, where, defaults, problems, datasets, datasetRows, jobs);
        }

        if (header is null && problems.Count == 0)
        {
            problems.Add($"{source}: no header line (expected columns: {string.Join(',', Columns)})");
        }
        else if (jobs.Count == 0 && problems.Count == 0)
        {
            problems.Add($"{source}: no jobs");
        }

        if (problems.Count > 0)
        {
            throw new FormatException(string.Join(Environment.NewLine, problems));
        }

        return new Trace { Datasets = datasets, Jobs = jobs };
    }

    private static Dictionary<string, int>? ReadHeader(List<string> cells, string where, List<string> problems)
    {
        var header = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < cells.Count; i++)
        {
            var name = cells[i].Trim().ToLowerInvariant();
            if (!Columns.Contains(name))
            {
                problems.Add($"{where}: unknown column '{cells[i]}' (known: {string.Join(',', Columns)})");
            }
            else if (!header.TryAdd(name, i))
            {
                problems.Add($"{where}: column '{name}' appears twice");
            }
        }

        foreach (var required in Required)
        {
            if (!header.ContainsKey(required))
            {
                problems.Add($"{where}: required column '{required}' is missing");
            }
        }

        return problems.Count == 0 ? header : null;
    }

    private static void ReadRow(List<string> cells, Dictionary<string, int> header, string where, WorkloadParameters defaults, List<string> problems,
        List<DatasetSpec> datasets, Dictionary<string, int> datasetRows, List<JobSpec> jobs)
    {
        var before = problems.Count;
        string Cell(string column) => header.TryGetValue(column, out var i) ? cells[i].Trim() : string.Empty;

        double Number(string column, double? fallback, bool positive)
        {
            var text = Cell(column);
            if (text.Length == 0)
            {
                if (fallback is { } f)
                {
                    return f;
                }

                problems.Add($"{where} column '{column}': a value is required");
                return 0;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || double.IsNaN(v) || double.IsInfinity(v)
                || (positive ? v <= 0 : v < 0))
            {
                problems.Add($"{where} column '{column}': '{text}' is not a {(positive ? "positive" : "non-negative")} number");
                return 0;
            }

            return v;
        }

        int Integer(string column, int? fallback, bool positive)
        {
            var text = Cell(column);
            if (text.Length == 0 && fallback is { } f)
            {
                return f;
            }

            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || (positive && v <= 0))
            {
                problems.Add($"{where} column '{column}': '{text}' is not a {(positive ? "positive " : string.Empty)}integer");
                return 0;
            }

            return v;
        }

        var id = Cell("job_id");
        if (id.Length == 0)
        {
            problems.Add($"{where} column 'job_id': a value is required");
        }

        var dataset = Cell("dataset");
        if (dataset.Length == 0)
        {
            problems.Add($"{where} column 'dataset': a value is required");
        }

        var gpus = Integer("gpus", null, positive: true);
        var workers = Integer("workers", 1, positive: true);
        var sizeBytes = Number("dataset_gb", null, positive: true) * Units.GB;
        var files = Cell("dataset_files").Length == 0
            ? Math.Max(1, (long)Math.Round(sizeBytes / (defaults.SampleKB * Units.KB)))
            : (long)Number("dataset_files", null, positive: true);
        var store = Number("store_mbps", defaults.StoreMBps, positive: true) * Units.MB;
        var job = new JobSpec
        {
            Id = id,
            ArrivalSeconds = Number("arrival_s", 0, positive: false),
            Gpus = gpus,
            Workers = workers,
            Dataset = dataset,
            Epochs = Number("epochs", null, positive: true),
            SampleSeconds = Number("sample_ms", null, positive: true) / 1000,
            CpuCores = Number("cpu", gpus * defaults.CpuPerGpu, positive: false),
            MemoryBytes = Number("memory_gib", gpus * defaults.MemoryGiBPerGpu, positive: false) * Units.GiB,
            Priority = Integer("priority", 0, positive: false),
            VirtualCluster = Cell("vc").Length == 0 ? "default" : Cell("vc"),
        };
        if (problems.Count > before)
        {
            return;
        }

        var spec = new DatasetSpec { Name = dataset, SizeBytes = sizeBytes, FileCount = files, StoreBytesPerSecond = store };
        if (datasetRows.TryGetValue(dataset, out var index))
        {
            var known = datasets[index];
            if (!Close(known.SizeBytes, spec.SizeBytes) || known.FileCount != spec.FileCount || !Close(known.StoreBytesPerSecond, spec.StoreBytesPerSecond))
            {
                problems.Add($"{where}: dataset '{dataset}' has a different dataset_gb, dataset_files or store_mbps than on an earlier row");
                return;
            }
        }
        else
        {
            datasetRows[dataset] = datasets.Count;
            datasets.Add(spec);
        }

        jobs.Add(job);
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) <= 1e-9 * Math.Max(Math.Abs(a), Math.Abs(b));

    private static List<string> Split(string line)
    {
        var cells = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    sb.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    sb.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                cells.Add(sb.ToString());
                sb.Clear();
            }
            else
            {
                sb.Append(ch);
            }
        }

        cells.Add(sb.ToString());
        return cells;
    }

    private static string Escape(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static string N(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
