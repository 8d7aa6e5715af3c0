using System.CommandLine;
using Fluid.Cli.Commands;

namespace Fluid.Cli;

/// <summary>Builds the `fluid` command tree; each subcommand lives in its own file under Commands/.</summary>
public static class FluidCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Fluid: dataset abstraction and elastic cache acceleration, standalone or on Kubernetes.");
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(CrdsCommand.Create());
        root.Subcommands.Add(MountDirCommand.Create());
        root.Subcommands.Add(SimCommand.Create());
        root.Subcommands.Add(ControllerCommand.Create());
        root.Subcommands.Add(WorkerCommand.Create());
        root.Subcommands.Add(FuseCommand.Create());
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(LoadCommand.Create());
        root.Subcommands.Add(LsCommand.Create());
        root.Subcommands.Add(DownCommand.Create());
        root.Subcommands.Add(QuickstartCommand.Create());
        root.Subcommands.Add(CsiCommand.Create());
        return root;
    }

    public static Task<int> InvokeAsync(string[] args) => Build().Parse(args).InvokeAsync();
}
