using System.Diagnostics;
using System.Globalization;
using Fluid.Cache.Cluster.Ring;

namespace Fluid.Cluster.Benchmarks;

/// <summary>
/// `ring`: how evenly the hash space is shared for several virtual-node counts: for each worker
/// count, many clusters with random worker ids; the largest deviation of any worker's share from
/// the mean, plus build time and lookup cost.
/// </summary>
internal static class RingBalance
{
    public static int Run(string[] args)
    {
        var clusters = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        int[] vnodeCounts = [256, 1024, 2048, 4096];
        int[] workerCounts = [3, 8, 16, 32, 64];
        Console.WriteLine($"ring balance: {clusters} clusters of random worker ids per cell; max |share - mean| / mean over all workers of all clusters (p99 of the per-cluster maximum in brackets)");
        Console.WriteLine();
        Console.Write("| vnodes |");
        foreach (var n in workerCounts)
        {
            Console.Write($" {n} workers |");
        }

        Console.WriteLine(" build (64 workers) | lookup |");
        Console.Write("|---|");
        foreach (var _ in workerCounts)
        {
            Console.Write("---|");
        }

        Console.WriteLine("---|---|");
        var random = new Random(20261128);
        foreach (var v in vnodeCounts)
        {
            Console.Write($"| {v} |");
            foreach (var n in workerCounts)
            {
                var maxima = new double[clusters];
                for (var c = 0; c < clusters; c++)
                {
                    var ids = Enumerable.Range(0, n).Select(_ => $"w-{random.NextInt64():x}").ToList();
                    var shares = new HashRing(ids, v).Shares();
                    var mean = 1.0 / n;
                    maxima[c] = shares.Max(s => Math.Abs(s - mean)) / mean;
                }

                Array.Sort(maxima);
                Console.Write($" {maxima[^1] * 100:0.0}% ({maxima[(int)((maxima.Length - 1) * 0.99)] * 100:0.0}%) |");
            }

            var clock = Stopwatch.StartNew();
            var ring = new HashRing(Enumerable.Range(0, 64).Select(i => $"dataset-worker-{i}"), v);
            var build = clock.Elapsed;
            var keys = Enumerable.Range(0, 200_000).Select(i => (ulong)random.NextInt64() ^ ((ulong)i << 40)).ToArray();
            clock.Restart();
            var sink = 0;
            foreach (var key in keys)
            {
                sink += ring.OwnerOf(key);
            }

            var lookup = clock.Elapsed.TotalNanoseconds / keys.Length;
            Console.WriteLine($" {build.TotalMilliseconds:0} ms | {lookup:0} ns |{(sink == int.MinValue ? " " : string.Empty)}");
        }

        return 0;
    }
}
