using Fluid.Cluster.Benchmarks;

// Commands:
//   ring [clusters]            ring balance per virtual-node count
//   protocol [options]         HTTP/1.1 on Kestrel vs the binary TCP protocol, page reads on loopback
//   paths [options]            remote worker reads vs local cache hits vs short-circuit reads
var command = args.Length > 0 ? args[0] : "help";
switch (command)
{
    case "ring":
        return RingBalance.Run(args[1..]);
    default:
        Console.WriteLine("usage: Fluid.Cluster.Benchmarks ring [clusters] | protocol | paths");
        return command == "help" ? 0 : 2;
}
