using Fluid.Cache.Cluster.Client;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Security;
using Fluid.Storage.Mounts;
using Fluid.Testing;

namespace Fluid.Cache.Cluster.Tests;

/// <summary>A `fluid worker` process over a real S3-protocol server (s3rver), read through a client.</summary>
public sealed class S3WorkerTests(S3ServerFixture s3) : IClassFixture<S3ServerFixture>
{
    [Fact]
    public async Task WorkerOverS3_ClientReadsEveryByteThroughIt_AndNoSecretIsPrinted()
    {
        var bucket = await s3.CreateBucketAsync("cluster");
        var files = new Dictionary<string, byte[]>
        {
            ["train/a.bin"] = SourceTree.Content("s3-a", 2_500_000),
            ["train/b.bin"] = SourceTree.Content("s3-b", 700_000),
            ["train/deep/c.bin"] = SourceTree.Content("s3-c", 1 << 20),
            ["val/d.bin"] = SourceTree.Content("s3-d", 12_345),
        };
        foreach (var (key, content) in files)
        {
            await s3.PutAsync(bucket, key, content);
        }

        var root = TestPaths.CreateTempDirectory("cluster-s3");
        try
        {
            var secret = ClusterToken.GenerateSecret();
            var tokenFile = Path.Combine(root, "token");
            await File.WriteAllTextAsync(tokenFile, secret);
            int dataPort = FreePort.Next(), httpPort = FreePort.Next();
            await using var worker = ServerProcess.Start(
                "dotnet",
                [
                    ClusterFixture.FluidDll, "worker", "--verbose",
                    "--mount", $"s3=s3://{bucket}",
                    "--mount-option", $"s3.endpoint={s3.Endpoint}",
                    "--mount-option", $"s3.access-key={S3ServerFixture.AccessKey}",
                    "--mount-option", $"s3.secret-key={S3ServerFixture.SecretKey}",
                    "--tier", $"SSD:{Path.Combine(root, "ssd")}:64Mi",
                    "--dataset", "ml/s3data", "--token-file", tokenFile, "--id", "s3-worker-0",
                    "--listen", $"127.0.0.1:{dataPort}", "--http", $"127.0.0.1:{httpPort}",
                ],
                line => line.StartsWith("worker s3-worker-0 ready", StringComparison.Ordinal));
            await worker.WaitForLineAsync(TimeSpan.FromSeconds(60));

            var token = ClusterToken.FromSecret(secret);
            var mount = new UfsMount("s3", $"s3://{bucket}", new Dictionary<string, string>
            {
                ["endpoint"] = s3.Endpoint,
                ["access-key"] = S3ServerFixture.AccessKey,
                ["secret-key"] = S3ServerFixture.SecretKey,
            });
            await using var client = new ClusterClient(
                new ClusterClientOptions { Dataset = "ml/s3data", Token = token, NodeName = "client" },
                new StaticMembership([new WorkerEndpoint("s3-worker-0", "127.0.0.1", dataPort, httpPort)]));
            await using var cache = await client.OpenCacheAsync(
                new CacheOptions { Tiers = [new TierOptions { Medium = MediumType.Mem, Quota = 8L << 20, Eviction = EvictionPolicyKind.Fifo }] },
                [new DatasetMount("s3", UfsRegistry.CreateDefault().Create(mount))]);

            foreach (var (key, content) in files)
            {
                var bytes = await SourceTree.ReadAllAsync(cache, "/s3/" + key);
                Assert.True(bytes.AsSpan().SequenceEqual(content), $"{key} differs");
            }

            var counters = client.GetCounters();
            Assert.Equal(files.Values.Sum(c => (long)c.Length), counters.RemoteBytes);
            Assert.Equal(0, counters.SourceFallbacks);
            var statuses = await client.GetWorkerStatusesAsync(CancellationToken.None);
            Assert.Equal(files.Values.Sum(c => (long)c.Length), statuses.Single().Summary!.SourceBytes);
            Assert.DoesNotContain(secret, worker.Tail, StringComparison.Ordinal);
            Assert.DoesNotContain(S3ServerFixture.SecretKey, worker.Tail, StringComparison.Ordinal);
            Assert.Contains("ready", worker.Tail, StringComparison.Ordinal);
        }
        finally
        {
            TestPaths.DeleteQuietly(root);
        }
    }
}
