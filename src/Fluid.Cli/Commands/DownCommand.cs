using System.CommandLine;
using System.Diagnostics;
using Fluid.Engine.Control;

namespace Fluid.Cli.Commands;

/// <summary>`fluid down NAME`: asks a running dataset to unmount and stop, and waits until it has.</summary>
internal static class DownCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The dataset (NAME or NAMESPACE/NAME)." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the engine to stop.", DefaultValueFactory = _ => 60 };
        var command = new Command("down", "Unmount a running dataset and stop its cache.") { name, timeout };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var id = parse.GetRequiredValue(name);
            var runDirectory = RunDirectory.Default;
            DownReply reply;
            try
            {
                using var client = runDirectory.Connect(id);
                reply = await client.DownAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is ControlException or ArgumentException)
            {
                await error.WriteLineAsync($"fluid down: {ex.Message}");
                return 1;
            }

            // The engine removes its socket as the last step of a clean shutdown.
            var socket = runDirectory.SocketPath(id);
            var watch = Stopwatch.StartNew();
            while (File.Exists(socket) && watch.Elapsed.TotalSeconds < parse.GetValue(timeout))
            {
                await Task.Delay(100, cancellationToken);
            }

            if (File.Exists(socket))
            {
                await error.WriteLineAsync($"fluid down: dataset {id} was asked to stop but is still shutting down after {parse.GetValue(timeout):0} s");
                return 1;
            }

            await output.WriteLineAsync(reply.MountPoint is null ? $"Dataset {id} is down." : $"Dataset {id} is down; unmounted {reply.MountPoint}.");
            return 0;
        });
        return command;
    }
}
