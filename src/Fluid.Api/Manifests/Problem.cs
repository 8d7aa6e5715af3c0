using Fluid.Api.Serialization;

namespace Fluid.Api.Manifests;

/// <summary>How serious a problem is: errors make a manifest invalid, warnings do not.</summary>
public enum ProblemSeverity
{
    Error,
    Warning,
}

/// <summary>
/// One problem found in a manifest, naming the object and the field path, for example
/// <c>Dataset/imagenet: spec.mounts[1].mountPoint: scheme "ftp" is not supported (...)</c>.
/// </summary>
/// <param name="Severity">Error or warning.</param>
/// <param name="Subject">The object (<c>Kind/name</c>), or the file position when no object is known.</param>
/// <param name="Path">The field path inside the object, or null for the object as a whole.</param>
/// <param name="Message">What is wrong and, where possible, what to write instead.</param>
/// <param name="Source">The file (or other source name) the object came from.</param>
/// <param name="Position">Where in the source the problem is, when known.</param>
public sealed record Problem(ProblemSeverity Severity, string Subject, string? Path, string Message, string? Source = null, Mark? Position = null)
{
    public bool IsError => Severity == ProblemSeverity.Error;

    /// <summary>Where the object the problem belongs to starts; problems are listed object by object.</summary>
    internal Mark? Anchor { get; init; }

    public override string ToString()
    {
        var prefix = Severity == ProblemSeverity.Warning ? "warning: " : string.Empty;
        return Path is null ? $"{prefix}{Subject}: {Message}" : $"{prefix}{Subject}: {Path}: {Message}";
    }
}

/// <summary>Collects the problems of one object while it is read and checked.</summary>
internal sealed class ProblemSink
{
    private readonly List<Problem> _problems;
    private readonly HashSet<string> _reportedPaths = new(StringComparer.Ordinal);

    public ProblemSink(string subject, string? source, Mark? position, List<Problem> problems)
    {
        Subject = subject;
        Source = source;
        Position = position;
        _problems = problems;
    }

    public string Subject { get; }

    public string? Source { get; }

    public Mark? Position { get; }

    public void Error(string? path, string message, Mark? at = null)
    {
        MarkReported(path);
        _problems.Add(new Problem(ProblemSeverity.Error, Subject, path, message, Source, at ?? Position) { Anchor = Position });
    }

    /// <summary>Records that a path has been reported, so later generic checks do not repeat it.</summary>
    public void MarkReported(string? path)
    {
        if (path is not null)
        {
            _reportedPaths.Add(path);
        }
    }

    public bool WasReported(string path) => _reportedPaths.Contains(path);

    public void Warning(string? path, string message, Mark? at = null) =>
        _problems.Add(new Problem(ProblemSeverity.Warning, Subject, path, message, Source, at ?? Position) { Anchor = Position });
}

/// <summary>Builds field paths the way Kubernetes prints them: <c>spec.mounts[1].options[key]</c>.</summary>
internal static class FieldPath
{
    public static string Child(string? parent, string name) => string.IsNullOrEmpty(parent) ? name : parent + "." + name;

    public static string Index(string? parent, int index) => $"{parent}[{index}]";

    public static string Key(string? parent, string key) => $"{parent}[{key}]";
}
