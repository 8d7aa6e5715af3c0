using System.CommandLine;

namespace Fluid.Cli.Tests.Cluster;

/// <summary>Runs the `fluid` command tree in this process with captured output (for flag errors: no process start-up).</summary>
public static class CommandLine
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await FluidCommandLine.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
