using Fluid.Cache;
using Fluid.Storage.Mounts;
using Fluid.Storage.Resilience;

namespace Fluid.Engine.Configuration;

/// <summary>Everything needed to run the cache of one dataset, derived from its Dataset and FluidCacheRuntime.</summary>
public sealed record EngineConfiguration
{
    /// <summary>The Dataset's name (metadata.name).</summary>
    public required string Name { get; init; }

    /// <summary>The Dataset's namespace ("default" when the manifest names none).</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>Page size, tiers, metadata TTL and source bound of the cache.</summary>
    public required CacheOptions Cache { get; init; }

    /// <summary>The dataset's mounts, in manifest order, with their place in the namespace.</summary>
    public required IReadOnlyList<EngineMount> Mounts { get; init; }

    /// <summary>Per-attempt timeout and retries of source calls (a mount's own <c>timeout</c>/<c>retries</c> options win).</summary>
    public UfsCallPolicy SourcePolicy { get; init; } = UfsCallPolicy.Default;

    /// <summary>
    /// The bound of one FUSE request: a little longer than the cache's bound on a source call, so a
    /// failing source is reported by the cache (with its reason) before the kernel request is given up.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How the defaults were filled in and what was ignored, one line each (for the user, never secrets).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>How the CLI and the run directory name this dataset: "name", or "namespace/name" outside "default".</summary>
    public string Id => DatasetId.Format(Namespace, Name);
}

/// <summary>One mount of the dataset: its cache name, where it appears in the namespace and its source.</summary>
/// <param name="Name">The mount's name (the cache keys pages by it).</param>
/// <param name="Path">Where the mount appears in the dataset ("/" or "/a/b"; Fluid's <c>mounts[].path</c>, default <c>/{name}</c>).</param>
/// <param name="Source">The under file system mount with options and resolved secret options.</param>
public sealed record EngineMount(string Name, string Path, UfsMount Source);

/// <summary>Formats and parses the identity of a dataset on this machine ("name" or "namespace/name").</summary>
public static class DatasetId
{
    public const string DefaultNamespace = "default";

    public static string Format(string ns, string name) =>
        string.IsNullOrEmpty(ns) || ns == DefaultNamespace ? name : ns + "/" + name;

    /// <summary>Splits "namespace/name" or "name".</summary>
    public static (string Namespace, string Name) Parse(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (DefaultNamespace, id) : (id[..slash], id[(slash + 1)..]);
    }
}

/// <summary>A manifest that cannot be run, with every problem, each naming its object and field.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(IReadOnlyList<string> problems)
        : base(string.Join(Environment.NewLine, problems))
    {
        Problems = problems;
    }

    public ConfigurationException()
        : this([])
    {
    }

    public ConfigurationException(string message)
        : this([message])
    {
    }

    public ConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; }
}
