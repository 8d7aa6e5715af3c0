using System.CommandLine;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Reporting;
using Fluid.Scheduling.Settings;

namespace Fluid.Cli.Commands;

/// <summary>`fluid sim sweep`: every policy on seeded traces of several sizes; mean and spread per size.</summary>
internal static class SimSweepCommand
{
    public static Command Create()
    {
        var command = new Command("sweep", "Run every policy on many seeded synthetic traces per size and report mean ± sd and Fluid's reductions.");
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated trace sizes.", DefaultValueFactory = _ => "15,20,25,30" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per size.", DefaultValueFactory = _ => 20 };
        var firstSeed = new Option<ulong>("--first-seed") { Description = "First seed.", DefaultValueFactory = _ => 1UL };
        var policies = SimOptions.Policies();
        var set = SimOptions.Set();
        var output = SimOptions.Output();
        var format = new Option<string>("--format") { Description = "Standard output: table, markdown, json or csv.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "markdown", "json", "csv");
        command.Options.Add(sizes);
        command.Options.Add(seeds);
        command.Options.Add(firstSeed);
        command.Options.Add(policies);
        command.Options.Add(set);
        command.Options.Add(output);
        command.Options.Add(format);
        command.SetAction((parse, cancellationToken) => Task.FromResult(SimOptions.Guard(parse, () =>
        {
            var options = new SweepOptions
            {
                Sizes = SimOptions.ParseSizes(parse.GetValue(sizes) ?? string.Empty),
                Seeds = parse.GetValue(seeds),
                FirstSeed = parse.GetValue(firstSeed),
                Policies = SimOptions.ParsePolicies(parse.GetValue(policies)),
                Settings = ParameterCatalog.Apply(new SimulationSettings(), parse.GetValue(set) ?? []),
            };
            var sweep = Sweep.Run(options, cancellationToken: cancellationToken);
            var stdout = parse.InvocationConfiguration.Output;
            stdout.Write(parse.GetValue(format) switch
            {
                "markdown" => MarkdownReports.Sweep(sweep),
                "json" => JsonReports.Sweep(options, sweep),
                "csv" => CsvReports.SweepSummary(sweep),
                _ => TextReports.Sweep(sweep),
            });
            if (parse.GetValue(output) is { } dir)
            {
                dir.Create();
                File.WriteAllText(Path.Combine(dir.FullName, "sweep.json"), JsonReports.Sweep(options, sweep));
                File.WriteAllText(Path.Combine(dir.FullName, "sweep-summary.csv"), CsvReports.SweepSummary(sweep));
                File.WriteAllText(Path.Combine(dir.FullName, "sweep-runs.csv"), CsvReports.SweepRuns(sweep));
                File.WriteAllText(Path.Combine(dir.FullName, "sweep.md"), MarkdownReports.Sweep(sweep));
                File.WriteAllText(Path.Combine(dir.FullName, "sweep-makespan.svg"), SvgCharts.SweepBars(sweep, averageJct: false));
                File.WriteAllText(Path.Combine(dir.FullName, "sweep-jct.svg"), SvgCharts.SweepBars(sweep, averageJct: true));
                parse.InvocationConfiguration.Error.WriteLine($"fluid sim sweep: wrote sweep.json, sweep-summary.csv, sweep-runs.csv, sweep.md, sweep-makespan.svg, sweep-jct.svg to {dir.FullName}");
            }

            return 0;
        })));
        return command;
    }
}
