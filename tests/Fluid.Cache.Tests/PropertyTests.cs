using CsCheck;
using Fluid.Cache.Tests.Sources;

namespace Fluid.Cache.Tests;

/// <summary>Invariants checked over random operation sequences (CsCheck shrinks a failure to a small case).</summary>
public sealed class PropertyTests
{
    private const int FileCount = 10;

    /// <summary>One step of a random run.</summary>
    public abstract record Op;

    public sealed record Read(int File, int Offset, int Length) : Op;

    public sealed record ParallelReads(int File, int Readers) : Op;

    public sealed record Evict(int Store, double Fraction) : Op;

    public sealed record Rewrite(int File, int Seed) : Op;

    public sealed record Restart : Op;

    public sealed record CorruptThenRestart(int Pick, int Offset) : Op;

    private static readonly Gen<Op> ReadGen =
        Gen.Select(Gen.Int[0, FileCount - 1], Gen.Int[0, 6 * TestData.Page], Gen.Int[1, 3 * TestData.Page], (f, o, l) => (Op)new Read(f, o, l));

    private static readonly Gen<Op> ParallelGen = Gen.Select(Gen.Int[0, FileCount - 1], Gen.Int[2, 6], (f, n) => (Op)new ParallelReads(f, n));

    private static readonly Gen<Op> EvictGen = Gen.Select(Gen.Int[0, 4], Gen.Double[0, 1], (s, f) => (Op)new Evict(s, f));

    private static readonly Gen<Op> RewriteGen = Gen.Select(Gen.Int[0, FileCount - 1], Gen.Int, (f, s) => (Op)new Rewrite(f, s));

    private static readonly Gen<Op> RestartGen = Gen.Const((Op)new Restart());

    private static readonly Gen<Op> CorruptGen = Gen.Select(Gen.Int[0, 1000], Gen.Int[0, 5 * TestData.Page], (p, o) => (Op)new CorruptThenRestart(p, o));

    private static CacheOptions Options(string root, EvictionPolicyKind policy) => new()
    {
        PageSize = TestData.Page,
        ReadaheadBytes = 2 * TestData.Page,
        MetadataTtl = TimeSpan.Zero,
        LoadParallelism = 2,
        Tiers =
        [
            new TierOptions { Medium = MediumType.Mem, Quota = 6 * TestData.Page, High = 0.9, Low = 0.6, Eviction = policy },
            new TierOptions
            {
                Medium = MediumType.Ssd,
                Directories = [new TierDirectory(Path.Combine(root, "ssd1"), 5 * TestData.Page), new TierDirectory(Path.Combine(root, "ssd2"), 7 * TestData.Page)],
                High = 0.9,
                Low = 0.7,
                Eviction = policy,
            },
            new TierOptions { Medium = MediumType.Hdd, Directories = [new TierDirectory(Path.Combine(root, "hdd"), 9 * TestData.Page)], Eviction = policy },
        ],
    };

    private static MemoryUnderFileSystem NewSource(int seed)
    {
        var source = new MemoryUnderFileSystem();
        var random = new Random(seed);
        for (var i = 0; i < FileCount; i++)
        {
            source.Write($"f{i}", TestData.Bytes(random.Next(1, 6 * TestData.Page), random.Next()));
        }

        return source;
    }

    [Fact]
    public void RandomOperations_NeverExceedAnyTierQuota()
    {
        Gen.Select(Gen.Frequency((6, ReadGen), (3, ParallelGen), (2, EvictGen), (1, RewriteGen)).Array[5, 40], Gen.Enum<EvictionPolicyKind>(), Gen.Int)
            .Sample((ops, policy, seed) => RunAsync(ops, policy, seed, checkBytes: false).GetAwaiter().GetResult(), iter: 25, threads: 1);
    }

    [Fact]
    public void RandomReadsEvictionsRestartsAndRewrites_AlwaysReturnTheSourceBytes()
    {
        Gen.Select(Gen.Frequency((6, ReadGen), (2, ParallelGen), (2, EvictGen), (1, RewriteGen), (1, RestartGen), (1, CorruptGen)).Array[5, 30], Gen.Enum<EvictionPolicyKind>(), Gen.Int)
            .Sample((ops, policy, seed) => RunAsync(ops, policy, seed, checkBytes: true).GetAwaiter().GetResult(), iter: 25, threads: 1);
    }

