namespace Fluid.Scheduling.Model;

/// <summary>Where one pod of a job runs and what it holds there.</summary>
public sealed record PodPlacement
{
    /// <summary>Index of the node in <see cref="ClusterSpec.Nodes"/>.</summary>
    public required int Node { get; init; }

    /// <summary>GPUs held on the node.</summary>
    public required int Gpus { get; init; }

    /// <summary>CPU cores held on the node.</summary>
    public required double CpuCores { get; init; }

    /// <summary>Memory bytes held on the node.</summary>
    public required double MemoryBytes { get; init; }

    /// <summary>GPU indices inside the node when the policy picks them (HiveD); empty otherwise.</summary>
    public IReadOnlyList<int> GpuIndices { get; init; } = [];
}

/// <summary>A policy's decision for a whole job: one entry per pod (gang placement).</summary>
public sealed record Placement
{
    /// <summary>The pods, in worker order.</summary>
    public required IReadOnlyList<PodPlacement> Pods { get; init; }

    /// <summary>Policy-private bookkeeping carried from <c>TryPlace</c> to <c>OnStarted</c>.</summary>
    public object? PolicyState { get; init; }
}
