using System.CommandLine;
using System.Globalization;
using System.Net;
using Fluid.Api.Datasets;
using Fluid.Api.Manifests;
using Fluid.Api.Runtimes;
using Fluid.Cache;
using Fluid.Cache.Cluster.Security;
using Fluid.Cache.Cluster.Worker;
using Fluid.Engine.Cluster;
using Fluid.Engine.Configuration;
using Fluid.Engine.Hosting;
using Fluid.Storage;
using Fluid.Storage.Mounts;
using Microsoft.Extensions.Logging;
using MediumType = Fluid.Cache.MediumType;

namespace Fluid.Cli.Commands;

/// <summary>
/// `fluid worker`: runs one cache worker of a dataset in the foreground until SIGTERM/Ctrl-C
/// (the worker pods of the operator run exactly this; docs/cluster.md).
/// </summary>
internal static class WorkerCommand
{
    private static readonly Dictionary<string, TotalsWalk> TotalsModes = new(StringComparer.Ordinal)
    {
        ["always"] = TotalsWalk.Always,
        ["never"] = TotalsWalk.Never,
        ["first-replica"] = TotalsWalk.FirstReplica,
    };

    public static Command Create()
    {
        var config = new Option<string[]>("--config") { Description = "Manifest with the Dataset, its FluidCacheRuntime and Secrets (what the operator mounts at /etc/fluid/config/manifest.yaml); repeatable." };
        var secretsDir = new Option<string?>("--secrets-dir") { Description = $"Directory laid out like mounted Kubernetes secrets (DIR/SECRET/KEY) for encryptOptions (default: {DefaultSecretsDirectory} when it exists)." };
        var cacheSubdir = new Option<string?>("--cache-subdir") { Description = "Append this directory name to every disk tier path, so several workers of one machine keep apart (fluid up --workers)." };
        var mount = new Option<string[]>("--mount") { Description = "A mount as NAME=URI (local:///dir, pvc://claim/dir, s3://bucket/prefix, https://host/dir/); repeatable. Instead of --config.", AllowMultipleArgumentsPerToken = false };
        var mountOption = new Option<string[]>("--mount-option") { Description = "An option of a --mount as NAME.KEY=VALUE (e.g. data.endpoint=http://127.0.0.1:9000); repeatable." };
        var tier = new Option<string[]>("--tier") { Description = "A cache tier: MEM:QUOTA or SSD|HDD:DIR[,DIR...]:QUOTA (quota split over the directories), e.g. MEM:1Gi, SSD:/mnt/ssd:100Gi; repeatable, fastest first." };
        var dataset = new Option<string?>("--dataset") { Description = "Dataset identity (namespace/name) the token is bound to; with --config it picks the Dataset when the files hold several." };
        var tokenFile = new Option<string?>("--token-file") { Description = $"File holding the runtime's secret token (else ${ClusterToken.EnvironmentVariable})." };
        var listen = new Option<string>("--listen") { Description = "Data port address (binary page protocol).", DefaultValueFactory = _ => $"0.0.0.0:{WorkerOptions.DefaultDataPort}" };
        var http = new Option<string>("--http") { Description = "Control port address (health, readiness, summary, metrics, load), or 'off'.", DefaultValueFactory = _ => $"0.0.0.0:{WorkerOptions.DefaultHttpPort}" };
        var id = new Option<string?>("--id") { Description = "Worker id in the ring (default: $FLUID_WORKER_ID, else $POD_NAME, else the host name)." };
        var nodeName = new Option<string?>("--node-name") { Description = "Node name for short-circuit reads (default: $NODE_NAME, else the host name)." };
        var pageSize = new Option<string?>("--page-size") { Description = "Page size (e.g. 1Mi); default 1 MiB or the runtime's pageSize." };
        var readahead = new Option<string?>("--readahead") { Description = "Bytes fetched ahead of a sequential reader (e.g. 8Mi; 0 turns it off)." };
        var grace = new Option<double>("--shutdown-grace") { Description = "Seconds requests in flight get on SIGTERM (the CLI allows about 2 s in all).", DefaultValueFactory = _ => 1.5 };
        var verbose = new Option<bool>("--verbose") { Description = "Log informational messages." };
        var totals = new Option<string>("--totals")
        {
            Description = "Which workers walk the sources for ufsTotal and fileNum: always; never (a client walks them, as fluid up --workers does); first-replica (only the worker whose id ends in -0, what the operator passes).",
            DefaultValueFactory = _ => "always",
        };
        totals.AcceptOnlyFromAmong([.. TotalsModes.Keys]);
        var exitWith = new Option<int?>("--exit-with") { Description = "Stop when the process with this id ends (fluid up --workers passes its own)." };

        var command = new Command("worker", "Run a cache worker of one dataset until SIGTERM/Ctrl-C.")
        {
            config, secretsDir, cacheSubdir, mount, mountOption, tier, dataset, tokenFile, listen, http, id, nodeName, pageSize, readahead, grace, verbose, exitWith, totals,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var problems = new List<string>();
            WorkerOptions? options = null;
            try
            {
                options = BuildOptions(parse, new Inputs(config, secretsDir, cacheSubdir, mount, mountOption, tier, dataset, tokenFile, listen, http, id, nodeName, pageSize, readahead, grace), problems);
            }
            catch (ArgumentException ex)
            {
                problems.Add(ex.Message);
            }

            if (options is not null)
            {
                problems.AddRange(options.Validate());
            }

            if (problems.Count > 0 || options is null)
            {
                foreach (var problem in problems)
                {
                    await error.WriteLineAsync($"worker: {problem}");
                }

                return 2;
            }

            using var loggerFactory = new TextLoggerFactory(error, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            options = options with
            {
                Registry = (options.Registry ?? new UfsRegistryOptions()) with { LoggerFactory = loggerFactory },
                Totals = TotalsModes[parse.GetValue(totals)!],
            };
            using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(exitWith) is { } parent)
            {
                _ = WatchParentAsync(parent, lifetime, error);
            }

            cancellationToken = lifetime.Token;
            foreach (var directory in options.Cache.Tiers.SelectMany(t => t.Directories))
            {
                try
                {
                    Directory.CreateDirectory(directory.Path);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync($"worker: cannot create the cache directory {directory.Path}: {ex.Message}");
                    return 1;
                }
            }

            WorkerHost host;
            try
            {
                host = await WorkerHost.StartAsync(options, loggerFactory, cancellationToken);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or Fluid.Storage.UfsException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"worker: {ex.Message}");
                return 1;
            }

            await using (host)
            {
                await output.WriteLineAsync(
                    $"worker {options.WorkerId} ready: dataset {options.DatasetIdentity}, data {host.DataEndpoint}, http {(host.HttpPort == 0 ? "off" : host.HttpPort.ToString(CultureInfo.InvariantCulture))}, node {options.NodeName}");
                await output.FlushAsync(CancellationToken.None);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }

                await output.WriteLineAsync($"worker {options.WorkerId} stopping");
                await host.StopAsync();
            }

