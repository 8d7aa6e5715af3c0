namespace Fluid.Operator.Engines;

/// <summary>The one <c>fluid</c> image the runtime pods run, and how it is pulled.</summary>
public sealed record ImageSettings
{
    /// <summary>Image repository, for example <c>registry.example.com/fluid</c>.</summary>
    public string Repository { get; init; } = "fluid";

    /// <summary>Image tag; the controller's own version by default.</summary>
    public string Tag { get; init; } = DefaultTag;

    /// <summary>Always, IfNotPresent or Never.</summary>
    public string PullPolicy { get; init; } = "IfNotPresent";

    /// <summary>Names of image pull Secrets in the runtime's namespace.</summary>
    public IReadOnlyList<string> PullSecrets { get; init; } = [];

    /// <summary><c>repository:tag</c>.</summary>
    public string Reference => $"{Repository}:{Tag}";

    /// <summary>The version of this assembly (major.minor.patch), the tag the controller runs by default.</summary>
    public static string DefaultTag
    {
        get
        {
            var version = typeof(ImageSettings).Assembly.GetName().Version ?? new Version(0, 1, 0);
            return $"{version.Major}.{version.Minor}.{Math.Max(version.Build, 0)}";
        }
    }
}
