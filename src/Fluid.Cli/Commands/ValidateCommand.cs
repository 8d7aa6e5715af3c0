using System.CommandLine;
using Fluid.Api.Manifests;

namespace Fluid.Cli.Commands;

/// <summary>`fluid validate -f FILE...`: reads manifests and prints every problem, one per line.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var files = new Option<string[]>("--filename", "-f")
        {
            Description = "Manifest file to check (YAML or JSON; '-' reads standard input). Repeat for several files.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("validate", "Check Fluid manifests (Dataset, FluidCacheRuntime, DataLoad) and print every problem.");
        command.Options.Add(files);
        command.SetAction(parse => Run(parse.GetRequiredValue(files), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(string[] files, TextWriter output, TextWriter error)
    {
        var sets = new List<ManifestSet>();
        var readable = new List<string>();
        var failed = false;
        foreach (var file in files)
        {
            string text;
            try
            {
                text = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                error.WriteLine($"fluid validate: cannot read {file}: {e.Message}");
                failed = true;
                continue;
            }

            var source = file == "-" ? "<stdin>" : file;
            sets.Add(ManifestReader.Read(text, source));
            readable.Add(source);
        }

        // References (a runtime's Dataset, a DataLoad's target) may sit in another of the given files.
        var all = ManifestSet.Combine(sets);
        foreach (var source in readable)
        {
            var problems = all.Problems.Where(p => p.Source == source).ToList();
            foreach (var problem in problems)
            {
                output.WriteLine(problem.ToString());
            }

            var errors = problems.Count(p => p.IsError);
            var objects = all.Entries.Count(e => e.Source == source);
            if (errors == 0)
            {
                output.WriteLine($"ok: {objects} object{(objects == 1 ? string.Empty : "s")} in {source}");
            }
            else
            {
                output.WriteLine($"invalid: {errors} error{(errors == 1 ? string.Empty : "s")} in {source}");
                failed = true;
            }
        }

        return failed ? 1 : 0;
    }
}
