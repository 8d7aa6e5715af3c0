namespace Fluid.Operator.Tests.Harness;

/// <summary>Paths in the repository the tests read (examples, deploy).</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Fluid.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("Fluid.slnx not found above " + AppContext.BaseDirectory);
    }
}
