using CsCheck;
using Fluid.Cache.Cluster.Ring;

namespace Fluid.Cache.Cluster.Tests;

public sealed class RingPropertyTests
{
    private static readonly Gen<string[]> Workers =
        Gen.Int[3, 64].SelectMany(n => Gen.String[Gen.Char.AlphaNumeric, 1, 24].HashSet[n, n]).Select(set => set.ToArray());

    [Fact]
    public void Shares_3To64Workers_EachWithin10PercentOfTheMean()
    {
        Workers.Sample(
            ids =>
            {
                var shares = new HashRing(ids).Shares();
                var mean = 1.0 / ids.Length;
                Assert.Equal(1.0, shares.Sum(), 6);
                Assert.All(shares, s => Assert.InRange(s, mean * 0.9, mean * 1.1));
            },
            iter: 40);
    }

    [Fact]
    public void Keys_3To64Workers_SpreadWithin10PercentOfTheMean()
    {
        // Counts of real keys (file paths and segments) rather than arc lengths: hashing of keys is uniform too.
        var placement = new PlacementOptions();
        Gen.Int[3, 64].Sample(
            n =>
            {
                var ring = new HashRing(Enumerable.Range(0, n).Select(i => $"dataset-worker-{i}"));
                var counts = new int[n];
                var keys = 6000 * n;
                for (var k = 0; k < keys; k++)
                {
                    counts[ring.OwnerOf(placement.KeyOf("imagenet", $"train/n{k / 1300:00000000}/img_{k}.JPEG", 110_000, 0))]++;
                }

                var mean = (double)keys / n;
                Assert.All(counts, c => Assert.InRange(c, mean * 0.9, mean * 1.1));
            },
            iter: 6);
    }

    [Fact]
    public void AddOneWorker_MovesOnlyItsShareAndOnlyToIt()
    {
        Workers.Select(Gen.String[Gen.Char.AlphaNumeric, 25, 30]).Sample(
            (ids, added) =>
            {
                var before = new HashRing(ids);
                var after = new HashRing(ids.Append(added));
                var moved = 0;
                const int Keys = 20_000;
                for (var k = 0; k < Keys; k++)
                {
                    var key = HashRing.HashKey($"mount\0dir/file-{k}");
                    var was = before.Workers[before.OwnerOf(key)];
                    var now = after.Workers[after.OwnerOf(key)];
                    if (was != now)
                    {
                        Assert.Equal(added, now);
                        moved++;
                    }
                }

                // The new worker takes about 1/(N+1) of the keys: its share of the ring, within ±10%, plus sampling noise.
                var expected = 1.0 / (ids.Length + 1);
                var share = after.Shares()[after.Workers.ToList().IndexOf(added)];
                Assert.InRange(share, expected * 0.9, expected * 1.1);
                Assert.InRange((double)moved / Keys, share - (4 * Math.Sqrt(share / Keys)), share + (4 * Math.Sqrt(share / Keys)));
            },
            iter: 25);
    }

    [Fact]
    public void RemoveOneWorker_MovesOnlyItsKeysToItsSuccessors()
    {
        Workers.Select(Gen.Int[0, 63]).Sample(
            (ids, pick) =>
            {
                var removed = ids[pick % ids.Length];
                var before = new HashRing(ids);
                var after = new HashRing(ids.Where(id => id != removed));
                var moved = 0;
                const int Keys = 20_000;
                Span<int> successors = stackalloc int[2];
                for (var k = 0; k < Keys; k++)
                {
                    var key = HashRing.HashKey($"mount\0dir/file-{k}");
                    var was = before.Workers[before.OwnerOf(key)];
                    var now = after.Workers[after.OwnerOf(key)];
                    if (was != removed)
                    {
                        Assert.Equal(was, now);
                        continue;
                    }

                    // The removed worker's keys go where a client of the old ring would fail over to.
                    before.Successors(key, successors);
                    Assert.Equal(before.Workers[successors[1]], now);
                    moved++;
                }

                var expected = 1.0 / ids.Length;
                Assert.InRange((double)moved / Keys, (expected * 0.9) - (4 * Math.Sqrt(expected / Keys)), (expected * 1.1) + (4 * Math.Sqrt(expected / Keys)));
            },
            iter: 25);
    }

    [Fact]
    public void Successors_AreDistinctAndStartWithTheOwner()
    {
        Workers.Select(Gen.ULong).Sample(
            (ids, key) =>
            {
                var ring = new HashRing(ids);
                Span<int> successors = stackalloc int[ids.Length + 3];
                var n = ring.Successors(key, successors);
                Assert.Equal(ids.Length, n);
                Assert.Equal(ring.OwnerOf(key), successors[0]);
                Assert.Equal(n, successors[..n].ToArray().Distinct().Count());
            },
            iter: 50);
    }

    [Fact]
    public void Ring_SameWorkersInAnyOrder_SameOwners()
    {
        var a = new HashRing(["w2", "w0", "w1"]);
        var b = new HashRing(["w1", "w2", "w0", "w1"]);
        for (var k = 0; k < 1000; k++)
        {
            var key = HashRing.HashKey($"k{k}");
            Assert.Equal(a.Workers[a.OwnerOf(key)], b.Workers[b.OwnerOf(key)]);
        }

        Assert.Equal(-1, HashRing.Empty.OwnerOf(42));
        Assert.Equal(0, HashRing.Empty.Successors(42, new int[3]));
    }

    [Fact]
    public void Placement_LargeFileBySegments_SpreadsAndSmallFileIsOneKey()
    {
        var placement = new PlacementOptions();
        var ring = new HashRing(["w0", "w1", "w2"]);
        const long Small = PlacementOptions.DefaultSegmentThreshold;
        var smallKeys = Enumerable.Range(0, 256).Select(i => placement.KeyOf("m", "small.bin", Small, i * (Small / 256))).Distinct().Count();
        Assert.Equal(1, smallKeys);

        const long Big = 100L << 30;
        var owners = new int[3];
        for (long offset = 0; offset < Big; offset += PlacementOptions.DefaultSegmentSize)
        {
            owners[ring.OwnerOf(placement.KeyOf("m", "big.bin", Big, offset))]++;
            Assert.Equal(placement.KeyOf("m", "big.bin", Big, offset), placement.KeyOf("m", "big.bin", Big, offset + PlacementOptions.DefaultSegmentSize - 1));
        }

        Assert.Equal(1600, owners.Sum());
        Assert.All(owners, o => Assert.InRange(o, 1600 / 3 * 0.8, 1600 / 3 * 1.2));
    }

    [Theory]
    [InlineData(1 << 20, 64L << 20, true)]
    [InlineData(1 << 20, (64L << 20) + 4096, false)]
    [InlineData(1 << 20, 4096, false)]
    public void Placement_Validate_SegmentMustBeWholePages(int pageSize, long segment, bool valid)
    {
        var errors = new PlacementOptions { SegmentSize = segment }.Validate(pageSize);
        Assert.Equal(valid, errors.Count == 0);
        if (!valid)
        {
            Assert.Contains("segmentSize", errors[0], StringComparison.Ordinal);
        }
    }
}
