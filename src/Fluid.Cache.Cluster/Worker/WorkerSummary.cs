using System.Text.Json.Serialization;

namespace Fluid.Cache.Cluster.Worker;

/// <summary>
/// What <c>GET /summary</c> returns: one worker's share of the dataset's cache state, in the terms of
/// Fluid's <c>cacheStates</c> (the operator sums <see cref="Cached"/> and <see cref="CacheCapacity"/> over
/// workers and weighs <see cref="CacheHitRatio"/> by <see cref="BytesRead"/>).
/// </summary>
public sealed record WorkerSummary
{
    public required string WorkerId { get; init; }

    public required string NodeName { get; init; }

    public required string Dataset { get; init; }

    public bool Ready { get; init; }

    /// <summary>Bytes of pages this worker holds (each page once).</summary>
    public long Cached { get; init; }

    /// <summary>Sum of this worker's tier quotas.</summary>
    public long CacheCapacity { get; init; }

    /// <summary>Bytes served from cached pages / all bytes read through this worker's cache, 0..1.</summary>
    public double CacheHitRatio { get; init; }

    /// <summary>Bytes read through this worker's cache (for weighing hit ratios).</summary>
    public long BytesRead { get; init; }

    /// <summary>Page bytes sent to clients since start.</summary>
    public long BytesServed { get; init; }

    /// <summary>Page bytes sent per second over the last 10 s.</summary>
    public double Throughput { get; init; }

    /// <summary>Bytes this worker read from the sources since start.</summary>
    public long SourceBytes { get; init; }

    /// <summary>Pages held, per store and in total.</summary>
    public long Pages { get; init; }

    /// <summary>READ requests answered since start.</summary>
    public long Reads { get; init; }

    /// <summary>Requests refused for a missing or wrong credential.</summary>
    public long AuthFailures { get; init; }

    /// <summary>Short-circuit leases held for clients now.</summary>
    public long Leases { get; init; }

    /// <summary>Bytes of all files at the sources (Fluid's <c>ufsTotal</c>); null until this worker's walk has finished.</summary>
    public long? UfsTotal { get; init; }

    /// <summary>Files at the sources (Fluid's <c>fileNum</c>); null until this worker's walk has finished.</summary>
    public long? FileNum { get; init; }

    public IReadOnlyList<WorkerTier> Tiers { get; init; } = [];
}

/// <summary>Usage of one store of a worker.</summary>
public sealed record WorkerTier(string Medium, string Name, long Used, long Quota, long Pages);

/// <summary>One file range a worker is asked to load.</summary>
public sealed record LoadPiece
{
    public required string Mount { get; init; }

    public required string Path { get; init; }

    public required string Version { get; init; }

    public long Length { get; init; }

    /// <summary>The source's modification time, UTC ticks.</summary>
    public long ModifiedTicks { get; init; }

    public long Offset { get; init; }

    public long Count { get; init; }
}

/// <summary>The body of <c>POST /v1/load</c>.</summary>
public sealed record LoadRequest
{
    public required IReadOnlyList<LoadPiece> Pieces { get; init; }
}

/// <summary>One line of the <c>POST /v1/load</c> answer (NDJSON): progress lines, then one summary line.</summary>
public sealed record LoadLine
{
    /// <summary>"progress", "summary" or "error".</summary>
    public required string Type { get; init; }

    public long FilesDone { get; init; }

    public long FilesTotal { get; init; }

    public long BytesDone { get; init; }

    public long BytesTotal { get; init; }

    public long BytesFetched { get; init; }

    public long BytesAlreadyCached { get; init; }

    public long FailedFiles { get; init; }

    public IReadOnlyList<string>? Errors { get; init; }

    public double ElapsedSeconds { get; init; }

    /// <summary>For "error" lines: what went wrong.</summary>
    public string? Message { get; init; }
}

/// <summary>JSON (de)serialization of the control port's documents, without reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WorkerSummary))]
[JsonSerializable(typeof(LoadRequest))]
[JsonSerializable(typeof(LoadLine))]
public sealed partial class ClusterJsonContext : JsonSerializerContext;
