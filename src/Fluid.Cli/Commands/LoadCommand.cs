using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Cache;
using Fluid.Cache.Cluster.Client;
using Fluid.Engine.Cluster;
using Fluid.Engine.Control;
using Fluid.Engine.Hosting;
using Fluid.Storage;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Fluid.Cli.Commands;

/// <summary>
/// `fluid load NAME [PATH...]`: prefetches dataset paths with a live progress bar (plain lines when piped), through a
/// running engine's control socket, or, with --membership, straight onto the runtime's cache workers (the DataLoad Jobs).
/// </summary>
internal static class LoadCommand
{
    /// <summary>The <c>--option</c> keys understood (DataLoad <c>spec.options</c>): what each takes, and what it does.</summary>
    public static readonly IReadOnlyDictionary<string, (string Expected, string Meaning)> OptionKeys = new SortedDictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["batchBytes"] = ("a size such as 512Mi", "most bytes sent to a worker per request"),
        ["batchPieces"] = ("a positive integer", "most file pieces sent to a worker per request"),
        ["idleTimeout"] = ("a duration such as 60s or 2m", "a worker request that reports no progress this long is given up"),
        ["timeout"] = ("a duration such as 30m", "the whole load is cancelled after this long (exit 1)"),
    };

    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The dataset (NAME or NAMESPACE/NAME)." };
        var paths = new Argument<string[]>("path") { Description = "Paths in the dataset to load, as they appear under the mount (default: everything).", Arity = ArgumentArity.ZeroOrMore };
        var membership = new Option<string?>("--membership") { Description = $"Load without a running engine, straight onto the runtime's cache workers listed by {MembershipSource.Forms} (needs --config and a token)." };
        var config = new Option<string[]>("--config") { Description = "With --membership: manifest with the Dataset NAME, its FluidCacheRuntime and Secrets; repeatable." };
        var tokenFile = new Option<string?>("--token-file") { Description = "With --membership: file holding the runtime's secret token (else $FLUID_TOKEN)." };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "With endpointslices: membership, a kubeconfig file (default: the pod's in-cluster configuration)." };
        var secretsDir = new Option<string?>("--secrets-dir") { Description = $"With --membership: directory laid out like mounted Kubernetes secrets (default: {WorkerCommand.DefaultSecretsDirectory} when it exists)." };
        var nodeName = new Option<string?>("--node-name") { Description = "With --membership: this node's name (default: $NODE_NAME, else the host name)." };
        var loadMetadata = new Option<bool>("--load-metadata")
        {
            Description = "DataLoad's loadMetadata. With --membership the load always lists the targets afresh from the sources (a new process has no metadata to go stale), and the workers are sent each file's current version, so this flag adds nothing and is accepted.",
        };
        var option = new Option<string[]>("--option")
        {
            Description = "With --membership: KEY=VALUE (DataLoad spec.options); repeatable. Keys: " + string.Join("; ", OptionKeys.Select(k => $"{k.Key} ({k.Value.Expected}): {k.Value.Meaning}")) + ".",
        };
        var replicas = new Option<int>("--replicas")
        {
            Description = $"Copies of each file to load, on that many distinct cache workers in ring order (DataLoad target[].replicas; 1 to {TargetPath.MaxReplicas}). Readers fail over to a worker that holds a copy.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("load", "Prefetch files of a dataset into its cache; Ctrl-C cancels the load.")
        {
            name, paths, replicas, membership, config, tokenFile, kubeconfig, secretsDir, nodeName, loadMetadata, option,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var id = parse.GetRequiredValue(name);
            var targets = parse.GetValue(paths) ?? [];
            var copies = parse.GetValue(replicas);
            if (copies is < 1 or > TargetPath.MaxReplicas)
            {
                await error.WriteLineAsync($"fluid load: --replicas must be 1 to {TargetPath.MaxReplicas} (got {copies})");
                return 2;
            }
            if (parse.GetValue(membership) is null)
            {
                var daemonless = new (string Flag, bool Given)[]
                {
                    ("--config", (parse.GetValue(config) ?? []).Length > 0), ("--token-file", parse.GetValue(tokenFile) is not null),
                    ("--kubeconfig", parse.GetValue(kubeconfig) is not null), ("--secrets-dir", parse.GetValue(secretsDir) is not null),
                    ("--node-name", parse.GetValue(nodeName) is not null), ("--load-metadata", parse.GetValue(loadMetadata)),
                    ("--option", (parse.GetValue(option) ?? []).Length > 0),
                };
                if (daemonless.Where(d => d.Given).Select(d => d.Flag).ToList() is { Count: > 0 } stray)
                {
                    await error.WriteLineAsync($"fluid load: {string.Join(", ", stray)} only apply with --membership (a load without a running engine)");
                    return 2;
                }

                return await LoadThroughEngineAsync(id, targets, copies, output, error, cancellationToken);
            }

            var problems = new List<string>();
            var settings = ParseOptions(parse.GetValue(option) ?? [], problems);
            var configuration = await ClusterClientSetup.ReadConfigurationAsync(parse.GetValue(config) ?? [], id, parse.GetValue(secretsDir), "NAME", problems, error);
            var token = ClusterClientSetup.ReadToken(parse.GetValue(tokenFile), problems);
            var source = MembershipSource.Parse(parse.GetValue(membership), parse.GetValue(kubeconfig), problems);
            if (problems.Count > 0 || configuration is null || token is null || source is null)
            {
                foreach (var problem in problems)
                {
                    await error.WriteLineAsync($"fluid load: {problem}");
                }

                return 2;
            }

            using var loggers = new TextLoggerFactory(error, LogLevel.Warning);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (settings.Timeout is { } limit)
            {
                deadline.CancelAfter(limit);
            }

            IAsyncDisposable? watch = null;
            EngineHost host;
            try
            {
                (var workers, watch) = await source.OpenAsync(loggers, deadline.Token);
                var client = new ClusterClient(settings.Apply(new ClusterClientOptions
                {
                    Dataset = ClusterIdentity.Of(configuration),
                    Token = token,
                    NodeName = parse.GetValue(nodeName) ?? ClusterClientSetup.DefaultNodeName(),
                }), workers, loggers);

                // No mount, no control socket, no cache of its own: the host only gives the load the dataset's namespace.
                host = await EngineHost.StartAsync(ClusterIdentity.ForClient(configuration, 0), new EngineHostOptions
                {
                    Cluster = client,
                    ComputeTotals = false,
                    LoggerFactory = loggers,
                }, deadline.Token);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or UfsException or ArgumentException or OperationCanceledException)
            {
                if (watch is not null)
                {
                    await watch.DisposeAsync();
                }

                if (ex is OperationCanceledException)
                {
                    return await CancelledAsync(error, cancellationToken, settings);
                }

                await error.WriteLineAsync($"fluid load: {ex.Message}");
                return 1;
            }

            await using (watch)
            await using (host)
            {
                try
                {
                    var done = await ShowAsync(RunAsync(host, targets, copies, deadline.Token), output);
                    return await ReportAsync(done, output, error);
                }
                catch (OperationCanceledException)
                {
                    return await CancelledAsync(error, cancellationToken, settings);
                }
            }
        });
        return command;
    }

    private static async Task<int> LoadThroughEngineAsync(string id, string[] targets, int replicas, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        LoadEvent? done;
        try
        {
            using var client = RunDirectory.Default.Connect(id);
            done = await ShowAsync(client.LoadAsync(targets, replicas, cancellationToken), output);
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

        return await ReportAsync(done, output, error);
    }

    private static Task<LoadEvent?> ShowAsync(IAsyncEnumerable<LoadEvent> events, TextWriter output) =>
        !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out) ? ShowProgressBarAsync(events) : ShowLinesAsync(events, output);

    private static async Task<int> ReportAsync(LoadEvent? done, TextWriter output, TextWriter error)
    {
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
    }

    private static async Task<int> CancelledAsync(TextWriter error, CancellationToken cancellationToken, LoadSettings settings)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("fluid load: cancelled");
            return 130;
        }

        await error.WriteLineAsync($"fluid load: timed out after {Units.Duration(settings.Timeout ?? TimeSpan.Zero)} (--option timeout)");
        return 1;
    }

    /// <summary>The load on the workers as the control socket would stream it: progress, then one done or error event.</summary>
    private static async IAsyncEnumerable<LoadEvent> RunAsync(EngineHost host, string[] targets, int replicas, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var run = LoadRun.Start(host, targets, replicas, cancellationToken);
        var load = run.Completion;
        await foreach (var progress in run.Updates.ReadAllAsync(cancellationToken))
        {
            yield return LoadEvent.Progress(progress);
        }

        LoadEvent last;
        try
        {
            var summary = await load;
            last = LoadEvent.Done(summary);
        }
        catch (Exception ex) when (ex is UfsException or InvalidOperationException or IOException or ArgumentException or HttpRequestException)
        {
            last = new LoadEvent { Type = LoadEvent.ErrorType, Message = ex.Message };
        }

        yield return last;
    }

    /// <summary>Parses <c>--option KEY=VALUE</c>; every problem names the option and key.</summary>
    internal static LoadSettings ParseOptions(string[] options, List<string> problems)
    {
        var settings = new LoadSettings();
        foreach (var text in options)
        {
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                problems.Add($"--option: \"{text}\" is not KEY=VALUE");
                continue;
            }

            var (key, value) = (text[..equals], text[(equals + 1)..]);
            switch (key)
            {
                case "batchBytes" when Quantity.TryParse(value, out var bytes) && bytes.Sign > 0:
                    settings = settings with { BatchBytes = bytes.Value };
                    break;
                case "batchPieces" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pieces) && pieces > 0:
                    settings = settings with { BatchPieces = pieces };
                    break;
                case "idleTimeout" when TryDuration(value, out var idle):
                    settings = settings with { IdleTimeout = idle };
                    break;
                case "timeout" when TryDuration(value, out var timeout):
                    settings = settings with { Timeout = timeout };
                    break;
                default:
                    problems.Add(OptionKeys.TryGetValue(key, out var expected)
                        ? $"--option {key}: \"{value}\" is not {expected.Expected}"
                        : $"--option: unknown key \"{key}\" (understood: {string.Join(", ", OptionKeys.Keys)})");
                    break;
            }
        }

        return settings;
    }

    /// <summary>A positive duration: 90s, 5m, 1h, or plain seconds.</summary>
    private static bool TryDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text.Length == 0)
        {
            return false;
        }

        var (number, unit) = char.IsLetter(text[^1]) ? (text[..^1], text[^1]) : (text, 's');
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return false;
        }

        duration = unit switch
        {
            's' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            _ => TimeSpan.Zero,
        };
        return duration > TimeSpan.Zero;
    }

    /// <summary>What <c>--option</c> set; null keeps the client's default.</summary>
    internal sealed record LoadSettings
    {
        public long? BatchBytes { get; init; }

        public int? BatchPieces { get; init; }

        public TimeSpan? IdleTimeout { get; init; }

        public TimeSpan? Timeout { get; init; }

        public ClusterClientOptions Apply(ClusterClientOptions options) => options with
        {
            LoadBatchBytes = BatchBytes ?? options.LoadBatchBytes,
            LoadBatchPieces = BatchPieces ?? options.LoadBatchPieces,
            LoadIdleTimeout = IdleTimeout ?? options.LoadIdleTimeout,
        };
    }

    /// <summary>Keeps only the newest progress report for the display.</summary>
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
