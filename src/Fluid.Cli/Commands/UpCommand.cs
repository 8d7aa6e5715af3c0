using System.CommandLine;
using Fluid.Cache.Cluster.Client;
using Fluid.Cache.Cluster.Security;
using Fluid.Engine.Cluster;
using Fluid.Engine.Configuration;
using Fluid.Engine.Control;
using Fluid.Engine.Hosting;
using Fluid.Fuse;
using Fluid.Storage;
using Microsoft.Extensions.Logging;

namespace Fluid.Cli.Commands;

/// <summary>`fluid up -f dataset.yaml`: runs the cache of a dataset in the foreground and mounts it.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var files = new Option<string[]>("--filename", "-f")
        {
            Description = "Manifest with the Dataset (and its FluidCacheRuntime, Secrets); repeat for several files, '-' reads standard input.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var mount = new Option<string?>("--mount") { Description = "Directory to mount the dataset at (default: /mnt/fluid/NAME as root, else ~/fluid/NAME)." };
        var name = new Option<string?>("--name") { Description = "The Dataset to run when the files hold several (NAME or NAMESPACE/NAME)." };
        var secretsDir = new Option<string?>("--secrets-dir") { Description = "Directory laid out like mounted Kubernetes secrets (DIR/SECRET/KEY) for encryptOptions." };
        var passthrough = new Option<PassthroughMode>("--passthrough")
        {
            Description = "Off (default): files are served through the kernel page cache without open round trips. Auto: FUSE passthrough for files of 1 MiB or more held whole on a disk tier (best when the data outgrows memory).",
            DefaultValueFactory = _ => EngineHostOptions.DefaultPassthrough,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log informational messages." };
        var workers = new Option<int>("--workers")
        {
            Description = "Run the cache on N local worker processes (the distributed path: each worker owns part of the dataset, with the runtime's tiers in its own subdirectory); 0 (default) keeps the cache in this process.",
            DefaultValueFactory = _ => 0,
        };
        var clientCache = new Option<string?>("--client-cache") { Description = $"With --workers: memory of the mount's own cache in front of the workers (default {Units.Bytes(ClusterIdentity.DefaultClientCacheBytes)}, 0 for none)." };
        var command = new Command("up", "Start the cache of a dataset and mount it (runs in the foreground until Ctrl-C or `fluid down`).")
        {
            files, mount, name, secretsDir, passthrough, workers, clientCache, verbose,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            EngineConfiguration configuration;
            try
            {
                var manifests = ManifestFiles.Read(parse.GetRequiredValue(files));
                foreach (var warning in manifests.Warnings)
                {
                    await error.WriteLineAsync(warning.ToString());
                }

                configuration = EngineConfigurationMapper.FromManifests(manifests, parse.GetValue(name), parse.GetValue(secretsDir));
            }
            catch (ConfigurationException ex)
            {
                foreach (var problem in ex.Problems)
                {
                    await error.WriteLineAsync(problem);
                }

                await error.WriteLineAsync("fluid up: the manifest cannot be run (see above)");
                return 2;
            }

            foreach (var note in configuration.Notes)
            {
                await error.WriteLineAsync("note: " + note);
            }

            var workerCount = parse.GetValue(workers);
            var clientBytes = ClusterIdentity.DefaultClientCacheBytes;
            var badFlag = workerCount is < 0 or > LocalWorkerGroupOptions.MaxWorkers
                ? $"--workers: {workerCount} must be between 0 and {LocalWorkerGroupOptions.MaxWorkers}"
                : workerCount > 0 && parse.GetRequiredValue(files).Contains("-")
                    ? "--workers: the workers read the manifest files themselves; give files, not '-'"
                    : parse.GetValue(clientCache) is { } text && !TryClientCache(text, out clientBytes)
                        ? $"--client-cache: \"{text}\" is not a size such as 256Mi or 0"
                        : null;
            if (badFlag is not null)
            {
                await error.WriteLineAsync("fluid up: " + badFlag);
                return 2;
            }

            var mountPoint = Path.GetFullPath(parse.GetValue(mount) ?? DefaultMountPoint(configuration.Id));
            using var loggers = new TextLoggerFactory(error, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            var runDirectory = new RunDirectory(RunDirectory.DefaultPath());
            LocalWorkerGroup? group = null;
            string? tokenFile = null;
            ClusterClient? cluster = null;
            EngineHost host;
            try
            {
                var runConfiguration = configuration;
                if (workerCount > 0)
                {
                    // Before anything is started or the token file is touched: a running dataset's workers reread it on restart.
                    if (RunDirectory.IsListening(runDirectory.SocketPath(configuration.Id)))
                    {
                        throw new InvalidOperationException($"dataset {configuration.Id} is already up; stop it with `fluid down {configuration.Id}`");
                    }

                    tokenFile = Path.Combine(runDirectory.WorkersPath(configuration.Id), TokenFileName);
                    (group, cluster) = await StartWorkersAsync(configuration, parse.GetRequiredValue(files), parse.GetValue(secretsDir), workerCount, runDirectory, loggers, cancellationToken);
                    runConfiguration = ClusterIdentity.ForClient(configuration, clientBytes);
                }

                host = await EngineHost.StartAsync(runConfiguration, new EngineHostOptions
                {
                    MountPoint = mountPoint,
                    RunDirectory = runDirectory.Root,
                    LoggerFactory = loggers,
                    Fuse = new FuseOptions { Passthrough = parse.GetValue(passthrough), AllowOther = Environment.IsPrivilegedProcess },
                    Cluster = cluster,
                }, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or UfsException or ArgumentException or OperationCanceledException)
            {
                if (group is not null)
                {
                    await group.DisposeAsync();
                }

                if (tokenFile is not null)
                {
                    TryDelete(tokenFile);
                }

                if (ex is OperationCanceledException)
                {
                    return 130;
                }

                await error.WriteLineAsync($"fluid up: {ex.Message}");
                return 1;
            }

            var fuse = host.Mount!;
            var id = configuration.Id;
            await output.WriteLineAsync($"Dataset {id} is up: mounted at {fuse.MountPoint}");
            foreach (var m in configuration.Mounts)
            {
                await output.WriteLineAsync($"  {Path.Join(fuse.MountPoint, m.Path)}  <-  {m.Source.SafeMountPoint}");
            }

            var tiers = string.Join(", ", host.GetStatus().Tiers.GroupBy(t => t.Medium).Select(g => $"{g.Key} {Units.Bytes(g.Sum(t => t.Quota))}"));
            if (group is not null)
            {
                var share = string.Join(", ", configuration.Cache.Tiers.Select(t => $"{t.Medium.ToString().ToUpperInvariant()} {Units.Bytes(t.Directories.Count > 0 ? t.Directories.Sum(d => d.Quota) : t.Quota)}"));
                tiers = $"{group.Endpoints.Count} workers of {share} each (logs in {runDirectory.WorkersPath(id)}); the mount keeps {(tiers.Length == 0 ? "no cache" : tiers)}";
                foreach (var worker in group.Endpoints)
                {
                    await output.WriteLineAsync($"  {worker.Id}: data {worker.Host}:{worker.DataPort}, http {worker.Host}:{worker.HttpPort}");
                }
            }

            await output.WriteLineAsync($"  cache: {tiers}; page {Units.Bytes(configuration.Cache.PageSize)}; FUSE {fuse.ProtocolVersion}, {fuse.ReaderThreads} readers, passthrough {(fuse.PassthroughActive ? "on" : "off")}");
            await output.WriteLineAsync($"  control: {host.SocketPath}  (fluid status {id} | fluid load {id} | fluid ls {id} | fluid down {id})");
            await output.WriteLineAsync("Ctrl-C or `fluid down " + id + "` unmounts and stops.");
            await output.FlushAsync(CancellationToken.None);

            var reason = await host.RunAsync(cancellationToken);
            if (group is not null)
            {
                await group.DisposeAsync();
                TryDelete(tokenFile!);
            }

            await output.WriteLineAsync($"Dataset {id} is down ({reason}); unmounted {fuse.MountPoint}.");
            return 0;
        });
        return command;
    }

    private const string TokenFileName = "token";

    /// <summary>
    /// Starts the local workers with a fresh runtime token (a 0600 file the workers read) and a client over them;
    /// the workers and the mount share the node name, so the mount reads the workers' disk tiers directly.
    /// </summary>
    private static async Task<(LocalWorkerGroup Group, ClusterClient Client)> StartWorkersAsync(
        EngineConfiguration configuration, string[] files, string? secretsDir, int count, RunDirectory runDirectory, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("--workers needs Unix file modes for the token file");
        }

        runDirectory.Create();
        var directory = runDirectory.WorkersPath(configuration.Id);
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var tokenFile = Path.Combine(directory, TokenFileName);
        TryDelete(tokenFile);
        var secret = ClusterToken.GenerateSecret();
        using (var stream = new FileStream(tokenFile, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(secret);
        }

        var executable = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program runs fluid, to start the workers");
        var group = await LocalWorkerGroup.StartAsync(new LocalWorkerGroupOptions
        {
            Count = count,
            Executable = executable,
            LeadingArguments = Path.GetFileNameWithoutExtension(executable) == "dotnet" ? [typeof(UpCommand).Assembly.Location] : [],
            ManifestFiles = files,
            Dataset = ClusterIdentity.Of(configuration),
            SecretsDirectory = secretsDir,
            TokenFile = tokenFile,
            LogDirectory = directory,
        }, loggers.CreateLogger<LocalWorkerGroup>(), cancellationToken);
        try
        {
            var client = new ClusterClient(
                new ClusterClientOptions { Dataset = ClusterIdentity.Of(configuration), Token = ClusterToken.FromSecret(secret), NodeName = Environment.MachineName },
                group.Membership,
                loggers);
            return (group, client);
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }
    }

    private static bool TryClientCache(string text, out long bytes)
    {
        bytes = 0;
        if (text == "0")
        {
            return true;
        }

        if (!Fluid.Api.Meta.Quantity.TryParse(text, out var quantity) || quantity.Sign <= 0)
        {
            return false;
        }

        bytes = quantity.Value;
        return true;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>/mnt/fluid/NAME as root, else ~/fluid/NAME (NAMESPACE/NAME outside the default namespace).</summary>
    public static string DefaultMountPoint(string id) => Environment.IsPrivilegedProcess
        ? Path.Combine("/mnt/fluid", id)
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "fluid", id);
}
