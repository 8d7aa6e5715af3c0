using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;
using Fluid.Api.Serialization;

namespace Fluid.Api.Manifests;

/// <summary>An object read from a manifest, with where it came from.</summary>
/// <param name="Object">The typed object (or an <see cref="UnstructuredObject"/>).</param>
/// <param name="Source">The file or other source name.</param>
/// <param name="Position">Where the object starts in the source.</param>
public sealed record ManifestEntry(IManifestObject Object, string Source, Mark Position);

/// <summary>
/// The objects of one or more manifests, in document order, with every problem found in them
/// (syntax, types, fields, values, and references between the objects).
/// </summary>
public sealed class ManifestSet
{
    private readonly List<Problem> _ownProblems;

    public ManifestSet(IEnumerable<ManifestEntry> entries, IEnumerable<Problem>? problems = null)
    {
        Entries = [.. entries];
        _ownProblems = [.. problems ?? []];
        var all = new List<Problem>(_ownProblems);
        CrossChecks.Check(Entries, all);
        var sourceOrder = Entries.Select(e => e.Source).Concat(all.Select(p => p.Source ?? string.Empty)).Distinct().ToList();
        Problems = [.. all
            .Select((problem, index) => (problem, index))
            .OrderBy(p => sourceOrder.IndexOf(p.problem.Source ?? string.Empty))
            .ThenBy(p => (p.problem.Anchor ?? p.problem.Position)?.Line ?? 0)
            .ThenBy(p => (p.problem.Anchor ?? p.problem.Position)?.Column ?? 0)
            .ThenBy(p => p.index)
            .Select(p => p.problem)];
    }

    public IReadOnlyList<ManifestEntry> Entries { get; }

    public IReadOnlyList<IManifestObject> Objects => [.. Entries.Select(e => e.Object)];

    public IReadOnlyList<Problem> Problems { get; }

    public IEnumerable<Problem> Errors => Problems.Where(p => p.IsError);

    public IEnumerable<Problem> Warnings => Problems.Where(p => !p.IsError);

    /// <summary>True when no problem is an error (warnings are allowed).</summary>
    public bool IsValid => !Problems.Any(p => p.IsError);

    public IEnumerable<Dataset> Datasets => Entries.Select(e => e.Object).OfType<Dataset>();

    public IEnumerable<FluidCacheRuntime> Runtimes => Entries.Select(e => e.Object).OfType<FluidCacheRuntime>();

    public IEnumerable<DataLoad> DataLoads => Entries.Select(e => e.Object).OfType<DataLoad>();

    /// <summary>Documents kept as read: Fluid kinds this build cannot run, and non-Fluid objects.</summary>
    public IEnumerable<UnstructuredObject> Unstructured => Entries.Select(e => e.Object).OfType<UnstructuredObject>();

    /// <summary>The Dataset of a name, in the given namespace (default: "default").</summary>
    public Dataset? FindDataset(string name, string? ns = null) =>
        Datasets.FirstOrDefault(d => d.Metadata?.Name == name && d.NamespaceOrDefault() == (string.IsNullOrEmpty(ns) ? "default" : ns));

    /// <summary>The FluidCacheRuntime bound to a Dataset (same name and namespace).</summary>
    public FluidCacheRuntime? FindRuntime(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Runtimes.FirstOrDefault(r => r.Metadata?.Name == dataset.Metadata?.Name && r.NamespaceOrDefault() == dataset.NamespaceOrDefault());
    }

    /// <summary>Joins the objects of several manifests and checks the references between all of them.</summary>
    public static ManifestSet Combine(IEnumerable<ManifestSet> sets)
    {
        var list = sets.ToList();
        return new ManifestSet(list.SelectMany(s => s.Entries), list.SelectMany(s => s._ownProblems));
    }

    /// <summary>Checks objects built in code as if they had been read from a manifest.</summary>
    public static ManifestSet FromObjects(IEnumerable<IManifestObject> objects, string source = "<objects>")
    {
        ArgumentNullException.ThrowIfNull(objects);
        var problems = new List<Problem>();
        var entries = new List<ManifestEntry>();
        foreach (var obj in objects)
        {
            var sink = new ProblemSink(ManifestReader.SubjectOf(obj.Kind, obj.Metadata?.Name, source, null), source, null, problems);
            ManifestReader.CheckTyped(obj, sink);
            entries.Add(new ManifestEntry(obj, source, default));
        }

        return new ManifestSet(entries, problems);
    }
}
