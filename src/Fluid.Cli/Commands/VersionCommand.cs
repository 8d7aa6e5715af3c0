using System.CommandLine;
using System.Reflection;

namespace Fluid.Cli.Commands;

/// <summary>`fluid version`: prints the build's version and runtime.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the version of this build.");
        command.SetAction(parse =>
        {
            var version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            parse.InvocationConfiguration.Output.WriteLine($"fluid {version} ({System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription})");
            return 0;
        });
        return command;
    }
}
