using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Fluid.Cache.Benchmarks;

// Commands:
//   hit [--medium|--full]   BenchmarkDotNet: MEM and SSD hit throughput against a memory copy and a local file read
//   pagesize       page size comparison on a training-like trace with a simulated per-request latency
//   eviction       eviction policy comparison (hit ratio) on epochs of shuffled whole-file reads
var command = args.Length > 0 ? args[0] : "help";
switch (command)
{
    case "hit":
        var job = args.Contains("--full") ? Job.Default : args.Contains("--medium") ? Job.MediumRun : Job.ShortRun;
        var config = DefaultConfig.Instance
            .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkRunner.Run<HitBenchmarks>(config);
        return 0;
    case "pagesize":
        return await PageSizeComparison.RunAsync(args[1..]);
    case "eviction":
        return EvictionComparison.Run(args[1..]);
    default:
        Console.WriteLine("usage: Fluid.Cache.Benchmarks hit [--medium|--full] | pagesize [latency-ms] | eviction [epochs]");
        return command == "help" ? 0 : 2;
}
