using System.CommandLine;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Traces;

namespace Fluid.Cli.Commands;

/// <summary>`fluid sim trace`: writes a synthetic trace as CSV (the format `fluid sim --trace` reads).</summary>
internal static class SimTraceCommand
{
    public static Command Create()
    {
        var command = new Command("trace", "Write a seeded synthetic trace as CSV.");
        var jobs = SimOptions.Jobs();
        var seed = SimOptions.Seed();
        var set = SimOptions.Set();
        var file = new Option<FileInfo?>("--out") { Description = "File to write (default: standard output)." };
        command.Options.Add(jobs);
        command.Options.Add(seed);
        command.Options.Add(set);
        command.Options.Add(file);
        command.SetAction(parse => SimOptions.Guard(parse, () =>
        {
            var settings = ParameterCatalog.Apply(new SimulationSettings(), parse.GetValue(set) ?? []);
            var csv = TraceCsv.Write(Experiment.Generate(settings, parse.GetValue(jobs), parse.GetValue(seed)));
            if (parse.GetValue(file) is { } f)
            {
                File.WriteAllText(f.FullName, csv);
            }
            else
            {
                parse.InvocationConfiguration.Output.Write(csv);
            }

            return 0;
        }));
        return command;
    }
}
