using System.CommandLine;
using Fluid.Engine.Configuration;
using Fluid.Engine.Control;
using Fluid.Engine.Hosting;
using Fluid.Engine.Quickstart;
using Fluid.Storage;
using Microsoft.Extensions.Logging;

namespace Fluid.Cli.Commands;

/// <summary>`fluid quickstart`: sample dataset in a local S3 server → cache → FUSE mount → a cold and a warm epoch.</summary>
internal static class QuickstartCommand
{
    public static Command Create()
    {
        var files = new Option<int>("--files") { Description = "Image-sized files (100 KiB-1 MiB) in the sample dataset.", DefaultValueFactory = _ => 300 };
        var largeFiles = new Option<int>("--large-files") { Description = "Large files in the sample dataset.", DefaultValueFactory = _ => 3 };
        var largeSize = new Option<int>("--large-size") { Description = "Size of each large file in MiB.", DefaultValueFactory = _ => 64 };
        var readers = new Option<int>("--readers") { Description = "Parallel readers of each epoch.", DefaultValueFactory = _ => 8 };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the engine's log." };
        var command = new Command("quickstart", "Generate a sample dataset in a local S3 server, bring the cache up with a FUSE mount, read it twice (cold, warm) and clean up.")
        {
            files, largeFiles, largeSize, readers, verbose,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            using var loggers = new TextLoggerFactory(error, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            var runner = new QuickstartRunner(new QuickstartOptions
            {
                SmallFiles = parse.GetValue(files),
                LargeFiles = parse.GetValue(largeFiles),
                LargeFileMiB = parse.GetValue(largeSize),
                Readers = Math.Max(1, parse.GetValue(readers)),
                LoggerFactory = loggers,
            }, output);
            try
            {
                return await runner.RunAsync(cancellationToken);
            }
            catch (MissingPrerequisiteException ex)
            {
                await error.WriteLineAsync($"fluid quickstart: {ex.Message}");
                return 3;
            }
            catch (OperationCanceledException)
            {
                await error.WriteLineAsync("fluid quickstart: interrupted (cleaned up)");
                return 130;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or UfsException or ConfigurationException or ControlException or Amazon.Runtime.AmazonClientException)
            {
                await error.WriteLineAsync($"fluid quickstart: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
