namespace Fluid.Cache;

/// <summary>
/// Progress of a <see cref="DatasetCache.LoadAsync"/>. Totals grow while the paths are still being
/// walked; <see cref="TotalsFinal"/> says when they stopped growing.
/// </summary>
public readonly record struct LoadProgress(
    long FilesDone,
    long FilesTotal,
    long BytesDone,
    long BytesTotal,
    bool TotalsFinal,
    double BytesPerSecond,
    TimeSpan Elapsed,
    TimeSpan? Eta);

/// <summary>What a load did.</summary>
public sealed record LoadSummary
{
    public long Files { get; init; }

    public long Bytes { get; init; }

    /// <summary>Bytes fetched from the sources by this load.</summary>
    public long BytesFetched { get; init; }

    /// <summary>Bytes that were cached already and cost no source read.</summary>
    public long BytesAlreadyCached { get; init; }

    public long FailedFiles { get; init; }

    /// <summary>The first errors (at most 20), each naming the file.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    public TimeSpan Elapsed { get; init; }
}
