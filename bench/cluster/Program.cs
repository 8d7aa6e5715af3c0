using Fluid.Cluster.Benchmarks;

// Commands:
//   ring [clusters]            ring balance per virtual-node count
//   datapath [seconds]         in one run: the binary TCP protocol vs HTTP/1.1 on Kestrel, and remote
//                              worker reads vs local cache hits vs short-circuit reads (loopback)
var command = args.Length > 0 ? args[0] : "help";
switch (command)
{
    case "ring":
        return RingBalance.Run(args[1..]);
    case "datapath":
        return await DataPathBenchmark.RunAsync(args[1..]);
    default:
        Console.WriteLine("usage: Fluid.Cluster.Benchmarks ring [clusters] | datapath [seconds-per-cell]");
        return command == "help" ? 0 : 2;
}
