using Fluid.Testing;

namespace Fluid.Cli.Tests.Cluster;

/// <summary>`fluid load --membership` as the DataLoad Jobs run it: no engine, the load goes straight to the workers.</summary>
[Collection(WorkerClusterCollection.Name)]
public sealed class LoadCommandTests(WorkerClusterFixture cluster) : IDisposable
{
    private readonly string _dir = TestPaths.CreateTempDirectory("cli-load");

    public void Dispose() => TestPaths.DeleteQuietly(_dir);

    [Fact]
    public async Task Load_StaticMembership_EveryPageLandsOnceSpreadOverTheWorkers()
    {
        var (code, output, error) = await FluidProcess.RunAsync(
            null,
            TimeSpan.FromSeconds(120),
            "load", "demo", "/",
            "--config", cluster.Manifest,
            "--token-file", cluster.TokenFile,
            "--membership", cluster.StaticMembership,
            "--load-metadata",
            "--option", "batchPieces=4",
            "--option", "timeout=2m");

        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        Assert.Contains($"Loaded {WorkerClusterFixture.Files.Length} files (", output, StringComparison.Ordinal);
        Assert.DoesNotContain(cluster.Secret, output + error, StringComparison.Ordinal);

        var summaries = await Task.WhenAll(Enumerable.Range(0, WorkerClusterFixture.WorkerCount).Select(cluster.SummaryAsync));
        Assert.All(summaries, s => Assert.True(s.Cached > 0, $"{s.WorkerId} holds nothing"));
        Assert.Equal(WorkerClusterFixture.TotalBytes, summaries.Sum(s => s.Cached));
        Assert.Equal(cluster.Workers.Select(w => w.Id), summaries.Select(s => s.WorkerId));
    }

    [Fact]
    public async Task Load_FailedPaths_ExitOneNamingThePath()
    {
        var (code, _, error) = await FluidProcess.RunAsync(
            null, TimeSpan.FromSeconds(60), "load", "team/demo", "/data/nope", "--config", cluster.Manifest, "--token-file", cluster.TokenFile, "--membership", cluster.StaticMembership);

        Assert.Equal(1, code);
        Assert.Contains("/data/nope", error, StringComparison.Ordinal);
        Assert.Contains("no such file or directory", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_NoWorkerControlPortAnswers_ExitOneListingTheFailedFiles()
    {
        // The worker's data port is right but nothing listens on the control port the list gives: every batch fails.
        var worker = cluster.Workers[0];
        var membership = $"static:{worker.Id}=127.0.0.1:{worker.DataPort}:{FreePort.Next()}@{worker.Node}";

        var (code, output, error) = await FluidProcess.RunAsync(
            null, TimeSpan.FromSeconds(120), "load", "demo", "/data/small", "--config", cluster.Manifest, "--token-file", cluster.TokenFile, "--membership", membership);

        Assert.True(code == 1, $"exit {code}\n{output}\n{error}");
        Assert.Contains("fluid load: 24 files failed:", error, StringComparison.Ordinal);
        Assert.Contains("small/s00.bin", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("demo", "--option", "replicas=2", "--option: unknown key \"replicas\" (understood: batchBytes, batchPieces, idleTimeout, timeout)")]
    [InlineData("demo", "--option", "timeout=soon", "--option timeout: \"soon\" is not a duration such as 30m")]
    [InlineData("demo", "--replicas", "0", "--replicas must be 1 to 16 (got 0)")]
    [InlineData("demo", "--replicas", "17", "--replicas must be 1 to 16 (got 17)")]
    [InlineData("demo", "--option", "batchPieces", "--option: \"batchPieces\" is not KEY=VALUE")]
    [InlineData("imagenet", "--option", "timeout=1m", "NAME: no Dataset \"imagenet\" in --config (found: team/demo)")]
    [InlineData("other/demo", "--option", "timeout=1m", "NAME: no Dataset \"other/demo\" in --config (found: team/demo)")]
    public async Task Load_BadOptionOrName_ExitTwoNamingIt(string name, string flag, string value, string expected)
    {
        var (code, _, error) = await CommandLine.RunAsync("load", name, "--config", cluster.Manifest, "--token-file", cluster.TokenFile, "--membership", cluster.StaticMembership, flag, value);

        Assert.Equal(2, code);
        Assert.Equal($"fluid load: {expected}", error.Trim());
    }

    [Theory]
    [InlineData("static:", "--membership: \"static:\" lists no workers")]
    [InlineData("static:w0=127.0.0.1:99999", "--membership: worker \"w0=127.0.0.1:99999\": ports must be numbers from 1 to 65535")]
    [InlineData("static:w0=127.0.0.1:7520,w0=127.0.0.1:7522", "--membership: worker id \"w0\" appears 2 times")]
    [InlineData("endpointslices:team", "--membership: \"endpointslices:team\" is not static:ID=HOST:DATA[:HTTP][@NODE],... or endpointslices:NAMESPACE/SERVICE")]
    public async Task Load_BadMembership_ExitTwoNamingIt(string membership, string expected)
    {
        var (code, _, error) = await CommandLine.RunAsync("load", "demo", "--config", cluster.Manifest, "--token-file", cluster.TokenFile, "--membership", membership);

        Assert.Equal(2, code);
        Assert.StartsWith($"fluid load: {expected}", error.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_DaemonlessFlagsWithoutMembership_ExitTwo()
    {
        var (code, _, error) = await CommandLine.RunAsync("load", "demo", "--config", cluster.Manifest, "--option", "timeout=1m");

        Assert.Equal(2, code);
        Assert.Equal("fluid load: --config, --option only apply with --membership (a load without a running engine)", error.Trim());
    }
}
