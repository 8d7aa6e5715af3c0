using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Fluid.Cache.Cluster.Protocol;
using Fluid.Cache.Cluster.Security;

namespace Fluid.Cache.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ClusterProcessTests(ClusterFixture cluster)
{
    [Fact]
    public async Task ReadThroughClient_EveryByteEqualsTheSourceAndEveryWorkerServes()
    {
        await using var client = cluster.CreateClient();
        // Room for the whole tree, so that no readahead page is evicted before its reader reaches it (and fetched twice).
        await using var cache = await cluster.OpenClientCacheAsync(client, memory: 64L << 20);
        var before = await Task.WhenAll(Enumerable.Range(0, ClusterFixture.WorkerCount).Select(cluster.SummaryAsync));

        foreach (var (path, length) in SourceTree.Under("read"))
        {
            var bytes = await SourceTree.ReadAllAsync(cache, "/data/" + path);
            Assert.Equal(length, bytes.Length);
            Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(cluster.SourceDirectory, path))), $"{path} differs from the source");
        }

        var after = await Task.WhenAll(Enumerable.Range(0, ClusterFixture.WorkerCount).Select(cluster.SummaryAsync));
        var counters = client.GetCounters();
        Assert.Equal(0, counters.SourceFallbacks);
        Assert.Equal(0, counters.Failovers);
        Assert.True(counters.RemoteReads > 0);
        var total = SourceTree.Under("read").Sum(f => (long)f.Length);
        Assert.InRange(counters.RemoteBytes, total, total * 11 / 10);
        Assert.Equal(counters.RemoteBytes, after.Zip(before).Sum(p => p.First.BytesServed - p.Second.BytesServed));

        // 20 MiB in 2 MiB segments plus ten files: every worker owns a part and served it.
        Assert.All(after.Zip(before), p => Assert.True(p.First.Reads > p.Second.Reads, $"{p.First.WorkerId} served nothing"));
    }

    [Fact]
    public async Task Load_SpreadsPagesAcrossWorkersExactlyAsTheRingAssigns()
    {
        await using var client = cluster.CreateClient();
        await using var cache = await cluster.OpenClientCacheAsync(client);
        var before = await cluster.QuiesceAsync();
        var expected = new long[ClusterFixture.WorkerCount];
        foreach (var (path, length) in SourceTree.Under("load"))
        {
            var entry = (await cache.StatAsync("/data/" + path, CancellationToken.None))!;
            var step = length > ClusterFixture.Placement.SegmentThreshold ? ClusterFixture.Placement.SegmentSize : Math.Max(1, length);
            for (long offset = 0; offset < length; offset += step)
            {
                var owner = client.OwnerOf("data", entry.Source, offset)!;
                expected[Array.FindIndex(cluster.Workers, w => w.Id == owner)] += Math.Min(step, length - offset);
            }
        }

        var reports = new List<LoadProgress>();
        var summary = await client.LoadAsync(cache, ["/data/load"], new Progress(reports), CancellationToken.None);

        var after = await Task.WhenAll(Enumerable.Range(0, ClusterFixture.WorkerCount).Select(cluster.SummaryAsync));
        var total = SourceTree.Under("load").Sum(f => (long)f.Length);
        Assert.Equal(41, summary.Files);
        Assert.Equal(total, summary.Bytes);
        Assert.Equal(total, summary.BytesFetched);
        Assert.Equal(0, summary.BytesAlreadyCached);
        Assert.Equal(0, summary.FailedFiles);
        for (var i = 0; i < ClusterFixture.WorkerCount; i++)
        {
            Assert.True(expected[i] > 0, $"the ring gives {cluster.Workers[i].Id} nothing of the load tree");
            Assert.Equal(expected[i], after[i].Cached - before[i].Cached);
        }

        var last = reports[^1];
        Assert.Equal((41L, 41L, total, total, true), (last.FilesDone, last.FilesTotal, last.BytesDone, last.BytesTotal, last.TotalsFinal));
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.Second.BytesDone >= p.First.BytesDone), "progress went backwards");

        var again = await client.LoadAsync(cache, ["/data/load"], null, CancellationToken.None);
        Assert.Equal((total, 0L), (again.BytesAlreadyCached, again.BytesFetched));
    }

    [Fact]
    public async Task KillWorkerMidRead_NoErrorNoWrongByte_RestartRejoinsAndServes()
    {
        var victim = cluster.Workers[1];
        await using var client = cluster.CreateClient();
        var files = SourceTree.Under("kill").ToArray();
        var expected = files.ToDictionary(f => f.Path, f => File.ReadAllBytes(Path.Combine(cluster.SourceDirectory, f.Path)));
        var victimFiles = new List<string>();
        await using (var probe = await cluster.OpenClientCacheAsync(client))
        {
            foreach (var (path, _) in files)
            {
                var entry = (await probe.StatAsync("/data/" + path, CancellationToken.None))!;
                if (client.OwnerOf("data", entry.Source, 0) == victim.Id)
                {
                    victimFiles.Add(path);
                }
            }
        }

        Assert.NotEmpty(victimFiles);
        var firstPass = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var killed = false;
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            var order = files.Select(f => f.Path).OrderBy(p => HashCode.Combine(p, r)).ToArray();
            for (var pass = 0; pass < 3; pass++)
            {
                // A fresh small cache per pass: every pass reads through the workers again.
                await using var cache = await cluster.OpenClientCacheAsync(client, memory: 4L << 20);
                foreach (var path in order)
                {
                    var bytes = await SourceTree.ReadAllAsync(cache, "/data/" + path);
                    Assert.True(bytes.AsSpan().SequenceEqual(expected[path]), $"reader {r} pass {pass}: {path} differs (killed: {Volatile.Read(ref killed)})");
                    if (r == 0 && path == order[order.Length / 3])
                    {
                        firstPass.TrySetResult();
                    }
                }
            }
        })).ToArray();

        await firstPass.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await victim.KillAsync();
        Volatile.Write(ref killed, true);
        await Task.WhenAll(readers);

        var counters = client.GetCounters();
        Assert.True(counters.WorkersMarkedDown >= 1, "the killed worker was never marked down");
        Assert.True(counters.Failovers >= 1, "no read had to fail over");
        Assert.Equal(0, counters.SourceFallbacks);
        Assert.DoesNotContain(client.LiveWorkers, w => w.Id == victim.Id);

        // Restarted at the same address with the same disk tier: the client's probe brings it back.
        var servedBefore = 0L;
        await victim.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!client.LiveWorkers.Any(w => w.Id == victim.Id) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains(client.LiveWorkers, w => w.Id == victim.Id);
        Assert.True(client.GetCounters().WorkersRejoined >= 1);
        servedBefore = (await cluster.SummaryAsync(1)).BytesServed;
        await using (var cache = await cluster.OpenClientCacheAsync(client))
        {
            foreach (var path in victimFiles)
            {
                var bytes = await SourceTree.ReadAllAsync(cache, "/data/" + path);
                Assert.True(bytes.AsSpan().SequenceEqual(expected[path]), $"{path} differs after the restart");
            }
        }

        var served = (await cluster.SummaryAsync(1)).BytesServed - servedBefore;
        Assert.Equal(victimFiles.Sum(p => (long)expected[p].Length), served);
    }

    [Fact]
    public async Task Auth_NoWrongOrOtherRuntimesCredential_RefusedAndCounted()
    {
        var before = (await cluster.SummaryAsync(0)).AuthFailures;
        var other = ClusterToken.FromSecret(ClusterToken.GenerateSecret());

        Assert.Equal(WireStatus.Unauthorized, await RawPingAsync(new byte[32]));
        Assert.Equal(WireStatus.Unauthorized, await RawPingAsync(other.DeriveCredential(ClusterFixture.Dataset)));
        Assert.Equal(WireStatus.Unauthorized, await RawPingAsync(cluster.Token.DeriveCredential("default/other-dataset")));
        Assert.Equal(WireStatus.Ok, await RawPingAsync(cluster.Token.DeriveCredential(ClusterFixture.Dataset)));

        using (var none = await cluster.GetAsync(0, "/summary"))
        using (var wrong = await cluster.GetAsync(0, "/summary", other.AuthorizationHeader(ClusterFixture.Dataset)))
        using (var otherDataset = await cluster.GetAsync(0, "/summary", cluster.Token.AuthorizationHeader("default/other-dataset")))
        using (var garbage = await cluster.GetAsync(0, "/summary", "Bearer !!!"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, otherDataset.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
        }

        Assert.Equal(before + 7, (await cluster.SummaryAsync(0)).AuthFailures);
        using var metrics = await cluster.GetAsync(0, "/metrics");
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Matches("fluid_cluster_auth_failures_total\\{[^}]*reason=\"missing\",port=\"data\"\\} [1-9]", text);
        Assert.Matches("fluid_cluster_auth_failures_total\\{[^}]*reason=\"wrong\",port=\"http\"\\} [3-9]", text);

        // A client with another runtime's token reads nothing from the workers (correct bytes come from the source).
        await using var stranger = cluster.CreateClient(token: other);
        await using var cache = await cluster.OpenClientCacheAsync(stranger);
        var bytes = await SourceTree.ReadAllAsync(cache, "/data/read/mid-a.bin");
        Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(cluster.SourceDirectory, "read/mid-a.bin"))));
        var counters = stranger.GetCounters();
        Assert.Equal(0, counters.RemoteBytes);
        Assert.True(counters.Unauthorized >= 1);
        Assert.Equal(bytes.Length, counters.SourceFallbackBytes);
    }

    [Fact]
    public async Task ShortCircuit_CoLocated_ReadsBlobsDirectlyAndBytesAreCorrect()
    {
        var files = SourceTree.Under("sc").ToArray();
        var total = files.Sum(f => (long)f.Length);
        await using var client = cluster.CreateClient(nodeName: ClusterFixture.Node);
        await using (var loader = await cluster.OpenClientCacheAsync(client))
        {
            var summary = await client.LoadAsync(loader, ["/data/sc"], null, CancellationToken.None);
            Assert.Equal(0, summary.FailedFiles);
        }

        // First pass: the first page of each file goes over TCP and tells the client the file is whole on the worker's disk.
        await using (var cache = await cluster.OpenClientCacheAsync(client, readahead: 0))
        {
            foreach (var (path, _) in files)
            {
                await SourceTree.ReadAllAsync(cache, "/data/" + path);
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (client.BlobCount < files.Length && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var before = client.GetCounters();
        await using (var cache = await cluster.OpenClientCacheAsync(client))
        {
            foreach (var (path, _) in files)
            {
                var bytes = await SourceTree.ReadAllAsync(cache, "/data/" + path);
                Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(cluster.SourceDirectory, path))), $"{path} differs");
            }

            var after = client.GetCounters();
            Assert.InRange(after.ShortCircuitBytes - before.ShortCircuitBytes, total, total * 11 / 10);
            Assert.Equal(before.RemoteBytes, after.RemoteBytes);

            // The FUSE mount's passthrough path: a lease on the worker's blob, equal to the source file.
            var entry = (await cache.StatAsync("/data/sc/s2.bin", CancellationToken.None))!;
            using var lease = await cache.LeaseLocalFileAsync(entry, CancellationToken.None);
            Assert.NotNull(lease);
            Assert.StartsWith(cluster.Root, lease.Path, StringComparison.Ordinal);
            Assert.True(File.ReadAllBytes(lease.Path).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(cluster.SourceDirectory, "sc/s2.bin"))));
            Assert.True(cache.TryLeaseLocalFile(entry, out var syncLease));
            syncLease!.Dispose();
        }

        // Another node: never short-circuits, never gets a lease.
        await using var remote = cluster.CreateClient(nodeName: "another-node");
        await using var remoteCache = await cluster.OpenClientCacheAsync(remote);
        foreach (var (path, _) in files)
        {
            await SourceTree.ReadAllAsync(remoteCache, "/data/" + path);
        }

        var remoteEntry = (await remoteCache.StatAsync("/data/sc/s2.bin", CancellationToken.None))!;
        Assert.Null(await remoteCache.LeaseLocalFileAsync(remoteEntry, CancellationToken.None));
        Assert.Equal(0, remote.GetCounters().ShortCircuitReads);
        Assert.InRange(remote.GetCounters().RemoteBytes, total, total * 11 / 10);
    }

    [Fact]
    public async Task ControlPort_HealthReadinessSummaryAndMetrics()
    {
        using var health = await cluster.GetAsync(2, "/healthz");
        using var ready = await cluster.GetAsync(2, "/readyz");
        var summary = await cluster.SummaryAsync(2);
        using var metrics = await cluster.GetAsync(2, "/metrics");
        var text = await metrics.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal((cluster.Workers[2].Id, ClusterFixture.Node, ClusterFixture.Dataset, true), (summary.WorkerId, summary.NodeName, summary.Dataset, summary.Ready));
        Assert.Equal((32L << 20) + (256L << 20), summary.CacheCapacity);
        Assert.Equal(["MEM", "SSD"], summary.Tiers.Select(t => t.Medium));
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType!.ToString());
        Assert.Contains("# TYPE fluid_cache_cached_bytes gauge", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE fluid_cluster_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains($"fluid_worker=\"{cluster.Workers[2].Id}\"", text, StringComparison.Ordinal);
        Assert.Contains("fluid_cluster_throughput_bytes_per_second", text, StringComparison.Ordinal);
    }

    private async Task<WireStatus> RawPingAsync(byte[] credential)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, cluster.Workers[0].DataPort);
        var request = new byte[Wire.RequestHeaderSize];
        Wire.WriteRequestHeader(request, Opcode.Ping, RequestFlags.None, 0, credential);
        await socket.SendAsync(request);
        var answer = new byte[Wire.ResponseHeaderSize];
        var filled = 0;
        while (filled < answer.Length)
        {
            var n = await socket.ReceiveAsync(answer.AsMemory(filled));
            Assert.True(n > 0, "the worker closed the connection without answering");
            filled += n;
        }

        Assert.Equal(Wire.Magic, BinaryPrimitives.ReadUInt32LittleEndian(answer));
        return (WireStatus)answer[4];
    }

    private sealed class Progress(List<LoadProgress> reports) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
