using System.Diagnostics;
using System.Globalization;
using Fluid.Api.Manifests;
using Fluid.Engine.Configuration;
using Fluid.Engine.Control;
using Fluid.Engine.Hosting;
using Fluid.Fuse;
using Microsoft.Extensions.Logging;

namespace Fluid.Engine.Quickstart;

/// <summary>Settings of <c>fluid quickstart</c>.</summary>
public sealed record QuickstartOptions
{
    public int SmallFiles { get; init; } = 300;

    public int LargeFiles { get; init; } = 3;

    public int LargeFileMiB { get; init; } = 64;

    /// <summary>Parallel readers of each epoch.</summary>
    public int Readers { get; init; } = 8;

    /// <summary>Where the sample data, the cache and the mount go (a fresh temporary directory when null); removed at the end.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>The run directory for the control socket (the default one when null).</summary>
    public string? RunDirectory { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>
/// The README's first command: a sample dataset in a local S3 server, the cache brought up on it with a
/// FUSE mount from a generated manifest, one cold and one warm training-like epoch through the mount,
/// their rates, the speed-up and the dataset's status. Everything it started or wrote is removed at the
/// end, also after a failure or Ctrl-C.
/// </summary>
public sealed class QuickstartRunner(QuickstartOptions options, TextWriter output)
{
    public const string DatasetName = "quickstart";
    private const string Bucket = "quickstart";
    private const int Steps = 7;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var work = options.WorkDirectory ?? Directory.CreateTempSubdirectory("fluid-quickstart-").FullName;
        Directory.CreateDirectory(work);
        S3rverProcess? s3 = null;
        EngineHost? host = null;
        try
        {
            await StepAsync(1, "checking prerequisites (FUSE, a local S3 server)");
            Prerequisites.CheckFuse();
            var s3rver = await Prerequisites.EnsureS3rverAsync(output, cancellationToken);

            s3 = await S3rverProcess.StartAsync(s3rver, Path.Combine(work, "s3"), cancellationToken);
            var sample = new SampleDataset(options.SmallFiles, options.LargeFiles, options.LargeFileMiB);
            var objects = sample.Objects();
            await StepAsync(2, $"generating {objects.Count} files ({options.SmallFiles} of 100KiB-1MiB, {options.LargeFiles} of {options.LargeFileMiB}MiB; " +
                $"{Units.Bytes(sample.TotalBytes)}) into s3://{Bucket} on a local S3 server (s3rver, {s3.Endpoint})");
            var watch = Stopwatch.StartNew();
            await sample.UploadAsync(s3.Endpoint, S3rverProcess.AccessKey, S3rverProcess.SecretKey, Bucket, cancellationToken);
            await output.WriteLineAsync($"      uploaded in {Units.Duration(watch.Elapsed)}");

            var manifestPath = Path.Combine(work, "dataset.yaml");
            // The SSD tier holds the whole sample (so the warm epoch is all hits); MEM keeps the hot part.
            var ssdGiB = Math.Max(1, (int)Math.Ceiling(sample.TotalBytes * 1.25 / (1L << 30)));
            await File.WriteAllTextAsync(manifestPath, Manifest(s3.Endpoint, Path.Combine(work, "cache"), ssdGiB), cancellationToken);
            var configuration = EngineConfigurationMapper.FromManifests(ManifestReader.Read(await File.ReadAllTextAsync(manifestPath, cancellationToken), manifestPath));
            var mountPoint = Path.Combine(work, "mnt");
            host = await EngineHost.StartAsync(configuration, new EngineHostOptions
            {
                MountPoint = mountPoint,
                RunDirectory = options.RunDirectory ?? Control.RunDirectory.DefaultPath(),
                LoggerFactory = options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
                Fuse = new FuseOptions { Passthrough = EngineHostOptions.DefaultPassthrough, AllowOther = Environment.IsPrivilegedProcess },
            }, cancellationToken);
            await StepAsync(3, $"fluid up -f {manifestPath}");
            await output.WriteLineAsync($"      dataset {DatasetName} mounted at {host.Mount!.MountPoint} (cache: MEM 512MiB + SSD {ssdGiB}GiB; control socket {host.SocketPath})");

            var root = Path.Combine(mountPoint, "sample");
            var files = EpochReader.ListFiles(root);
            await StepAsync(4, $"epoch 1 (cold): {options.Readers} readers read all {files.Count} files under {root} whole, in shuffled order, from S3 through the cache");
            var cold = await EpochReader.ReadAsync(files, options.Readers, seed: 1, cancellationToken);
            await output.WriteLineAsync("      " + Describe(cold));
            await StepAsync(5, "epoch 2 (warm): the same files in a new order, now served from the cache");
            var warm = await EpochReader.ReadAsync(files, options.Readers, seed: 2, cancellationToken);
            await output.WriteLineAsync("      " + Describe(warm));

            // The warm epoch is served mostly by the kernel's page cache (kept across opens); dropping the
            // mount's pages shows what the cache engine's own tiers deliver.
            await StepAsync(6, "epoch 3 (warm, the kernel's page cache of the mount dropped first): served by the cache's MEM and SSD tiers");
            foreach (var file in files)
            {
                host.Mount.Invalidate(Path.GetRelativePath(mountPoint, file));
            }

            var engine = await EpochReader.ReadAsync(files, options.Readers, seed: 3, cancellationToken);
            await output.WriteLineAsync("      " + Describe(engine));
            if (cold.Bytes != sample.TotalBytes || warm.Bytes != sample.TotalBytes || engine.Bytes != sample.TotalBytes)
            {
                throw new IOException($"the epochs read {cold.Bytes}, {warm.Bytes} and {engine.Bytes} bytes; the dataset has {sample.TotalBytes}");
            }

            await output.WriteLineAsync();
            await output.WriteLineAsync($"cold epoch {Units.Rate(cold.BytesPerSecond)}, warm epoch {Units.Rate(warm.BytesPerSecond)}: " +
                $"speed-up {Ratio(warm, cold)}x ({Ratio(engine, cold)}x from the cache tiers alone)");
            await output.WriteLineAsync();

            await StepAsync(7, $"fluid status {DatasetName}");
            await Task.Delay(1100, cancellationToken); // one more throughput sample
            using (var client = new ControlClient(host.SocketPath!))
            {
                var status = await client.GetStatusAsync(cancellationToken);
                await output.WriteAsync(StatusTable.Format([status]));
                await output.WriteLineAsync($"      (hits {status.Counters.MemoryHits + status.Counters.DiskHits}, misses {status.Counters.Misses}, " +
                    $"{Units.Bytes(status.Counters.SourceBytes)} read from S3, {status.Fuse?.ReadRequests ?? 0} FUSE READ requests)");
            }

            await output.WriteLineAsync();
            await output.WriteLineAsync($"Done in {Units.Duration(total.Elapsed)}. Your own data: write a Dataset like the ones in examples/ (this run used {manifestPath}, now removed) and run `./fluid up -f dataset.yaml` (docs/cli.md).");
            return 0;
        }
        finally
        {
            await output.WriteLineAsync("cleaning up: unmounting, stopping the S3 server, removing " + work);
            if (host is not null)
            {
                await host.DisposeAsync();
            }

            if (s3 is not null)
            {
                await s3.DisposeAsync();
            }

            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await output.WriteLineAsync($"could not remove {work}: {ex.Message}");
            }
        }
    }

