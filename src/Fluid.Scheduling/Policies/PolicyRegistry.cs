using Fluid.Scheduling.Hived;
using Fluid.Scheduling.Model;
using Fluid.Scheduling.Settings;

namespace Fluid.Scheduling.Policies;

/// <summary>What a policy factory gets: the cluster and the policy parameters.</summary>
/// <param name="Cluster">The cluster the policy will schedule.</param>
/// <param name="Parameters">Policy knobs.</param>
public sealed record PolicyEnvironment(ClusterSpec Cluster, PolicyParameters Parameters);

/// <summary>Name → factory registry of scheduling policies; new policies plug in with <see cref="Register"/>.</summary>
public sealed class PolicyRegistry
{
    private readonly SortedDictionary<string, Func<PolicyEnvironment, ISchedulingPolicy>> _factories = new(StringComparer.Ordinal);

    /// <summary>The built-in policies: kubernetes, hived, fluid (on kubernetes) and fluid-hived (on hived).</summary>
    public static PolicyRegistry Default { get; } = CreateDefault();

    /// <summary>Registered names in ordinal order.</summary>
    public IReadOnlyCollection<string> Names => _factories.Keys;

    /// <summary>Adds or replaces a policy factory.</summary>
    public PolicyRegistry Register(string name, Func<PolicyEnvironment, ISchedulingPolicy> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[name] = factory;
        return this;
    }

    /// <summary>Whether a name is registered.</summary>
    public bool Contains(string name) => _factories.ContainsKey(name);

    /// <summary>Creates a fresh policy instance (policies keep per-run state).</summary>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the known ones.</exception>
    public ISchedulingPolicy Create(string name, PolicyEnvironment environment)
    {
        if (!_factories.TryGetValue(name, out var factory))
        {
            throw new ArgumentException($"unknown policy '{name}'; known policies: {string.Join(", ", _factories.Keys)}", nameof(name));
        }

        return factory(environment);
    }

    /// <summary>A registry with the built-in policies.</summary>
    public static PolicyRegistry CreateDefault() => new PolicyRegistry()
        .Register("kubernetes", e => new KubernetesPolicy(e.Parameters))
        .Register("hived", e => new HivedPolicy(e.Cluster, e.Parameters))
        .Register("fluid", e => new FluidPolicy(new KubernetesPolicy(e.Parameters), e.Parameters, "fluid"))
        .Register("fluid-hived", e => new FluidPolicy(new HivedPolicy(e.Cluster, e.Parameters), e.Parameters, "fluid-hived"));
}
