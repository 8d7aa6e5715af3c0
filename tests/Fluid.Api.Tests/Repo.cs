namespace Fluid.Api.Tests;

/// <summary>Locates the repository (examples/, deploy/crds/) from the test's output directory.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string ExamplesDirectory => Path.Combine(Root, "examples");

    public static string CrdDirectory => Path.Combine(Root, "deploy", "crds");

    /// <summary>Every example manifest, relative to the repository root.</summary>
    public static IEnumerable<string> Examples() =>
        Directory.EnumerateFiles(ExamplesDirectory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Root, f))
            .Order(StringComparer.Ordinal);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fluid.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Fluid.slnx not found above " + AppContext.BaseDirectory);
    }
}