    /// <summary>The manifest the quickstart runs: a Secret, the Dataset on the local S3 server, and its runtime.</summary>
    public static string Manifest(string endpoint, string cacheDirectory, int ssdGiB = 1) => $$"""
        # Generated by `fluid quickstart`: the sample dataset on a local S3 server.
        apiVersion: v1
        kind: Secret
        metadata:
          name: quickstart-s3
        stringData:
          access-key: {{S3rverProcess.AccessKey}}
          secret-key: {{S3rverProcess.SecretKey}}
        ---
        apiVersion: data.fluid.io/v1alpha1
        kind: Dataset
        metadata:
          name: {{DatasetName}}
        spec:
          mounts:
            - mountPoint: s3://{{Bucket}}
              name: sample
              options:
                endpoint: {{endpoint}}
                region: us-east-1
              encryptOptions:
                - name: access-key
                  valueFrom:
                    secretKeyRef:
                      name: quickstart-s3
                      key: access-key
                - name: secret-key
                  valueFrom:
                    secretKeyRef:
                      name: quickstart-s3
                      key: secret-key
        ---
        apiVersion: data.fluid.io/v1alpha1
        kind: FluidCacheRuntime
        metadata:
          name: {{DatasetName}}
        spec:
          tieredstore:
            levels:
              - mediumtype: MEM
                path: /dev/shm
                quota: 512Mi
              - mediumtype: SSD
                path: {{cacheDirectory}}
                quota: {{ssdGiB}}Gi

        """;

    private async Task StepAsync(int step, string text)
    {
        await output.WriteLineAsync($"[{step}/{Steps}] {text}");
        await output.FlushAsync();
    }

    private static string Ratio(EpochResult a, EpochResult b) => (a.BytesPerSecond / Math.Max(1, b.BytesPerSecond)).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Describe(EpochResult epoch) =>
        $"{epoch.Files} files, {Units.Bytes(epoch.Bytes)} in {Units.Duration(epoch.Elapsed)}: {Units.Rate(epoch.BytesPerSecond)}, " +
        $"{epoch.FilesPerSecond.ToString("0", CultureInfo.InvariantCulture)} files/s";
}
