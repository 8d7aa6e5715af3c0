using System.CommandLine;
using System.Globalization;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Model;
using Fluid.Scheduling.Reporting;
using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Simulation;
using Fluid.Scheduling.Traces;

namespace Fluid.Cli.Commands;

/// <summary>`fluid sim`: simulates scheduling policies on a GPU cluster trace (see docs/scheduling.md).</summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var command = new Command("sim", "Simulate scheduling policies (kubernetes, hived, fluid, fluid-hived) on a synthetic or CSV trace.");
        var jobs = SimOptions.Jobs();
        var seed = SimOptions.Seed();
        var trace = new Option<FileInfo?>("--trace") { Description = "Replay this CSV trace instead of a synthetic one (columns: docs/scheduling.md)." };
        var policies = SimOptions.Policies();
        var set = SimOptions.Set();
        var output = SimOptions.Output();
        var format = new Option<string>("--format") { Description = "Standard output: table, json or csv.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv");
        var perJob = new Option<bool>("--per-job") { Description = "Also print per-job rows (table format)." };
        command.Options.Add(jobs);
        command.Options.Add(seed);
        command.Options.Add(trace);
        command.Options.Add(policies);
        command.Options.Add(set);
        command.Options.Add(output);
        command.Options.Add(format);
        command.Options.Add(perJob);
        command.SetAction(parse => SimOptions.Guard(parse, () =>
        {
            var settings = ParameterCatalog.Apply(new SimulationSettings(), parse.GetValue(set) ?? []);
            var s = parse.GetValue(seed);
            var file = parse.GetValue(trace);
            Trace t = file is null
                ? Experiment.Generate(settings, parse.GetValue(jobs), s)
                : LoadTrace(file, settings);
            var results = Experiment.Run(settings, t, SimOptions.ParsePolicies(parse.GetValue(policies)), s);
            var stdout = parse.InvocationConfiguration.Output;
            switch (parse.GetValue(format))
            {
                case "json":
                    stdout.Write(JsonReports.Simulation(settings, t, results));
                    break;
                case "csv":
                    stdout.Write(CsvReports.Totals(results));
                    break;
                default:
                    stdout.Write(TextReports.Totals(results));
                    if (parse.GetValue(perJob))
                    {
                        foreach (var r in results)
                        {
                            stdout.Write($"\n{r.Policy}\n");
                            stdout.Write(TextReports.Jobs(r));
                        }
                    }

                    break;
            }

            if (parse.GetValue(output) is { } dir)
            {
                dir.Create();
                File.WriteAllText(Path.Combine(dir.FullName, "results.json"), JsonReports.Simulation(settings, t, results));
                File.WriteAllText(Path.Combine(dir.FullName, "totals.csv"), CsvReports.Totals(results));
                File.WriteAllText(Path.Combine(dir.FullName, "jobs.csv"), CsvReports.Jobs(results));
                File.WriteAllText(Path.Combine(dir.FullName, "trace.csv"), TraceCsv.Write(t));
                File.WriteAllText(Path.Combine(dir.FullName, "jct-cdf.svg"), SvgCharts.JctCdf(results));
                File.WriteAllText(Path.Combine(dir.FullName, "makespan.svg"), SvgCharts.Makespan(results));
                File.WriteAllText(Path.Combine(dir.FullName, "gpu-utilisation.svg"), SvgCharts.GpuUtilisation(results, settings.Cluster.Build().TotalGpus));
                parse.InvocationConfiguration.Error.WriteLine($"fluid sim: wrote results.json, totals.csv, jobs.csv, trace.csv, jct-cdf.svg, makespan.svg, gpu-utilisation.svg to {dir.FullName}");
            }

            return 0;
        }));

        command.Subcommands.Add(SimSweepCommand.Create());
        command.Subcommands.Add(SimSensitivityCommand.Create());
        command.Subcommands.Add(SimTraceCommand.Create());
        command.Subcommands.Add(SimParamsCommand.Create());
        return command;
    }

    private static Trace LoadTrace(FileInfo file, SimulationSettings settings)
    {
        using var reader = file.OpenText();
        return TraceCsv.Read(reader, file.Name, settings.Workload);
    }
}

/// <summary>Options and error handling shared by the `fluid sim` commands.</summary>
internal static class SimOptions
{
    public static Option<int> Jobs() => new("--jobs") { Description = "Jobs in the synthetic trace.", DefaultValueFactory = _ => 30 };

    public static Option<ulong> Seed() => new("--seed") { Description = "Seed of the synthetic trace and of tie-breaks.", DefaultValueFactory = _ => 1UL };

    public static Option<string> Policies() => new("--policies")
    {
        Description = "Comma-separated policies to compare.",
        DefaultValueFactory = _ => string.Join(',', Experiment.DefaultPolicies),
    };

    public static Option<string[]> Set() => new("--set")
    {
        Description = "Override a model parameter, key=value (repeatable; `fluid sim params` lists them).",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<DirectoryInfo?> Output() => new("--out") { Description = "Directory for JSON, CSV and SVG outputs." };

    public static IReadOnlyList<string> ParsePolicies(string? value)
    {
        var names = (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw new ArgumentException("--policies: name at least one policy");
        }

        foreach (var name in names)
        {
            if (!Fluid.Scheduling.Policies.PolicyRegistry.Default.Contains(name))
            {
                throw new ArgumentException($"--policies: unknown policy '{name}'; known policies: {string.Join(", ", Fluid.Scheduling.Policies.PolicyRegistry.Default.Names)}");
            }
        }

        return names;
    }

    public static IReadOnlyList<int> ParseSizes(string value)
    {
        var sizes = new List<int>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n <= 0)
            {
                throw new ArgumentException($"--sizes: '{part}' is not a positive integer");
            }

            sizes.Add(n);
        }

        return sizes.Count > 0 ? sizes : throw new ArgumentException("--sizes: give at least one size");
    }

    /// <summary>Runs an action and turns bad input into a one-line error and exit code 2.</summary>
    public static int Guard(ParseResult parse, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or SimulationException or IOException or UnauthorizedAccessException)
        {
            parse.InvocationConfiguration.Error.WriteLine($"fluid sim: {e.Message}");
            return 2;
        }
    }
}
