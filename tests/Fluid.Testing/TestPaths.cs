namespace Fluid.Testing;

/// <summary>Locations tests need: the repository root, the installed test tools, unique temp directories.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> LazyRepositoryRoot = new(FindRepositoryRoot);

    /// <summary>The directory holding Fluid.slnx.</summary>
    public static string RepositoryRoot => LazyRepositoryRoot.Value;

    /// <summary>artifacts/tools, where scripts/install-test-deps.sh installs npm tools.</summary>
    public static string ToolsDirectory => Path.Combine(RepositoryRoot, "artifacts", "tools");

    /// <summary>Creates a fresh directory under the system temp directory (unique per call, safe for parallel test runs).</summary>
    public static string CreateTempDirectory(string purpose)
    {
        var info = Directory.CreateTempSubdirectory($"fluid-{purpose}-");
        return info.FullName;
    }

    /// <summary>Deletes a directory tree, ignoring failures (tests must not fail while cleaning up).</summary>
    public static void DeleteQuietly(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Fluid.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Fluid.slnx was not found above {AppContext.BaseDirectory}; tests must run from the repository's artifacts directory.");
    }
}
