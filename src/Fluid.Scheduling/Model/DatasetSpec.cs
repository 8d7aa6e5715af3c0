namespace Fluid.Scheduling.Model;

/// <summary>A dataset that training jobs read: its size, its file (sample) count and its remote store's bandwidth.</summary>
public sealed record DatasetSpec
{
    /// <summary>Unique dataset name.</summary>
    public required string Name { get; init; }

    /// <summary>Total size in bytes; one epoch reads all of it once.</summary>
    public required double SizeBytes { get; init; }

    /// <summary>Number of files; each file is one training sample.</summary>
    public required long FileCount { get; init; }

    /// <summary>Bandwidth of the remote store holding the dataset, shared by all of its readers, in bytes per second.</summary>
    public required double StoreBytesPerSecond { get; init; }

    /// <summary>Average bytes per sample.</summary>
    public double BytesPerSample => SizeBytes / FileCount;
}
