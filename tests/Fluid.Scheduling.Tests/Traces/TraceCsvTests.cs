using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Traces;

namespace Fluid.Scheduling.Tests.Traces;

public sealed class TraceCsvTests
{
    private static Model.Trace Read(string csv) => TraceCsv.Read(new StringReader(csv), "trace.csv", new WorkloadParameters());

    [Fact]
    public void Write_ThenRead_GivesTheSameTrace()
    {
        var trace = SyntheticTraceGenerator.Generate(25, 11, new WorkloadParameters { VirtualClusters = ["a", "b"] });

        var back = Read(TraceCsv.Write(trace));

        Assert.Equal(trace.Jobs.Count, back.Jobs.Count);
        for (var i = 0; i < trace.Jobs.Count; i++)
        {
            var x = trace.Jobs[i];
            var y = back.Jobs[i];
            Assert.Equal((x.Id, x.Gpus, x.Workers, x.Dataset, x.Priority, x.VirtualCluster), (y.Id, y.Gpus, y.Workers, y.Dataset, y.Priority, y.VirtualCluster));
            Assert.Equal(x.ArrivalSeconds, y.ArrivalSeconds, 9);
            Assert.Equal(x.Epochs, y.Epochs, 12);
            Assert.Equal(x.SampleSeconds, y.SampleSeconds, 15);
            Assert.Equal(x.CpuCores, y.CpuCores, 12);
            Assert.Equal(x.MemoryBytes, y.MemoryBytes, 3);
        }

        // Datasets come back in order of first use; unused ones are not in a job-per-row file.
        foreach (var d in back.Datasets)
        {
            var original = trace.Datasets.Single(x => x.Name == d.Name);
            Assert.Equal(original.FileCount, d.FileCount);
            Assert.Equal(original.SizeBytes, d.SizeBytes, 1e-3);
            Assert.Equal(original.StoreBytesPerSecond, d.StoreBytesPerSecond, 1e-6);
        }

        Assert.Equal(TraceCsv.Write(trace), TraceCsv.Write(back));
    }

    [Fact]
    public void Replay_OfAWrittenTrace_GivesTheSameResults()
    {
        var settings = new SimulationSettings();
        var trace = Fluid.Scheduling.Experiments.Experiment.Generate(settings, 30, 5);
        var replay = Read(TraceCsv.Write(trace));

        var a = Fluid.Scheduling.Experiments.Experiment.Run(settings, trace, Fluid.Scheduling.Experiments.Experiment.DefaultPolicies, 5);
        var b = Fluid.Scheduling.Experiments.Experiment.Run(settings, replay, Fluid.Scheduling.Experiments.Experiment.DefaultPolicies, 5);

        Assert.Equal(Fluid.Scheduling.Reporting.CsvReports.Jobs(a), Fluid.Scheduling.Reporting.CsvReports.Jobs(b));
    }

    [Fact]
    public void Read_MinimalColumns_FillsTheDefaults()
    {
        var trace = Read("""
            # a hand-written trace
            job_id,gpus,dataset,dataset_gb,epochs,sample_ms
            a,2,imagenet,148,3,0.862
            b,8,imagenet,148,1.5,2.56
            """);

        var a = trace.Jobs[0];
        Assert.Equal(0, a.ArrivalSeconds);
        Assert.Equal(1, a.Workers);
        Assert.Equal(20, a.CpuCores);
        Assert.Equal(80 * Units.GiB, a.MemoryBytes);
        Assert.Equal("default", a.VirtualCluster);
        Assert.Equal(0.000862, a.SampleSeconds, 12);
        var d = Assert.Single(trace.Datasets);
        Assert.Equal(148e9, d.SizeBytes);
        Assert.Equal(300e6, d.StoreBytesPerSecond);
        Assert.Equal((long)Math.Round(148e9 / 115e3), d.FileCount);
    }

    [Fact]
    public void Read_BadCells_ReportsEveryProblemWithLineAndColumn()
    {
        var e = Assert.Throws<FormatException>(() => Read("""
            job_id,gpus,dataset,dataset_gb,epochs,sample_ms,arrival_s
            a,1,ds,100,1,1,0
            b,two,ds,100,1,1,0
            c,1,ds,100,-1,1,0
            d,1,ds,100,1,1
            e,1,ds,200,1,1,0
            """));

        Assert.Contains("trace.csv:3 column 'gpus': 'two' is not a positive integer", e.Message, StringComparison.Ordinal);
        Assert.Contains("trace.csv:4 column 'epochs': '-1' is not a positive number", e.Message, StringComparison.Ordinal);
        Assert.Contains("trace.csv:5: 6 cells but the header has 7 columns", e.Message, StringComparison.Ordinal);
        Assert.Contains("trace.csv:6: dataset 'ds' has a different dataset_gb", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("trace.csv:2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownOrMissingColumns_NamesThem()
    {
        var e = Assert.Throws<FormatException>(() => Read("job_id,gpus,dataset,dataset_size,epochs\n"));

        Assert.Contains("unknown column 'dataset_size'", e.Message, StringComparison.Ordinal);
        Assert.Contains("required column 'dataset_gb' is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("required column 'sample_ms' is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_QuotedCells_AreUnquoted()
    {
        var trace = Read("job_id,gpus,dataset,dataset_gb,epochs,sample_ms\n\"job,1\",1,\"my \"\"data\"\"\",10,1,1\n");

        Assert.Equal("job,1", trace.Jobs[0].Id);
        Assert.Equal("my \"data\"", trace.Jobs[0].Dataset);
    }

    [Fact]
    public void Read_Empty_SaysSo()
    {
        var e = Assert.Throws<FormatException>(() => Read("# nothing\n"));

        Assert.Contains("no header line", e.Message, StringComparison.Ordinal);
    }
}
