using System.CommandLine;
using Fluid.Engine.Hosting;
using Fluid.Fuse;
using Fluid.Fuse.Backend;
using Microsoft.Extensions.Logging;

namespace Fluid.Cli.Commands;

/// <summary>`fluid mount-dir SOURCE MOUNTPOINT`: serves a local directory read-only through the FUSE file system (tests, benchmarks).</summary>
internal static class MountDirCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "Directory to serve." };
        var mountPoint = new Argument<string>("mountpoint") { Description = "Empty directory to mount it at." };
        var ttl = new Option<double>("--ttl") { Description = "Kernel entry/attribute cache time in seconds.", DefaultValueFactory = _ => 60 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds after which an unanswered request gets EIO.", DefaultValueFactory = _ => 30 };
        var threads = new Option<int>("--threads") { Description = "Reader threads.", DefaultValueFactory = _ => 4 };
        var passthrough = new Option<PassthroughMode>("--passthrough") { Description = "FUSE passthrough for local files: Auto or Off.", DefaultValueFactory = _ => PassthroughMode.Auto };
        var passthroughMinSize = new Option<long>("--passthrough-min-size") { Description = "Smaller files are served through the page cache instead of passthrough.", DefaultValueFactory = _ => new FuseOptions().PassthroughMinSize };
        var openMessages = new Option<bool>("--open-messages") { Description = "Keep OPEN/RELEASE round trips even without passthrough." };
        var kernelWritable = new Option<bool>("--kernel-writable") { Description = "Mount without MS_RDONLY (write attempts then reach the file system, which answers EROFS).", Hidden = true };
        var stats = new Option<bool>("--stats") { Description = "Print the request counters when unmounting." };
        var verbose = new Option<bool>("--verbose") { Description = "Log informational messages." };

        var command = new Command("mount-dir", "Mount a local directory read-only through the Fluid FUSE file system until Ctrl-C.")
        {
            source, mountPoint, ttl, timeout, threads, passthrough, passthroughMinSize, openMessages, kernelWritable, stats, verbose,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var options = new FuseOptions
            {
                MetadataTtl = TimeSpan.FromSeconds(parse.GetValue(ttl)),
                RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                ReaderThreads = parse.GetValue(threads),
                Passthrough = parse.GetValue(passthrough),
                PassthroughMinSize = parse.GetValue(passthroughMinSize),
                ZeroMessageOpens = !parse.GetValue(openMessages),
                KernelReadOnly = !parse.GetValue(kernelWritable),
            };
            var problems = options.Validate();
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await error.WriteLineAsync($"mount-dir: {problem}");
                }

                return 2;
            }

            using var loggers = new TextLoggerFactory(error, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            var logger = loggers.CreateLogger("fluid.mount-dir");
            try
            {
                using var backend = new DirectoryBackend(parse.GetValue(source)!);
                var mount = await FuseMount.MountAsync(backend, parse.GetValue(mountPoint)!, options, logger, cancellationToken);
                await output.WriteLineAsync(
                    $"Mounted {backend.Root} at {mount.MountPoint} (FUSE {mount.ProtocolVersion}, {mount.ReaderThreads} readers, " +
                    $"passthrough {(mount.PassthroughActive ? "on" : "off")}, zero-message opens {(mount.ZeroMessageOpens ? "on" : "off")}). Ctrl-C to unmount.");
                await output.FlushAsync(CancellationToken.None);
                await mount.WaitForShutdownAsync(cancellationToken);
                await output.WriteLineAsync($"Unmounted {mount.MountPoint}.");
                if (parse.GetValue(stats))
                {
                    await output.WriteLineAsync(mount.Metrics.ToString());
                }

                return 0;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or ArgumentException)
            {
                await error.WriteLineAsync($"mount-dir: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
