using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Settings;

namespace Fluid.Scheduling.Tests.Experiments;

public sealed class ExperimentTests
{
    [Fact]
    public void Summary_Of_KnownValues()
    {
        var s = Summary.Of([2.0, 4, 4, 4, 5, 5, 7, 9]);

        Assert.Equal(5, s.Mean, 12);
        Assert.Equal(Math.Sqrt(32.0 / 7), s.StdDev, 12);
        Assert.Equal((2.0, 9.0, 8), (s.Min, s.Max, s.Count));
    }

    [Fact]
    public void Sweep_Reductions_AreComputedSeedBySeedFromTheRuns()
    {
        var options = new SweepOptions { Sizes = [12], Seeds = 3 };

        var sweep = Sweep.Run(options);

        var row = Assert.Single(sweep.Rows);
        Assert.Equal(3 * 4, sweep.Runs.Count);
        var fluid = sweep.Runs.Where(r => r.Policy == "fluid").ToArray();
        var k8s = sweep.Runs.Where(r => r.Policy == "kubernetes").ToArray();
        var expected = fluid.Zip(k8s, (f, k) => (f.MakespanSeconds - k.MakespanSeconds) / k.MakespanSeconds).ToArray();
        var reduction = row.Reductions.Single(r => r.Policy == "fluid" && r.Baseline == "kubernetes");
        Assert.Equal(expected.Average(), reduction.Makespan.Mean, 12);
        Assert.Equal(fluid.Count(f => f.MakespanSeconds < k8s.Single(k => k.Seed == f.Seed).MakespanSeconds), reduction.MakespanWins);
        Assert.Equal((fluid.Average(f => f.MakespanSeconds) / k8s.Average(k => k.MakespanSeconds)) - 1, reduction.MakespanOfMeans, 12);
        Assert.Equal(k8s.Average(k => k.MakespanSeconds), row.Policies.Single(p => p.Policy == "kubernetes").Makespan.Mean, 6);
    }

    [Fact]
    public void Sensitivity_RunsTheBaselineThenEachValue()
    {
        var result = Sensitivity.Run(new SimulationSettings(), 8, 2, 1, [new SensitivityCaseSpec("workload.store-mbps", ["100", "1000"])], Experiment.DefaultPolicies);

        Assert.Equal(["baseline", "workload.store-mbps", "workload.store-mbps"], result.Cases.Select(c => c.Parameter));
        Assert.Equal(["defaults", "100", "1000"], result.Cases.Select(c => c.Value));
        Assert.All(result.Cases, c => Assert.Equal(4, c.Reductions.Count));
    }

    [Fact]
    public void Sensitivity_UnknownParameter_FailsBeforeSimulating()
    {
        var e = Assert.Throws<ArgumentException>(() => Sensitivity.Run(new SimulationSettings(), 30, 20, 1, [new SensitivityCaseSpec("workload.store-gbps", ["1"])], Experiment.DefaultPolicies));

        Assert.Contains("unknown parameter 'workload.store-gbps'", e.Message, StringComparison.Ordinal);
        Assert.Contains("workload.store-mbps", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParameterCatalog_EveryParameter_RoundTripsItsDefault()
    {
        var settings = new SimulationSettings();
        foreach (var p in ParameterCatalog.Parameters)
        {
            var again = p.Set(settings, p.Get(settings));

            Assert.Equal(p.Get(settings), p.Get(again));
            Assert.False(string.IsNullOrWhiteSpace(p.Source), $"{p.Key} has no source");
        }
    }

    [Fact]
    public void ParameterCatalog_Apply_SetsValuesAndRejectsBadOnes()
    {
        var s = ParameterCatalog.Apply(new SimulationSettings(), ["cluster.cache-gib-per-node=300", "workload.arrival=poisson", "policy.fluid.age-bound-h=inf", "policy.hived.vcs=2"]);

        Assert.Equal(300, s.Cluster.CacheGiBPerNode);
        Assert.Equal(ArrivalMode.Poisson, s.Workload.Arrival);
        Assert.True(double.IsPositiveInfinity(s.Policy.AgeBoundHours));
        Assert.Equal([new VirtualClusterQuota("vc1", 2), new VirtualClusterQuota("vc2", 2)], s.Policy.HivedVirtualClusters);
        Assert.Equal(["vc1", "vc2"], s.Workload.VirtualClusters);

        Assert.Contains("'x' is not a number", Assert.Throws<ArgumentException>(() => ParameterCatalog.Apply(s, ["workload.store-mbps=x"])).Message, StringComparison.Ordinal);
        Assert.Contains("expected key=value", Assert.Throws<ArgumentException>(() => ParameterCatalog.Apply(s, ["workload.store-mbps"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TwoVirtualClusters_EveryPolicyFinishes()
    {
        var settings = ParameterCatalog.Apply(new SimulationSettings(), ["policy.hived.vcs=2"]);
        var trace = Experiment.Generate(settings, 20, 4);

        var results = Experiment.Run(settings, trace, Experiment.DefaultPolicies, 4);

        Assert.All(results, r => Assert.Equal(20, r.Jobs.Count));
    }
}
