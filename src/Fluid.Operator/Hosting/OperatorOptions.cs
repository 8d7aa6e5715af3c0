using Fluid.Operator.Engines;
using Fluid.Operator.Naming;

namespace Fluid.Operator.Hosting;

/// <summary>Settings of the operator (the <c>fluid controller</c> flags).</summary>
public sealed record OperatorOptions
{
    /// <summary>The image the runtime pods run.</summary>
    public ImageSettings Image { get; init; } = new();

    /// <summary>How often a runtime's status and cache figures are refreshed when nothing else changes.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The port of the workers' <c>/summary</c> endpoint (tests point it elsewhere).</summary>
    public int WorkerHttpPort { get; init; } = RuntimeNames.HttpPort;

    /// <summary>How long a blocked Dataset deletion waits before checking its PVC's pods again (pod changes also wake it).</summary>
    public TimeSpan DeletionRecheck { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconcile workers per controller.</summary>
    public int Workers { get; init; } = 2;
}