            return 0;
        });
        return command;
    }

    /// <summary>Where the operator mounts the Secrets that encryptOptions name.</summary>
    public const string DefaultSecretsDirectory = "/etc/fluid/secrets";

    private static WorkerOptions? BuildOptions(ParseResult parse, Inputs o, List<string> problems)
    {
        var (config, secretsDir, cacheSubdir, mount, mountOption, tier, dataset, tokenFile, listen, http, id, nodeName, pageSize, readahead, grace) = o;
        var mounts = parse.GetValue(mount) ?? [];
        var tiers = parse.GetValue(tier) ?? [];
        var configPaths = parse.GetValue(config) ?? [];
        string? identity = parse.GetValue(dataset);
        CacheOptions cache;
        IReadOnlyList<UfsMount> ufsMounts;
        UfsRegistryOptions? registry = null;
        if (configPaths.Length > 0)
        {
            if (mounts.Length > 0 || tiers.Length > 0)
            {
                problems.Add("--config and --mount/--tier exclude each other");
                return null;
            }

            EngineConfiguration mapped;
            try
            {
                var secrets = parse.GetValue(secretsDir) ?? (Directory.Exists(DefaultSecretsDirectory) ? DefaultSecretsDirectory : null);
                mapped = EngineConfigurationMapper.FromManifests(ManifestFiles.Read(configPaths), identity, secrets);
            }
            catch (ConfigurationException ex)
            {
                problems.AddRange(ex.Problems.Select(p => "--config: " + p));
                return null;
            }

            (cache, ufsMounts) = (mapped.Cache, [.. mapped.Mounts.Select(m => m.Source)]);
            identity = ClusterIdentity.Of(mapped);
            registry = new UfsRegistryOptions { DefaultPolicy = mapped.SourcePolicy };
        }
        else
        {
            if (mounts.Length == 0)
            {
                problems.Add("give --config, or at least one --mount NAME=URI");
            }

            ufsMounts = ParseMounts(mounts, parse.GetValue(mountOption) ?? [], problems);
            cache = new CacheOptions { Tiers = ParseTiers(tiers, problems) };
        }

        if (string.IsNullOrWhiteSpace(identity))
        {
            problems.Add("--dataset: the dataset identity (namespace/name) is required without --config");
        }

        if (parse.GetValue(pageSize) is { } size)
        {
            if (TryBytes(size, out var bytes) && bytes <= int.MaxValue)
            {
                cache = cache with { PageSize = (int)bytes };
            }
            else
            {
                problems.Add($"--page-size: \"{size}\" is not a size such as 1Mi");
            }
        }

        if (parse.GetValue(readahead) is { } ahead)
        {
            if (ahead == "0")
            {
                cache = cache with { ReadaheadBytes = 0 };
            }
            else if (TryBytes(ahead, out var bytes))
            {
                cache = cache with { ReadaheadBytes = bytes };
            }
            else
            {
                problems.Add($"--readahead: \"{ahead}\" is not a size such as 8Mi or 0");
            }
        }

        if (parse.GetValue(cacheSubdir) is { } subdir)
        {
            if (subdir.Length == 0 || subdir.Contains('/', StringComparison.Ordinal) || subdir is "." or "..")
            {
                problems.Add($"--cache-subdir: \"{subdir}\" must be a single directory name");
            }
            else
            {
                cache = cache with
                {
                    Tiers = [.. cache.Tiers.Select(t => t with { Directories = [.. t.Directories.Select(d => d with { Path = Path.Combine(d.Path, subdir) })] })],
                };
            }
        }

        var token = ClusterClientSetup.ReadToken(parse.GetValue(tokenFile), problems);
        var data = ParseEndpoint("--listen", parse.GetValue(listen)!, problems);
        var httpText = parse.GetValue(http)!;
        var control = string.Equals(httpText, "off", StringComparison.OrdinalIgnoreCase) ? null : ParseEndpoint("--http", httpText, problems);
        if (problems.Count > 0 || token is null || data is null)
        {
            return null;
        }

        return new WorkerOptions
        {
            WorkerId = parse.GetValue(id) ?? DefaultWorkerId(),
            NodeName = parse.GetValue(nodeName) ?? WorkerOptions.DefaultNodeName(),
            Dataset = identity,
            Cache = cache with { Name = identity! },
            Mounts = ufsMounts,
            Token = token,
            DataEndpoint = data,
            HttpEndpoint = control,
            ShutdownGrace = TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(grace))),
            Registry = registry,
        };
    }

    private sealed record Inputs(
        Option<string[]> Config,
        Option<string?> SecretsDir,
        Option<string?> CacheSubdir,
        Option<string[]> Mount,
        Option<string[]> MountOption,
        Option<string[]> Tier,
        Option<string?> Dataset,
        Option<string?> TokenFile,
        Option<string> Listen,
        Option<string> Http,
        Option<string?> Id,
        Option<string?> NodeName,
        Option<string?> PageSize,
        Option<string?> Readahead,
        Option<double> Grace);

    /// <summary>Cancels <paramref name="lifetime"/> once process <paramref name="pid"/> is gone (checked every second).</summary>
    private static async Task WatchParentAsync(int pid, CancellationTokenSource lifetime, TextWriter error)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(lifetime.Token))
            {
                if (!Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}"))
                {
                    await error.WriteLineAsync($"worker: process {pid} (--exit-with) is gone; stopping");
                    await lifetime.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string DefaultWorkerId() =>
        Environment.GetEnvironmentVariable("FLUID_WORKER_ID") is { Length: > 0 } id ? id
        : Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod
        : Environment.MachineName;

    private static IPEndPoint? ParseEndpoint(string option, string text, List<string> problems)
    {
        if (IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':', StringComparison.Ordinal))
        {
            return endpoint;
        }

        problems.Add($"{option}: \"{text}\" is not an address such as 0.0.0.0:{WorkerOptions.DefaultDataPort} or [::]:{WorkerOptions.DefaultDataPort}");
        return null;
    }

    private static List<UfsMount> ParseMounts(string[] mounts, string[] options, List<string> problems)
    {
        var result = new List<(string Name, string Uri, Dictionary<string, string> Options)>();
        for (var i = 0; i < mounts.Length; i++)
        {
            var equals = mounts[i].IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == mounts[i].Length - 1)
            {
                problems.Add($"--mount[{i}]: \"{mounts[i]}\" is not NAME=URI");
                continue;
            }

            result.Add((mounts[i][..equals], mounts[i][(equals + 1)..], new Dictionary<string, string>(StringComparer.Ordinal)));
        }

        for (var i = 0; i < options.Length; i++)
        {
            var dot = options[i].IndexOf('.', StringComparison.Ordinal);
            var equals = options[i].IndexOf('=', StringComparison.Ordinal);
            var target = dot > 0 ? result.FindIndex(m => m.Name == options[i][..dot]) : -1;
            if (dot <= 0 || equals < dot + 2 || target < 0)
            {
                problems.Add($"--mount-option[{i}]: expected NAME.KEY=VALUE for a NAME given with --mount");
                continue;
            }

            result[target].Options[options[i][(dot + 1)..equals]] = options[i][(equals + 1)..];
        }

        return [.. result.Select(m => new UfsMount(m.Name, m.Uri, m.Options))];
    }

    private static List<TierOptions> ParseTiers(string[] tiers, List<string> problems)
    {
        var result = new List<TierOptions>();
        for (var i = 0; i < tiers.Length; i++)
        {
            var parts = tiers[i].Split(':');
            var at = $"--tier[{i}] \"{tiers[i]}\"";
            if (!Enum.TryParse<MediumType>(parts[0], ignoreCase: true, out var medium))
            {
                problems.Add($"{at}: medium must be MEM, SSD or HDD");
                continue;
            }

            if (medium == MediumType.Mem)
            {
                if (parts.Length != 2 || !TryBytes(parts[1], out var quota))
                {
                    problems.Add($"{at}: expected MEM:QUOTA such as MEM:1Gi");
                    continue;
                }

                result.Add(new TierOptions { Medium = medium, Quota = quota });
                continue;
            }

            if (parts.Length != 3 || !TryBytes(parts[2], out var total))
            {
                problems.Add($"{at}: expected {medium.ToString().ToUpperInvariant()}:DIR[,DIR...]:QUOTA such as SSD:/mnt/ssd:100Gi");
                continue;
            }

            var dirs = parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            result.Add(new TierOptions { Medium = medium, Directories = [.. dirs.Select(d => new TierDirectory(d, total / Math.Max(1, dirs.Length)))] });
        }

        return result;
    }

    private static bool TryBytes(string text, out long bytes)
    {
        bytes = 0;
        if (!Fluid.Api.Meta.Quantity.TryParse(text, out var quantity) || quantity.Sign <= 0)
        {
            return false;
        }

        bytes = quantity.Value;
        return true;
    }
}
