using System.CommandLine;
using System.Text.Json;
using Fluid.Engine.Control;

namespace Fluid.Cli.Commands;

/// <summary>`fluid status [NAME] [-o json|table]`: Fluid's dataset columns plus hit ratio and throughput.</summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions Indented = new(ControlJson.Default.Options) { WriteIndented = true };

    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "The dataset (NAME or NAMESPACE/NAME); all running datasets when omitted.", Arity = ArgumentArity.ZeroOrOne };
        var format = new Option<string>("--output", "-o") { Description = "table or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("status", "Show the cache state of running datasets: UFS TOTAL SIZE, CACHED, CACHE CAPACITY, CACHED PERCENTAGE, PHASE, hit ratio, throughput.")
        {
            name, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var json = parse.GetValue(format) == "json";
            var runDirectory = RunDirectory.Default;
            var id = parse.GetValue(name);
            var reports = new List<DatasetStatusReport>();
            try
            {
                if (id is not null)
                {
                    using var client = runDirectory.Connect(id);
                    reports.Add(await client.GetStatusAsync(cancellationToken));
                }
                else
                {
                    foreach (var state in runDirectory.List())
                    {
                        if (!RunDirectory.IsListening(state.Socket))
                        {
                            await error.WriteLineAsync($"dataset {state.Id}: its engine (pid {state.Pid}) is gone; the next `fluid up` clears what it left");
                            continue;
                        }

                        using var client = new ControlClient(state.Socket);
                        reports.Add(await client.GetStatusAsync(cancellationToken));
                    }
                }
            }
            catch (Exception ex) when (ex is ControlException or ArgumentException)
            {
                await error.WriteLineAsync($"fluid status: {ex.Message}");
                return 1;
            }

            if (json)
            {
                var text = id is not null
                    ? JsonSerializer.Serialize(reports[0], typeof(DatasetStatusReport), Indented)
                    : JsonSerializer.Serialize(reports, typeof(List<DatasetStatusReport>), Indented);
                await output.WriteLineAsync(text);
                return 0;
            }

            if (reports.Count == 0)
            {
                await output.WriteLineAsync($"No datasets are up (control sockets in {runDirectory.Root}). Start one with `fluid up -f dataset.yaml`.");
                return 0;
            }

            await output.WriteAsync(StatusTable.Format(reports));
            return 0;
        });
        return command;
    }
}
