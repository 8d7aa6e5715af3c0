using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Traces;

namespace Fluid.Scheduling.Tests.Traces;

public sealed class SyntheticTraceGeneratorTests
{
    [Fact]
    public void Generate_SameSeed_SameTrace()
    {
        var a = TraceCsv.Write(SyntheticTraceGenerator.Generate(30, 7, new WorkloadParameters()));
        var b = TraceCsv.Write(SyntheticTraceGenerator.Generate(30, 7, new WorkloadParameters()));
        var c = TraceCsv.Write(SyntheticTraceGenerator.Generate(30, 8, new WorkloadParameters()));

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Generate_ManyJobs_FollowsTheConfiguredDistributions()
    {
        var p = new WorkloadParameters();
        var trace = SyntheticTraceGenerator.Generate(4000, 3, p);

        var share = trace.Jobs.Count(j => j.Gpus == 1) / 4000.0;
        Assert.InRange(share, 0.46, 0.54);
        Assert.All(trace.Jobs, j => Assert.Contains(j.Gpus, new[] { 1, 2, 4, 8 }));
        foreach (var g in new[] { 2, 4, 8 })
        {
            Assert.InRange(trace.Jobs.Count(j => j.Gpus == g) / 4000.0, 0.13, 0.20);
        }

        Assert.Equal(4, trace.Datasets.Count);
        Assert.All(trace.Datasets, d => Assert.InRange(d.SizeBytes, 100e9, 1000e9));
        Assert.All(trace.Datasets, d => Assert.Equal(115e3, d.BytesPerSample, 1e3));
        Assert.All(trace.Jobs, j => Assert.Equal(0, j.ArrivalSeconds));

        // Zipf(1) over 4 datasets: the first is chosen with probability 12/25.
        Assert.InRange(trace.Jobs.Count(j => j.Dataset == "ds1") / 4000.0, 0.44, 0.52);

        // Durations without I/O stalls: median near one hour, clamped to [5 min, 24 h], a long upper tail.
        var ideal = trace.Jobs.Select(j => j.Epochs * trace.Datasets.First(d => d.Name == j.Dataset).SizeBytes
            / (j.Gpus / j.SampleSeconds * trace.Datasets.First(d => d.Name == j.Dataset).BytesPerSample)).Order().ToArray();
        Assert.InRange(ideal[2000], 0.85 * 3600, 1.15 * 3600);
        Assert.InRange(ideal[0], 250, 400);
        Assert.True(ideal[3800] > 3 * ideal[2000], "the 95th percentile should be several times the median");
    }

    [Fact]
    public void Generate_PoissonArrivals_HaveTheConfiguredMeanGap()
    {
        var trace = SyntheticTraceGenerator.Generate(2000, 5, new WorkloadParameters { Arrival = ArrivalMode.Poisson, MeanInterArrivalMinutes = 10 });

        var last = trace.Jobs[^1].ArrivalSeconds;
        Assert.InRange(last / 1999, 540, 660);
        for (var i = 1; i < trace.Jobs.Count; i++)
        {
            Assert.True(trace.Jobs[i].ArrivalSeconds >= trace.Jobs[i - 1].ArrivalSeconds);
        }
    }

    [Fact]
    public void Generate_BadParameters_NamesThem()
    {
        var e = Assert.Throws<ArgumentException>(() => SyntheticTraceGenerator.Generate(10, 1, new WorkloadParameters { OneGpuShare = 1.5, Datasets = 0 }));

        Assert.Contains("workload.one-gpu-share", e.Message, StringComparison.Ordinal);
        Assert.Contains("workload.datasets", e.Message, StringComparison.Ordinal);
    }
}
