using System.CommandLine;
using System.Text.Json;

namespace Fluid.Cli.Tests;

/// <summary>`fluid sim` as users run it: outputs, determinism, trace replay, and refusals of bad input.</summary>
public sealed class SimCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fluid-sim-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Json_SameSeedSameOutput_EveryJobFinishesAfterItStarts()
    {
        string[] args = ["sim", "--jobs", "8", "--seed", "5", "--policies", "kubernetes,fluid", "--format", "json"];
        var first = await RunAsync(args);
        var second = await RunAsync(args);
        Assert.Equal(0, first.Code);
        Assert.Equal(first.Output, second.Output);

        using var document = JsonDocument.Parse(first.Output);
        var results = document.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["kubernetes", "fluid"], results.Select(r => r.GetProperty("policy").GetString()));
        foreach (var result in results)
        {
            var jobs = result.GetProperty("jobs").EnumerateArray().ToList();
            Assert.Equal(8, jobs.Count);
            Assert.Equal(8, result.GetProperty("totals").GetProperty("jobs").GetInt32());
            foreach (var job in jobs)
            {
                var arrival = job.GetProperty("arrivalSeconds").GetDouble();
                var start = job.GetProperty("startSeconds").GetDouble();
                var finish = job.GetProperty("finishSeconds").GetDouble();
                Assert.True(arrival <= start && start < finish, job.ToString());
                Assert.Equal(finish - arrival, job.GetProperty("jctSeconds").GetDouble(), 6);
            }

            var makespan = result.GetProperty("totals").GetProperty("makespanSeconds").GetDouble();
            Assert.Equal(jobs.Max(j => j.GetProperty("finishSeconds").GetDouble()) - jobs.Min(j => j.GetProperty("arrivalSeconds").GetDouble()), makespan, 6);
        }
    }

    [Fact]
    public async Task TraceWrittenThenReplayed_GivesTheSameResultsAsTheSyntheticRun()
    {
        var trace = Path.Combine(_dir, "trace.csv");
        Assert.Equal(0, (await RunAsync("sim", "trace", "--jobs", "6", "--seed", "9", "--out", trace)).Code);
        Assert.Equal(7, File.ReadAllLines(trace).Length); // header + 6 jobs
        Assert.StartsWith("job_id,arrival_s,gpus,", File.ReadAllLines(trace)[0], StringComparison.Ordinal);

        var synthetic = await RunAsync("sim", "--jobs", "6", "--seed", "9", "--policies", "fluid", "--format", "csv");
        var replayed = await RunAsync("sim", "--trace", trace, "--seed", "9", "--policies", "fluid", "--format", "csv");
        Assert.Equal(0, replayed.Code);
        Assert.Equal(synthetic.Output, replayed.Output);
    }

    [Fact]
    public async Task Out_WritesResultsTablesAndCharts()
    {
        var result = await RunAsync("sim", "--jobs", "6", "--policies", "kubernetes,fluid", "--out", _dir);
        Assert.Equal(0, result.Code);
        foreach (var file in new[] { "results.json", "totals.csv", "jobs.csv", "trace.csv", "jct-cdf.svg", "makespan.svg", "gpu-utilisation.svg" })
        {
            Assert.True(File.Exists(Path.Combine(_dir, file)), file + " is missing");
        }

        Assert.Contains("<svg", await File.ReadAllTextAsync(Path.Combine(_dir, "jct-cdf.svg")), StringComparison.Ordinal);
        var totals = File.ReadAllLines(Path.Combine(_dir, "totals.csv"));
        Assert.Equal(3, totals.Length); // header + one row per policy
        Assert.Equal(12, File.ReadAllLines(Path.Combine(_dir, "jobs.csv")).Length - 1); // 6 jobs x 2 policies
        Assert.Contains("makespan", result.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("--set nope=1", "unknown parameter 'nope'")]
    [InlineData("--policies kubernetes,nope", "unknown policy 'nope'")]
    [InlineData("--set cluster.nodes=many", "cluster.nodes")]
    public async Task BadOptions_ExitTwoNamingTheProblem(string flags, string message)
    {
        var result = await RunAsync(["sim", "--jobs", "4", .. flags.Split(' ')]);
        Assert.Equal(2, result.Code);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokenTrace_NamesFileLineAndColumn()
    {
        var trace = Path.Combine(_dir, "bad.csv");
        await File.WriteAllTextAsync(trace, "job_id,arrival_s,gpus,workers,dataset,dataset_gb,dataset_files,store_mbps,epochs,sample_ms\njob-1,0,two,1,ds1,100,1000,300,1,1.5\n");
        var result = await RunAsync("sim", "--trace", trace);
        Assert.Equal(2, result.Code);
        Assert.Contains("bad.csv:2", result.Error, StringComparison.Ordinal);
        Assert.Contains("gpus", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await FluidCommandLine.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
