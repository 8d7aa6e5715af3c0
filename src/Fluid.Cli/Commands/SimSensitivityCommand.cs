using System.CommandLine;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Reporting;
using Fluid.Scheduling.Settings;

namespace Fluid.Cli.Commands;

/// <summary>`fluid sim sensitivity`: Fluid's reductions with one parameter changed at a time.</summary>
internal static class SimSensitivityCommand
{
    public static Command Create()
    {
        var command = new Command("sensitivity", "Rerun the comparison with one parameter changed at a time and report Fluid's reductions per case.");
        var jobs = SimOptions.Jobs();
        var seeds = new Option<int>("--seeds") { Description = "Seeds per case.", DefaultValueFactory = _ => 20 };
        var firstSeed = new Option<ulong>("--first-seed") { Description = "First seed.", DefaultValueFactory = _ => 1UL };
        var cases = new Option<string[]>("--case")
        {
            Description = "A case as key=v1,v2 (repeatable); replaces the default list.",
        };
        var set = SimOptions.Set();
        var output = SimOptions.Output();
        var format = new Option<string>("--format") { Description = "Standard output: table (markdown), json or csv.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "markdown", "json", "csv");
        command.Options.Add(jobs);
        command.Options.Add(seeds);
        command.Options.Add(firstSeed);
        command.Options.Add(cases);
        command.Options.Add(set);
        command.Options.Add(output);
        command.Options.Add(format);
        command.SetAction((parse, cancellationToken) => Task.FromResult(SimOptions.Guard(parse, () =>
        {
            var settings = ParameterCatalog.Apply(new SimulationSettings(), parse.GetValue(set) ?? []);
            var list = ParseCases(parse.GetValue(cases));
            var result = Sensitivity.Run(settings, parse.GetValue(jobs), parse.GetValue(seeds), parse.GetValue(firstSeed), list, Experiment.DefaultPolicies, cancellationToken: cancellationToken);
            var stdout = parse.InvocationConfiguration.Output;
            stdout.Write(parse.GetValue(format) switch
            {
                "json" => JsonReports.Sensitivity(result),
                "csv" => CsvReports.Sensitivity(result),
                _ => MarkdownReports.Sensitivity(result),
            });
            if (parse.GetValue(output) is { } dir)
            {
                dir.Create();
                File.WriteAllText(Path.Combine(dir.FullName, "sensitivity.json"), JsonReports.Sensitivity(result));
                File.WriteAllText(Path.Combine(dir.FullName, "sensitivity.csv"), CsvReports.Sensitivity(result));
                File.WriteAllText(Path.Combine(dir.FullName, "sensitivity.md"), MarkdownReports.Sensitivity(result));
                parse.InvocationConfiguration.Error.WriteLine($"fluid sim sensitivity: wrote sensitivity.json, sensitivity.csv, sensitivity.md to {dir.FullName}");
            }

            return 0;
        })));
        return command;
    }

    private static IReadOnlyList<SensitivityCaseSpec> ParseCases(string[]? values)
    {
        if (values is null || values.Length == 0)
        {
            return Sensitivity.DefaultCases;
        }

        var list = new List<SensitivityCaseSpec>();
        foreach (var value in values)
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == value.Length - 1)
            {
                throw new ArgumentException($"--case {value}: expected key=v1,v2");
            }

            list.Add(new SensitivityCaseSpec(value[..eq].Trim(), value[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        }

        return list;
    }
}
