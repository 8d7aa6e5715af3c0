using Fluid.Api.Manifests;

namespace Fluid.Engine.Configuration;

/// <summary>Reads manifest files ("-" is standard input) into one checked <see cref="ManifestSet"/>.</summary>
public static class ManifestFiles
{
    /// <exception cref="ConfigurationException">A file cannot be read.</exception>
    public static ManifestSet Read(IReadOnlyList<string> files, TextReader? standardInput = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        var sets = new List<ManifestSet>();
        var problems = new List<string>();
        foreach (var file in files)
        {
            try
            {
                var text = file == "-" ? (standardInput ?? Console.In).ReadToEnd() : File.ReadAllText(file);
                sets.Add(ManifestReader.Read(text, file == "-" ? "<stdin>" : file));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                problems.Add($"cannot read {file}: {ex.Message}");
            }
        }

        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }

        // References (a runtime's Dataset, a Secret) may sit in another of the given files.
        return ManifestSet.Combine(sets);
    }
}
