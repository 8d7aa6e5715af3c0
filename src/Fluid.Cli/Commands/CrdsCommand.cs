using System.CommandLine;
using Fluid.Api.Crds;

namespace Fluid.Cli.Commands;

/// <summary>`fluid crds`: writes the CRDs generated from the API types into deploy/crds (or checks that they are current).</summary>
internal static class CrdsCommand
{
    public static Command Create()
    {
        var outputDir = new Option<string>("--output", "-o")
        {
            Description = "Directory to write the CRDs to (default: deploy/crds of the repository).",
        };
        var check = new Option<bool>("--check")
        {
            Description = "Do not write; exit 1 when the files differ from what the code generates.",
        };
        var command = new Command("crds", "Generate the CustomResourceDefinitions of Dataset, FluidCacheRuntime and DataLoad.");
        command.Options.Add(outputDir);
        command.Options.Add(check);
        command.SetAction(parse =>
        {
            // By default the chart's copy (deploy/charts/fluid/crds) is kept equal to deploy/crds as well.
            var directories = parse.GetValue(outputDir) is { } chosen ? [chosen] : DefaultDirectories();
            var status = 0;
            foreach (var directory in directories)
            {
                status = Math.Max(status, Run(directory, parse.GetValue(check), parse.InvocationConfiguration.Output));
            }

            return status;
        });
        return command;
    }

    private static string[] DefaultDirectories()
    {
        var home = Environment.GetEnvironmentVariable("FLUID_HOME") ?? Directory.GetCurrentDirectory();
        return [Path.Combine(home, "deploy", "crds"), Path.Combine(home, "deploy", "charts", "fluid", "crds")];
    }

    private static int Run(string directory, bool check, TextWriter output)
    {
        var stale = 0;
        foreach (var crd in CrdGenerator.Generate())
        {
            var path = Path.Combine(directory, crd.FileName);
            var current = File.Exists(path) ? File.ReadAllText(path) : null;
            if (check)
            {
                if (current != crd.Yaml)
                {
                    output.WriteLine($"out of date: {path} (run ./fluid crds)");
                    stale++;
                }

                continue;
            }

            Directory.CreateDirectory(directory);
            if (current != crd.Yaml)
            {
                File.WriteAllText(path, crd.Yaml);
                output.WriteLine($"wrote {path}");
            }
            else
            {
                output.WriteLine($"unchanged {path}");
            }
        }

        if (check && stale == 0)
        {
            output.WriteLine($"up to date: {directory}");
        }

        return stale == 0 ? 0 : 1;
    }
}
