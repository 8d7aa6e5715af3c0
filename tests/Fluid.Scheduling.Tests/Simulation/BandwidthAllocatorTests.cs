using CsCheck;
using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Tests.Simulation;

public sealed class BandwidthAllocatorTests
{
    [Fact]
    public void Allocate_TwoEqualReadersOnOneLink_SplitItEvenly()
    {
        var rates = BandwidthAllocator.Allocate([1.0], [new(1, 10, [(0, 1.0)]), new(1, 10, [(0, 1.0)])]);

        Assert.Equal(0.5, rates[0], 12);
        Assert.Equal(0.5, rates[1], 12);
    }

    [Fact]
    public void Allocate_WeightedReaders_ShareInProportionToWeight()
    {
        var rates = BandwidthAllocator.Allocate([1.2], [new(1, 10, [(0, 1.0)]), new(2, 10, [(0, 1.0)])]);

        Assert.Equal(0.4, rates[0], 12);
        Assert.Equal(0.8, rates[1], 12);
    }

    [Fact]
    public void Allocate_CappedReader_LeavesItsShareToOthers()
    {
        // Max-min fairness: the first reader only needs 0.2, the other gets the rest.
        var rates = BandwidthAllocator.Allocate([1.0], [new(1, 0.2, [(0, 1.0)]), new(1, 10, [(0, 1.0)])]);

        Assert.Equal(0.2, rates[0], 12);
        Assert.Equal(0.8, rates[1], 12);
    }

    [Fact]
    public void Allocate_ReaderOnTwoLinks_IsLimitedByTheTighterOneAndFreesTheOther()
    {
        // Reader 0 uses links 0 and 1; reader 1 only link 1. Link 0 (0.3) stops reader 0, so reader 1 gets 1 - 0.3.
        var rates = BandwidthAllocator.Allocate([0.3, 1.0], [new(1, 10, [(0, 1.0), (1, 1.0)]), new(1, 10, [(1, 1.0)])]);

        Assert.Equal(0.3, rates[0], 12);
        Assert.Equal(0.7, rates[1], 12);
    }

    [Fact]
    public void Allocate_PartialUse_CountsOnlyTheShareThatCrossesTheLink()
    {
        // Half of the reader's bytes cross a 0.5 link, so the reader can go at 1.0.
        var rates = BandwidthAllocator.Allocate([0.5], [new(1, 10, [(0, 0.5)])]);

        Assert.Equal(1.0, rates[0], 12);
    }

    [Fact]
    public void Allocate_RandomDemands_NeverExceedLinksOrCapsAndSaturateSomething()
    {
        var gen = Gen.Select(Gen.Int[1, 4], Gen.Int[1, 6], Gen.ULong);
        gen.Sample((links, readers, seed) =>
        {
            var rng = new Fluid.Scheduling.Traces.DeterministicRandom(seed);
            var capacities = Enumerable.Range(0, links).Select(_ => 0.1 + rng.NextDouble()).ToArray();
            var demands = new BandwidthDemand[readers];
            for (var i = 0; i < readers; i++)
            {
                var usage = new List<(int, double)>();
                for (var l = 0; l < links; l++)
                {
                    if (rng.NextDouble() < 0.6)
                    {
                        usage.Add((l, 0.05 + rng.NextDouble()));
                    }
                }

                demands[i] = new BandwidthDemand(1 + rng.NextInt(8), 0.05 + (3 * rng.NextDouble()), usage);
            }

            var rates = BandwidthAllocator.Allocate(capacities, demands);
            var load = new double[links];
            for (var i = 0; i < readers; i++)
            {
                Assert.InRange(rates[i], 0, demands[i].Cap * (1 + 1e-9));
                foreach (var (l, c) in demands[i].Usage)
                {
                    load[l] += rates[i] * c;
                }
            }

            for (var l = 0; l < links; l++)
            {
                Assert.True(load[l] <= capacities[l] * (1 + 1e-9), $"link {l} carries {load[l]} > {capacities[l]}");
            }

            // Every reader is stopped by its cap or by a full link it uses (no bandwidth left on the table).
            for (var i = 0; i < readers; i++)
            {
                var atCap = rates[i] >= demands[i].Cap * (1 - 1e-9);
                var blocked = demands[i].Usage.Any(u => load[u.Link] >= capacities[u.Link] * (1 - 1e-9));
                Assert.True(atCap || blocked, $"reader {i} could go faster");
            }
        }, iter: 300);
    }
}
