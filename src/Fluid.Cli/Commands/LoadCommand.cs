using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Fluid.Engine.Control;
using Spectre.Console;

namespace Fluid.Cli.Commands;

/// <summary>`fluid load NAME [PATH...]`: prefetches dataset paths with a live progress bar (plain lines when piped).</summary>
internal static class LoadCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The dataset (NAME or NAMESPACE/NAME)." };
        var paths = new Argument<string[]>("path") { Description = "Paths in the dataset to load, as they appear under the mount (default: everything).", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("load", "Prefetch files of a running dataset into its cache; Ctrl-C cancels the load.") { name, paths };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var id = parse.GetRequiredValue(name);
            var targets = parse.GetValue(paths) ?? [];
            LoadEvent? done = null;
            try
            {
                using var client = RunDirectory.Default.Connect(id);
                var events = client.LoadAsync(targets, cancellationToken);
                done = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out)
                    ? await ShowProgressBarAsync(events)
                    : await ShowLinesAsync(events, output);
            }
            catch (OperationCanceledException)
            {
                await error.WriteLineAsync("fluid load: cancelled (the engine stopped the load)");
                return 130;
            }
            catch (Exception ex) when (ex is ControlException or ArgumentException)
            {
                await error.WriteLineAsync($"fluid load: {ex.Message}");
                return 1;
            }

            if (done is null)
            {
                await error.WriteLineAsync("fluid load: the engine ended the load without a result");
                return 1;
            }

            if (done.Type == LoadEvent.ErrorType)
            {
                await error.WriteLineAsync($"fluid load: {done.Message}");
                return 1;
            }

            await output.WriteLineAsync(
                $"Loaded {done.FilesDone} files ({Units.Bytes(done.BytesDone)}: {Units.Bytes(done.BytesFetched)} from the source, " +
                $"{Units.Bytes(done.BytesAlreadyCached)} already cached) in {Units.Duration(TimeSpan.FromSeconds(done.ElapsedSeconds))}, {Units.Rate(done.BytesPerSecond)}.");
            if (done.FailedFiles > 0)
            {
                await error.WriteLineAsync($"fluid load: {done.FailedFiles} files failed:");
                foreach (var failure in done.Errors ?? [])
                {
                    await error.WriteLineAsync("  " + failure);
                }

                return 1;
            }

            return 0;
        });
        return command;
    }

    /// <summary>One line per second, and the last state.</summary>
    private static async Task<LoadEvent?> ShowLinesAsync(IAsyncEnumerable<LoadEvent> events, TextWriter output)
    {
        var watch = Stopwatch.StartNew();
        var last = TimeSpan.FromDays(-1);
        LoadEvent? latest = null;
        await foreach (var e in events)
        {
            if (e.Type != LoadEvent.ProgressType)
            {
                return e;
            }

            latest = e;
            if (watch.Elapsed - last >= TimeSpan.FromSeconds(1))
            {
                last = watch.Elapsed;
                await output.WriteLineAsync("progress: " + Describe(e));
                await output.FlushAsync();
            }
        }

        return latest is null ? null : latest with { Type = LoadEvent.ErrorType, Message = "the engine closed the connection before the load finished" };
    }

    private static async Task<LoadEvent?> ShowProgressBarAsync(IAsyncEnumerable<LoadEvent> events)
    {
        LoadEvent? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new ProgressBarColumn(), new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
            .StartAsync(async context =>
            {
                var task = context.AddTask("starting...", maxValue: 1);
                await foreach (var e in events)
                {
                    if (e.Type != LoadEvent.ProgressType)
                    {
                        if (e.Type == LoadEvent.DoneType)
                        {
                            task.MaxValue = Math.Max(1, e.BytesTotal);
                            task.Value = task.MaxValue;
                            task.Description = Markup.Escape(Describe(e with { EtaSeconds = 0 }));
                        }

                        result = e;
                        break;
                    }

                    task.MaxValue = Math.Max(1, e.BytesTotal);
                    task.Value = e.BytesDone;
                    task.Description = Markup.Escape(Describe(e));
                }

                task.StopTask();
            });
        return result;
    }

    /// <summary>"120/2004 files, 50.00MiB/1.20GiB, 80.00MiB/s, ETA 15.2s" ("+" while the totals still grow).</summary>
    public static string Describe(LoadEvent e)
    {
        var more = e.TotalsFinal ? string.Empty : "+";
        var eta = e.EtaSeconds is { } seconds && e.TotalsFinal ? Units.Duration(TimeSpan.FromSeconds(seconds)) : "?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{e.FilesDone}/{e.FilesTotal}{more} files, {Units.Bytes(e.BytesDone)}/{Units.Bytes(e.BytesTotal)}{more}, {Units.Rate(e.BytesPerSecond)}, ETA {eta}");
    }
}
