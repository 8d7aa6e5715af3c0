using System.CommandLine;
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
        var command = new Command("up", "Start the cache of a dataset and mount it (runs in the foreground until Ctrl-C or `fluid down`).")
        {
            files, mount, name, secretsDir, passthrough, verbose,
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

            var mountPoint = Path.GetFullPath(parse.GetValue(mount) ?? DefaultMountPoint(configuration.Id));
            using var loggers = new TextLoggerFactory(error, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            EngineHost host;
            try
            {
                host = await EngineHost.StartAsync(configuration, new EngineHostOptions
                {
                    MountPoint = mountPoint,
                    RunDirectory = RunDirectory.DefaultPath(),
                    LoggerFactory = loggers,
                    Fuse = new FuseOptions { Passthrough = parse.GetValue(passthrough), AllowOther = Environment.IsPrivilegedProcess },
                }, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or UfsException or ArgumentException)
            {
                await error.WriteLineAsync($"fluid up: {ex.Message}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                return 130;
            }

            var fuse = host.Mount!;
            var id = configuration.Id;
            await output.WriteLineAsync($"Dataset {id} is up: mounted at {fuse.MountPoint}");
            foreach (var m in configuration.Mounts)
            {
                await output.WriteLineAsync($"  {Path.Join(fuse.MountPoint, m.Path)}  <-  {m.Source.SafeMountPoint}");
            }

            var tiers = string.Join(", ", host.GetStatus().Tiers.GroupBy(t => t.Medium).Select(g => $"{g.Key} {Units.Bytes(g.Sum(t => t.Quota))}"));
            await output.WriteLineAsync($"  cache: {tiers}; page {Units.Bytes(configuration.Cache.PageSize)}; FUSE {fuse.ProtocolVersion}, {fuse.ReaderThreads} readers, passthrough {(fuse.PassthroughActive ? "on" : "off")}");
            await output.WriteLineAsync($"  control: {host.SocketPath}  (fluid status {id} | fluid load {id} | fluid ls {id} | fluid down {id})");
            await output.WriteLineAsync("Ctrl-C or `fluid down " + id + "` unmounts and stops.");
            await output.FlushAsync(CancellationToken.None);

            var reason = await host.RunAsync(cancellationToken);
            await output.WriteLineAsync($"Dataset {id} is down ({reason}); unmounted {fuse.MountPoint}.");
            return 0;
        });
        return command;
    }

    /// <summary>/mnt/fluid/NAME as root, else ~/fluid/NAME (NAMESPACE/NAME outside the default namespace).</summary>
    public static string DefaultMountPoint(string id) => Environment.IsPrivilegedProcess
        ? Path.Combine("/mnt/fluid", id)
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "fluid", id);
}
