using System.Text.Json;
using Fluid.Testing;
using static Fluid.Testing.Shell;

namespace Fluid.Engine.Tests.Support;

/// <summary>
/// A dataset on the real S3 server with its manifest, run directory and mount point, brought up by real
/// `fluid up` processes; disposing kills what is left of them (workers too) and removes everything.
/// </summary>
public sealed class UpSite : IDisposable
{
    private readonly List<FluidCli.Daemon> _daemons = [];

    private UpSite(string root, S3Dataset dataset, string name)
    {
        Root = root;
        Dataset = dataset;
        Name = name;
        Cli = new FluidCli(Path.Combine(root, "run"));
    }

    public string Root { get; }

    public S3Dataset Dataset { get; }

    /// <summary>The dataset's name, unique per site.</summary>
    public string Name { get; }

    public FluidCli Cli { get; }

    public string Manifest => Path.Combine(Root, "dataset.yaml");

    public string MountPoint => Path.Combine(Root, "mnt");

    /// <summary>Creates <paramref name="files"/> objects on the server and a manifest that reads them with an SSD tier under the site.</summary>
    public static async Task<UpSite> CreateAsync(S3ServerFixture s3, int files, string prefix)
    {
        var root = TestPaths.CreateTempDirectory("engine-" + prefix);
        var dataset = await S3Dataset.CreateAsync(s3, files, Path.Combine(root, "local"));
        var site = new UpSite(root, dataset, prefix + Guid.NewGuid().ToString("N")[..10]);
        await File.WriteAllTextAsync(site.Manifest, dataset.Manifest(site.Name, s3.Endpoint, "/train", Path.Combine(root, "ssd")));
        return site;
    }

    /// <summary>Starts `fluid up` on the manifest and waits until it serves.</summary>
    public async Task<FluidCli.Daemon> StartUpAsync(params string[] extra)
    {
        var daemon = Cli.Start(["up", "-f", Manifest, "--mount", MountPoint, "-v", .. extra]);
        _daemons.Add(daemon);
        await daemon.WaitForAsync("Ctrl-C or `fluid down", TimeSpan.FromSeconds(90));
        return daemon;
    }

    /// <summary>`fluid status NAME -o json`.</summary>
    public JsonElement Status()
    {
        using var document = JsonDocument.Parse(Cli.Ok("status", Name, "-o", "json").Stdout);
        return document.RootElement.Clone();
    }

    /// <summary>Polls the status until <paramref name="condition"/> holds; fails with the last status otherwise.</summary>
    public async Task<JsonElement> WaitForStatusAsync(Func<JsonElement, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = Status();
            if (condition(status))
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, "condition not met in time; last status: " + status);
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        var pids = _daemons.Select(daemon => daemon.Process.Id).ToList();
        foreach (var daemon in _daemons)
        {
            daemon.Dispose();
        }

        // A test that failed half-way may leave a mount of a killed daemon, or its workers, behind.
        Run($"umount -l {Q(MountPoint)} 2>/dev/null");
        foreach (var pid in pids)
        {
            Run($"pkill -9 -f -- '--exit-with {pid}( |$)'");
        }

        TestPaths.DeleteQuietly(Root);
    }
}