    private static async Task RunAsync(Op[] ops, EvictionPolicyKind policy, int seed, bool checkBytes)
    {
        using var dir = new TempDirectory();
        var source = NewSource(seed);
        var options = Options(dir.Path, policy);
        var cache = await TestData.OpenAsync(options, source);
        using var stop = new CancellationTokenSource();

        // Samples usage while operations run, so a quota exceeded even for a moment is caught.
        var sampler = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var tier in cache.GetSummary().Tiers)
                {
                    if (tier.Used > tier.Quota)
                    {
                        return $"{tier.Name} used {tier.Used} > quota {tier.Quota}";
                    }
                }

                Thread.Yield();
            }

            return null;
        });

        try
        {
            foreach (var op in ops)
            {
                switch (op)
                {
                    case Read r:
                        await CheckReadAsync(cache, source, r.File, r.Offset, r.Length, checkBytes);
                        break;
                    case ParallelReads p:
                        await Task.WhenAll(Enumerable.Range(0, p.Readers).Select(i => Task.Run(() => CheckReadAsync(cache, source, p.File, i * 1000, 3 * TestData.Page, checkBytes))));
                        break;
                    case Evict e:
                        var store = cache.Stores[e.Store % cache.Stores.Count];
                        cache.EvictDownTo(store, (long)(store.Quota * e.Fraction));
                        break;
                    case Rewrite w:
                        source.Write($"f{w.File}", TestData.Bytes(new Random(w.Seed).Next(1, 6 * TestData.Page), w.Seed));
                        break;
                    case Restart:
                        await cache.DisposeAsync();
                        cache = await TestData.OpenAsync(options, source);
                        break;
                    case CorruptThenRestart c:
                        await cache.DisposeAsync();
                        var blobs = Directory.GetFiles(dir.Path, "*.blob", SearchOption.AllDirectories);
                        if (blobs.Length > 0)
                        {
                            var blob = blobs[c.Pick % blobs.Length];
                            var length = new FileInfo(blob).Length;
                            if (length > 0)
                            {
                                await using var stream = new FileStream(blob, FileMode.Open, FileAccess.ReadWrite);
                                stream.Position = c.Offset % length;
                                var b = stream.ReadByte();
                                stream.Position = c.Offset % length;
                                stream.WriteByte((byte)(b ^ 0x5A));
                            }
                        }

                        cache = await TestData.OpenAsync(options, source);
                        break;
                }

                if (sampler.IsCompleted)
                {
                    break;
                }
            }

            var accounting = await WaitForConsistentAccountingAsync(cache);
            Assert.True(accounting is null, accounting);
        }
        finally
        {
            await stop.CancelAsync();
            var violation = await sampler;
            await cache.DisposeAsync();
            Assert.True(violation is null, violation);
        }
    }

    private static async Task CheckReadAsync(DatasetCache cache, MemoryUnderFileSystem source, int file, int offset, int length, bool checkBytes)
    {
        var path = $"f{file}";
        var buffer = new byte[length];
        var n = await cache.ReadAsync("/data/" + path, offset, buffer, CancellationToken.None);
        if (!checkBytes)
        {
            return;
        }

        // TTL 0 and no concurrent rewrites: the source's current bytes are the only right answer.
        var expected = source.Content(path);
        var want = (int)Math.Clamp(expected.Length - (long)offset, 0, length);
        Assert.Equal(want, n);
        Assert.True(expected.AsSpan(Math.Min(offset, expected.Length), want).SequenceEqual(buffer.AsSpan(0, n)), $"bytes of {path} at {offset}+{n} differ from the source");
    }

    private static async Task<string?> WaitForConsistentAccountingAsync(DatasetCache cache)
    {
        string? problem = null;
        for (var i = 0; i < 200; i++)
        {
            problem = cache.CheckAccounting();
            if (problem is null)
            {
                return null;
            }

            await Task.Delay(10);
        }

        return problem;
    }
}
