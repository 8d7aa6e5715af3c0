using System.CommandLine;
using Fluid.Scheduling.Reporting;
using Fluid.Scheduling.Settings;

namespace Fluid.Cli.Commands;

/// <summary>`fluid sim params`: every model parameter with its default and the source of that default.</summary>
internal static class SimParamsCommand
{
    public static Command Create()
    {
        var command = new Command("params", "List every model parameter, its default and where the default comes from.");
        var format = new Option<string>("--format") { Description = "table or markdown.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "markdown");
        command.Options.Add(format);
        command.SetAction(parse =>
        {
            var settings = new SimulationSettings();
            if (parse.GetValue(format) == "markdown")
            {
                parse.InvocationConfiguration.Output.Write(MarkdownReports.Parameters(settings));
                return 0;
            }

            var table = new TextTable("parameter", "default", "unit", "meaning");
            foreach (var p in ParameterCatalog.Parameters)
            {
                table.Add(p.Key, p.Get(settings), p.Unit, p.Description);
            }

            parse.InvocationConfiguration.Output.Write(table.ToString());
            return 0;
        });
        return command;
    }
}
