using CsCheck;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Model;
using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Reporting;
using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Simulation;
using Fluid.Scheduling.Traces;
using static Fluid.Scheduling.Tests.Builders;

namespace Fluid.Scheduling.Tests.Simulation;

public sealed class InvariantTests
{
    private static readonly string[] Policies = ["kubernetes", "hived", "fluid", "fluid-hived"];

    /// <summary>A random small cluster and trace: multi-worker jobs, shared datasets, tight caches, staggered arrivals.</summary>
    private static (ClusterSpec Cluster, Trace Trace) Scenario(int nodes, int datasets, int jobs, ulong seed)
    {
        var rng = new DeterministicRandom(seed);
        var nodeSpecs = new NodeSpec[nodes];
        for (var n = 0; n < nodes; n++)
        {
            nodeSpecs[n] = Node($"n{n}", zone: $"z{n % 2}", cacheGB: 5 + (rng.NextDouble() * 100), nicGBps: 0.2 + (rng.NextDouble() * 3), cacheReadGBps: 0.5 + (rng.NextDouble() * 3));
        }

        var data = new DatasetSpec[datasets];
        for (var d = 0; d < datasets; d++)
        {
            data[d] = Dataset($"d{d}", 5 + (rng.NextDouble() * 150), storeGBps: 0.05 + rng.NextDouble());
        }

        int[] sizes = [1, 2, 3, 4, 8];
        var list = new JobSpec[jobs];
        for (var j = 0; j < jobs; j++)
        {
            var multi = nodes > 1 && rng.NextDouble() < 0.15;
            var gpus = multi ? 16 : sizes[rng.NextInt(sizes.Length)];
            list[j] = Job($"j{j}", data[rng.NextInt(datasets)].Name, gpus, 0.1 + (rng.NextDouble() * 3),
                computeGBps: 0.05 + (rng.NextDouble() * 2), arrival: rng.NextDouble() < 0.5 ? 0 : Math.Round(rng.NextDouble() * 3000),
                workers: multi ? 2 : 1, priority: rng.NextInt(2));
        }

        return (Cluster(nodeSpecs), Trace(data, list));
    }

    private static SimulationResult Run(ClusterSpec cluster, Trace trace, string policy, ulong seed, PolicyParameters? parameters = null) =>
        Simulator.Run(cluster, trace, PolicyRegistry.Default.Create(policy, new PolicyEnvironment(cluster, parameters ?? new PolicyParameters { AgeBoundHours = 0.5 })), new SimulatorOptions { Seed = seed });

    [Fact]
    public void Run_RandomTraces_EveryJobFinishesAndNoNodeIsOverCommitted()
    {
        var gen = Gen.Select(Gen.Int[1, 4], Gen.Int[1, 3], Gen.Int[1, 10], Gen.ULong);
        gen.Sample((nodes, datasets, jobs, seed) =>
        {
            var (cluster, trace) = Scenario(nodes, datasets, jobs, seed);
            foreach (var policy in Policies)
            {
                var result = Run(cluster, trace, policy, seed);
                Assert.Equal(trace.Jobs.Count, result.Jobs.Count);
                for (var n = 0; n < cluster.Nodes.Count; n++)
                {
                    Assert.InRange(result.PeakGpusPerNode[n], 0, cluster.Nodes[n].Gpus);
                }

                var sizeOf = trace.Datasets.ToDictionary(d => d.Name, d => d.SizeBytes);
                for (var i = 0; i < trace.Jobs.Count; i++)
                {
                    var spec = trace.Jobs[i];
                    var r = result.Jobs[i];
                    Assert.Equal(spec.Id, r.Id);
                    Assert.True(r.StartSeconds >= spec.ArrivalSeconds, $"{policy}: {r.Id} started before it arrived");
                    Assert.True(r.JctSeconds >= r.IdealSeconds * (1 - 1e-9), $"{policy}: {r.Id} ran faster than its compute allows");
                    var read = r.LocalCacheBytes + r.RemoteCacheBytes + r.StoreBytes;
                    Assert.Equal(spec.Epochs * sizeOf[spec.Dataset], read, spec.Epochs * sizeOf[spec.Dataset] * 1e-9);
                }

                var end = trace.Jobs.Max(j => j.ArrivalSeconds) + 1;
                Assert.True(result.Totals.MakespanSeconds > 0 && result.Totals.MakespanSeconds < end + 1e9);
                Assert.InRange(result.Totals.GpuUtilisation, 0, 1 + 1e-9);
                Assert.InRange(result.Totals.BusyGpuUtilisation, 0, result.Totals.GpuUtilisation + 1e-9);
                Assert.InRange(result.Totals.CacheHitRatio, 0, 1 + 1e-9);
                Assert.All(result.Timeline, p => Assert.InRange(p.AllocatedGpus, 0, cluster.TotalGpus));
            }
        }, iter: 100);
    }

    [Fact]
    public void Run_SameSeed_GivesByteIdenticalOutput()
    {
        var settings = new SimulationSettings();
        var first = Experiment.Run(settings, Experiment.Generate(settings, 25, 42), Policies, 42);
        var second = Experiment.Run(settings, Experiment.Generate(settings, 25, 42), Policies, 42);
        var trace = Experiment.Generate(settings, 25, 42);

        var a = JsonReports.Simulation(settings, trace, first);
        var b = JsonReports.Simulation(settings, trace, second);

        Assert.Equal(a, b);
        Assert.Equal(CsvReports.Jobs(first), CsvReports.Jobs(second));
        Assert.NotEqual(a, JsonReports.Simulation(settings, trace, Experiment.Run(settings, Experiment.Generate(settings, 25, 43), Policies, 43)));
    }

    [Fact]
    public void Run_SyntheticTraceOfThirtyJobs_FinishesUnderEveryPolicy()
    {
        var settings = new SimulationSettings();
        var trace = Experiment.Generate(settings, 30, 1);

        var results = Experiment.Run(settings, trace, Policies, 1);

        Assert.Equal(Policies, results.Select(r => r.Policy));
        Assert.All(results, r => Assert.Equal(30, r.Jobs.Count));
        Assert.All(results, r => Assert.All(r.PeakGpusPerNode, p => Assert.InRange(p, 0, 8)));
    }
}
