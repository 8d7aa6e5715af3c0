using System.Diagnostics;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Security;
using Fluid.Testing;

namespace Fluid.Cache.Cluster.Tests;

public sealed class UnitTests
{
    [Theory]
    [InlineData("w0=127.0.0.1:7520", "w0", "127.0.0.1", 7520, 0, null)]
    [InlineData("demo-worker-2=10.0.3.7:7520:7521@node-a", "demo-worker-2", "10.0.3.7", 7520, 7521, "node-a")]
    [InlineData("w=[::1]:7520:7521", "w", "::1", 7520, 7521, null)]
    [InlineData("w=worker-0.svc.cluster.local:9000@n", "w", "worker-0.svc.cluster.local", 9000, 0, "n")]
    public void WorkerEndpoint_Parse_ReadsEveryPart(string text, string id, string host, int data, int http, string? node)
    {
        var endpoint = WorkerEndpoint.Parse(text);
        Assert.Equal(new WorkerEndpoint(id, host, data, http, node), endpoint);
        Assert.Equal(endpoint, WorkerEndpoint.Parse(endpoint.ToString()));
    }

    [Theory]
    [InlineData("127.0.0.1:7520", "ID=HOST")]
    [InlineData("w=127.0.0.1", "HOST:DATAPORT")]
    [InlineData("w=127.0.0.1:0", "ports")]
    [InlineData("w=127.0.0.1:70000", "ports")]
    [InlineData("w=127.0.0.1:7520@", "empty node")]
    [InlineData("w=[::1:7520", "IPv6")]
    public void WorkerEndpoint_ParseBadText_SaysWhatIsWrong(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => WorkerEndpoint.Parse(text));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StaticMembership_DuplicateIds_Refused()
    {
        var error = Assert.Throws<ArgumentException>(() => StaticMembership.Parse("a=h:1,b=h:2,a=h:3"));
        Assert.Contains("\"a\" appears 2 times", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StaticMembership_Update_NotifiesWithTheNewList()
    {
        var membership = StaticMembership.Parse("a=h:1");
        IReadOnlyList<WorkerEndpoint>? seen = null;
        membership.Changed += list => seen = list;
        membership.Update([WorkerEndpoint.Parse("a=h:1"), WorkerEndpoint.Parse("b=h:2")]);
        Assert.Equal(["a", "b"], seen!.Select(w => w.Id));
        Assert.Same(seen, membership.Current);
    }

    [Fact]
    public void Token_Credential_BoundToSecretAndDataset()
    {
        var a = ClusterToken.FromSecret("secret-of-runtime-a-0123456789");
        var same = ClusterToken.FromSecret("  secret-of-runtime-a-0123456789\n");
        var b = ClusterToken.FromSecret("secret-of-runtime-b-0123456789");

        Assert.Equal(32, a.DeriveCredential("ns/x").Length);
        Assert.Equal(a.DeriveCredential("ns/x"), same.DeriveCredential("ns/x"));
        Assert.NotEqual(a.DeriveCredential("ns/x"), a.DeriveCredential("ns/y"));
        Assert.NotEqual(a.DeriveCredential("ns/x"), b.DeriveCredential("ns/x"));
        Assert.Equal("ClusterToken(***)", a.ToString());
        Assert.DoesNotContain("secret", a.AuthorizationHeader("ns/x"), StringComparison.Ordinal);
    }

    [Fact]
    public void Token_TooShortOrMissingFile_ClearError()
    {
        var shortSecret = Assert.Throws<ArgumentException>(() => ClusterToken.FromSecret("short", "token file /x"));
        Assert.Contains("token file /x: the token has 5 bytes; at least 16", shortSecret.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ArgumentException>(() => ClusterToken.FromFile("/nonexistent/fluid/token"));
        Assert.Contains("token file /nonexistent/fluid/token", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CredentialCheck_MissingWrongAndRight()
    {
        var token = ClusterToken.FromSecret(ClusterToken.GenerateSecret());
        var check = new CredentialCheck(token.DeriveCredential("ns/x"));

        Assert.Equal(AuthFailure.None, check.Check(token.DeriveCredential("ns/x")));
        Assert.Equal(AuthFailure.Missing, check.Check(new byte[32]));
        Assert.Equal(AuthFailure.Wrong, check.Check(token.DeriveCredential("ns/y")));
        Assert.Equal(AuthFailure.None, check.CheckHeader(token.AuthorizationHeader("ns/x")));
        Assert.Equal(AuthFailure.Missing, check.CheckHeader(null));
        Assert.Equal(AuthFailure.Wrong, check.CheckHeader("Basic dXNlcjpwYXNz"));
        Assert.Equal(AuthFailure.Wrong, check.CheckHeader("Bearer ***not-base64***"));
        Assert.Equal(AuthFailure.Wrong, check.CheckHeader("Bearer " + new string('A', 400)));
    }

    [Fact]
    public async Task WorkerCommand_BadFlags_ExitCode2AndEveryProblemNamed()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { ClusterFixture.FluidDll, "worker", "--mount", "nameonly", "--tier", "RAM:1Gi", "--tier", "SSD:/x", "--listen", "nowhere", "--token-file", "/nonexistent/token" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove(ClusterToken.EnvironmentVariable);
        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--mount[0]: \"nameonly\" is not NAME=URI", stderr, StringComparison.Ordinal);
        Assert.Contains("--tier[0] \"RAM:1Gi\": medium must be MEM, SSD or HDD", stderr, StringComparison.Ordinal);
        Assert.Contains("--tier[1] \"SSD:/x\": expected SSD:DIR[,DIR...]:QUOTA", stderr, StringComparison.Ordinal);
        Assert.Contains("--dataset:", stderr, StringComparison.Ordinal);
        Assert.Contains("--listen: \"nowhere\"", stderr, StringComparison.Ordinal);
        Assert.Contains("token file /nonexistent/token", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkerCommand_Config_MapsDatasetAndRuntime()
    {
        var root = TestPaths.CreateTempDirectory("worker-config");
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "data"));
            await File.WriteAllTextAsync(Path.Combine(root, "data", "a.txt"), "hello");
            await File.WriteAllTextAsync(Path.Combine(root, "token"), ClusterToken.GenerateSecret());
            var manifest = Path.Combine(root, "manifest.yaml");
            await File.WriteAllTextAsync(manifest, $"""
                apiVersion: data.fluid.io/v1alpha1
                kind: Dataset
                metadata:
                  name: photos
                  namespace: team
                spec:
                  mounts:
                    - name: local
                      mountPoint: local://{root}/data
                ---
                apiVersion: data.fluid.io/v1alpha1
                kind: FluidCacheRuntime
                metadata:
                  name: photos
                  namespace: team
                spec:
                  replicas: 1
                  tieredstore:
                    levels:
                      - mediumtype: MEM
                        path: /dev/shm
                        quota: 64Mi
                      - mediumtype: SSD
                        path: {root}/ssd1,{root}/ssd2
                        quotaList: 100Mi,50Mi
                """);
            await using var worker = ServerProcess.Start(
                "dotnet",
                [ClusterFixture.FluidDll, "worker", "--config", manifest, "--token-file", Path.Combine(root, "token"), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--id", "photos-worker-0"],
                line => line.Contains(" ready: ", StringComparison.Ordinal));
            var ready = await worker.WaitForLineAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("worker photos-worker-0 ready: dataset team/photos, data 127.0.0.1:", ready, StringComparison.Ordinal);
        }
        finally
        {
            TestPaths.DeleteQuietly(root);
        }
    }
}
