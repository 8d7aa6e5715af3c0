using Fluid.Api.Runtimes;
using Fluid.Operator.Engines.FluidCache;
using Fluid.Operator.Events;
using Fluid.Operator.Hosting;
using Fluid.Operator.Resources;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Engines;

/// <summary>The Dataset and runtime an engine works on, both as read from the API server.</summary>
/// <param name="Dataset">The Dataset of the same namespace and name.</param>
/// <param name="Runtime">The runtime object (the engine knows its concrete type).</param>
public sealed record RuntimeContext(DatasetResource Dataset, IKubernetesObject<V1ObjectMeta> Runtime);

/// <summary>What a sync observed: the runtime's status and, when the workers were asked, the cache figures.</summary>
public sealed record EngineSync(RuntimeStatus Status, CacheFigures? Figures);

/// <summary>Where the Dataset's data appears for pods: the PV/PVC pair and the FUSE path on the host.</summary>
public sealed record RuntimeVolume(string PersistentVolume, string Claim, string FusePath);

/// <summary>
/// A cache engine behind a runtime kind, in the shape of Fluid's ddc Engine: set up the objects it needs, sync its
/// status, shut down and clean up, name its volume, and build the pods of data operations.
/// </summary>
public interface IRuntimeEngine
{
    /// <summary>The runtime type written into labels and status.runtimes (for example <c>fluidcache</c>).</summary>
    string RuntimeType { get; }

    /// <summary>Renders and applies the engine's objects; idempotent.</summary>
    Task SetupAsync(RuntimeContext context, CancellationToken cancellationToken);

    /// <summary>Observes the engine's objects (and nodes), keeps node labels current and computes the runtime's status.</summary>
    Task<EngineSync> SyncAsync(RuntimeContext context, CancellationToken cancellationToken);

    /// <summary>Cleans up after a deleted runtime; false while clean-up is still under way (call again later).</summary>
    Task<bool> ShutdownAsync(RuntimeContext context, CancellationToken cancellationToken);

    /// <summary>The runtime's volume.</summary>
    RuntimeVolume Volume(RuntimeContext context);

    /// <summary>The pod template of a DataLoad's Job against this runtime.</summary>
    V1PodTemplateSpec DataLoadPod(RuntimeContext context, DataLoadResource load);
}

/// <summary>What engines get from the operator: the cluster, settings, events, a clock and an HTTP client.</summary>
public sealed record EngineServices(Cluster Cluster, OperatorOptions Options, EventRecorder Events, TimeProvider Time, HttpClient Http, ILoggerFactory Loggers);

/// <summary>Runtime kinds and the factories of their engines (Fluid's <c>pkg/ddc/factory.go</c>).</summary>
public sealed class EngineRegistry
{
    private readonly Dictionary<string, Func<EngineServices, IRuntimeEngine>> _factories = new(StringComparer.Ordinal);

    /// <summary>The registry of this build: FluidCacheRuntime only.</summary>
    public static EngineRegistry Default
    {
        get
        {
            var registry = new EngineRegistry();
            registry.Register(FluidCacheRuntime.KindName, services => new FluidCacheEngine(services));
            return registry;
        }
    }

    /// <summary>The runtime kinds that have an engine.</summary>
    public IReadOnlyCollection<string> Kinds => _factories.Keys;

    /// <summary>Registers the engine of <paramref name="runtimeKind"/>.</summary>
    public void Register(string runtimeKind, Func<EngineServices, IRuntimeEngine> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(runtimeKind);
        ArgumentNullException.ThrowIfNull(factory);
        if (!_factories.TryAdd(runtimeKind, factory))
        {
            throw new InvalidOperationException($"an engine for {runtimeKind} is already registered");
        }
    }

    /// <summary>Creates the engine of <paramref name="runtimeKind"/>; throws naming the kinds that exist when there is none.</summary>
    public IRuntimeEngine Create(string runtimeKind, EngineServices services) =>
        _factories.TryGetValue(runtimeKind, out var factory)
            ? factory(services)
            : throw new KeyNotFoundException($"no engine for runtime kind {runtimeKind} (this build has: {string.Join(", ", _factories.Keys)})");
}
