using System.Text.Json;
using System.Xml.Linq;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Reporting;
using Fluid.Scheduling.Settings;

namespace Fluid.Scheduling.Tests.Reporting;

public sealed class ReportTests
{
    private static readonly SimulationSettings Settings = new();
    private static readonly Model.Trace Trace = Experiment.Generate(Settings, 12, 3);
    private static readonly IReadOnlyList<Fluid.Scheduling.Simulation.SimulationResult> Results = Experiment.Run(Settings, Trace, Experiment.DefaultPolicies, 3);

    [Fact]
    public void Json_HasSettingsTraceAndOneResultPerPolicy()
    {
        using var doc = JsonDocument.Parse(JsonReports.Simulation(Settings, Trace, Results));

        var results = doc.RootElement.GetProperty("results");
        Assert.Equal(4, results.GetArrayLength());
        Assert.Equal("kubernetes", results[0].GetProperty("policy").GetString());
        Assert.Equal(Results[0].Totals.MakespanSeconds, results[0].GetProperty("totals").GetProperty("makespanSeconds").GetDouble());
        Assert.Equal(12, results[0].GetProperty("jobs").GetArrayLength());
        Assert.Equal(150, doc.RootElement.GetProperty("settings").GetProperty("cluster").GetProperty("cacheGiBPerNode").GetDouble());
        Assert.Equal("Batch", doc.RootElement.GetProperty("settings").GetProperty("workload").GetProperty("arrival").GetString());
    }

    [Fact]
    public void Csv_HasAHeaderAndOneRowPerJobAndPolicy()
    {
        var lines = CsvReports.Jobs(Results).TrimEnd('\n').Split('\n');

        Assert.StartsWith("policy,job_id,dataset,gpus", lines[0], StringComparison.Ordinal);
        Assert.Equal(1 + (4 * 12), lines.Length);
        Assert.All(lines, l => Assert.Equal(15, l.Split(',').Length));
        Assert.Equal(5, CsvReports.Totals(Results).TrimEnd('\n').Split('\n').Length);
    }

    [Fact]
    public void Svg_ChartsAreWellFormedAndNameEveryPolicy()
    {
        foreach (var svg in new[] { SvgCharts.JctCdf(Results), SvgCharts.Makespan(Results), SvgCharts.GpuUtilisation(Results, 32) })
        {
            var doc = XDocument.Parse(svg);
            Assert.Equal("svg", doc.Root!.Name.LocalName);
            foreach (var policy in Experiment.DefaultPolicies)
            {
                Assert.Contains($">{policy}</text>", svg, StringComparison.Ordinal);
            }
        }

        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(4, XDocument.Parse(SvgCharts.JctCdf(Results)).Descendants(ns + "polyline").Count());
        Assert.Equal(4, XDocument.Parse(SvgCharts.Makespan(Results)).Descendants(ns + "rect").Count() - 1);
    }

    [Fact]
    public void Svg_SweepBars_HaveABarPerPolicyAndSize()
    {
        var sweep = Sweep.Run(new SweepOptions { Sizes = [6, 8], Seeds = 2 });

        var doc = XDocument.Parse(SvgCharts.SweepBars(sweep, averageJct: false));

        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(8, doc.Descendants(ns + "rect").Count() - 1);
        Assert.Contains("| 8 | fluid vs kubernetes |", MarkdownReports.Sweep(sweep), StringComparison.Ordinal);
    }

    [Fact]
    public void TextTable_AlignsNumbersRight()
    {
        var text = new TextTable("name", "value").Add("a", "1.5").Add("long-name", "12.25").ToString();

        Assert.Equal("name       value\n---------  -----\na            1.5\nlong-name  12.25\n", text);
    }

    [Fact]
    public void ParameterTable_ListsEveryParameterWithItsSource()
    {
        var md = MarkdownReports.Parameters(Settings);

        Assert.Equal(2 + ParameterCatalog.Parameters.Count, md.TrimEnd('\n').Split('\n').Length);
        Assert.Contains("| `cluster.cache-gib-per-node` | 150 | GiB |", md, StringComparison.Ordinal);
    }
}
