using System.Text.Json.Serialization;

namespace Fluid.Engine.Control;

/// <summary>The state of one running dataset, as <c>fluid status -o json</c> prints it.</summary>
public sealed record DatasetStatusReport
{
    /// <summary>"name", or "namespace/name" outside the default namespace.</summary>
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary>Fluid's dataset phase: Bound while the engine serves the dataset.</summary>
    public required string Phase { get; init; }

    /// <summary>Where the dataset is mounted, or null when it runs without a FUSE mount.</summary>
    public string? MountPoint { get; init; }

    public int Pid { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Bytes of all files at the sources (Fluid's <c>ufsTotal</c>); null until the walk has finished.</summary>
    public long? UfsTotal { get; init; }

    /// <summary>Files at the sources (Fluid's <c>fileNum</c>); null until the walk has finished.</summary>
    public long? FileNum { get; init; }

    /// <summary>"walking", "done" or "failed: reason".</summary>
    public required string Totals { get; init; }

    public long Cached { get; init; }

    public long CacheCapacity { get; init; }

    /// <summary>Cached bytes as a percentage of <see cref="UfsTotal"/>; null until the walk has finished.</summary>
    public double? CachedPercentage { get; init; }

    /// <summary>Bytes served from pages already cached / all bytes served, 0 to 1.</summary>
    public double CacheHitRatio { get; init; }

    /// <summary>Bytes per second the cache served to readers over the last seconds.</summary>
    public double ReadThroughput { get; init; }

    /// <summary>Bytes per second fetched from the sources over the last seconds.</summary>
    public double SourceThroughput { get; init; }

    public required IReadOnlyList<MountReport> Mounts { get; init; }

    public required IReadOnlyList<TierReport> Tiers { get; init; }

    /// <summary>The cache's counters (monotonic since start).</summary>
    public required Fluid.Cache.CacheCounters Counters { get; init; }

    public FuseReport? Fuse { get; init; }

    /// <summary>The cache workers when the dataset runs on them (null for an in-process cache).</summary>
    public IReadOnlyList<WorkerReport>? Workers { get; init; }

    /// <summary>How the client reached the workers: remote and short-circuit reads, failovers, fallbacks (null for an in-process cache).</summary>
    public Fluid.Cache.Cluster.Client.ClusterClientCounters? Cluster { get; init; }

    /// <summary>The same figures as Fluid writes them into a Dataset's status (strings such as "1.50GiB", "42.0%").</summary>
    public required FluidDatasetStatus Status { get; init; }
}

/// <summary>A mount of the dataset: its name, where it appears and its source (never credentials).</summary>
public sealed record MountReport(string Name, string Path, string Source);

/// <summary>One store of a cache tier.</summary>
public sealed record TierReport(string Medium, string Name, long Used, long Quota, long Pages, long Evictions);

/// <summary>One cache worker of the dataset as <c>fluid status</c> shows it.</summary>
public sealed record WorkerReport
{
    public required string Id { get; init; }

    /// <summary>HOST:DATAPORT.</summary>
    public required string Address { get; init; }

    public string? NodeName { get; init; }

    /// <summary>"Ready", "NotReady", "Down" (the client marked it down) or "Unreachable".</summary>
    public required string State { get; init; }

    /// <summary>Why no summary could be read, when none could.</summary>
    public string? Error { get; init; }

    public long Cached { get; init; }

    public long CacheCapacity { get; init; }

    public double CacheHitRatio { get; init; }

    public long BytesRead { get; init; }

    public long BytesServed { get; init; }

    /// <summary>Page bytes the worker sent per second over its last seconds.</summary>
    public double Throughput { get; init; }

    public long SourceBytes { get; init; }

    public long Pages { get; init; }

    public long AuthFailures { get; init; }
}

/// <summary>Counters of the FUSE mount.</summary>
public sealed record FuseReport
{
    public bool PassthroughActive { get; init; }

    public bool KernelOffersPassthrough { get; init; }

    public bool ZeroMessageOpens { get; init; }

    public long PassthroughOpens { get; init; }

    public long PassthroughFallbacks { get; init; }

    /// <summary>Opens for which the cache offered a leased local file.</summary>
    public long BackingFilesOffered { get; init; }

    public long CachedOpens { get; init; }

    public long ReadRequests { get; init; }

    public long BytesRead { get; init; }

    public long Errors { get; init; }

    public long Timeouts { get; init; }

    public int ReaderThreads { get; init; }
}

/// <summary>The fields of Fluid's <c>DatasetStatus</c> that describe the cache, in Fluid's string forms.</summary>
public sealed record FluidDatasetStatus
{
    public required string Phase { get; init; }

    /// <summary>e.g. "1.50GiB"; empty until known.</summary>
    public required string UfsTotal { get; init; }

    /// <summary>e.g. "2004"; empty until known.</summary>
    public required string FileNum { get; init; }

    /// <summary>cached, cacheCapacity, cachedPercentage, cacheHitRatio.</summary>
    public required IReadOnlyDictionary<string, string> CacheStates { get; init; }
}

/// <summary>Body of a load request: dataset paths ("/" or none: the whole dataset) and the copies of each file to load on distinct workers.</summary>
public sealed record LoadRequest(IReadOnlyList<string> Paths, int Replicas = 1);

/// <summary>One line of a load's progress stream.</summary>
public sealed record LoadEvent
{
    public const string ProgressType = "progress";
    public const string DoneType = "done";
    public const string ErrorType = "error";

    /// <summary>A "progress" line.</summary>
    public static LoadEvent Progress(Fluid.Cache.LoadProgress progress)
    {
        return new LoadEvent
        {
            Type = ProgressType,
            FilesDone = progress.FilesDone,
            FilesTotal = progress.FilesTotal,
            BytesDone = progress.BytesDone,
            BytesTotal = progress.BytesTotal,
            TotalsFinal = progress.TotalsFinal,
            BytesPerSecond = progress.BytesPerSecond,
            ElapsedSeconds = progress.Elapsed.TotalSeconds,
            EtaSeconds = progress.Eta?.TotalSeconds,
        };
    }

    /// <summary>The "done" line of a finished load.</summary>
    public static LoadEvent Done(Fluid.Cache.LoadSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new LoadEvent
        {
            Type = DoneType,
            FilesDone = summary.Files,
            FilesTotal = summary.Files,
            BytesDone = summary.Bytes,
            BytesTotal = summary.Bytes,
            TotalsFinal = true,
            ElapsedSeconds = summary.Elapsed.TotalSeconds,
            BytesPerSecond = summary.Elapsed.TotalSeconds > 0 ? summary.Bytes / summary.Elapsed.TotalSeconds : 0,
            BytesFetched = summary.BytesFetched,
            BytesAlreadyCached = summary.BytesAlreadyCached,
            FailedFiles = summary.FailedFiles,
            Errors = summary.Errors,
        };
    }

    /// <summary>"progress", "done" or "error".</summary>
    public required string Type { get; init; }

    public long FilesDone { get; init; }

    public long FilesTotal { get; init; }

    public long BytesDone { get; init; }

    public long BytesTotal { get; init; }

    /// <summary>True once the walk has finished, so the totals stop growing.</summary>
    public bool TotalsFinal { get; init; }

    public double BytesPerSecond { get; init; }

    public double ElapsedSeconds { get; init; }

    public double? EtaSeconds { get; init; }

    /// <summary>Done: bytes fetched from the sources.</summary>
    public long BytesFetched { get; init; }

    /// <summary>Done: bytes that were cached already.</summary>
    public long BytesAlreadyCached { get; init; }

    public long FailedFiles { get; init; }

    /// <summary>Done: the first failures, each naming its file.</summary>
    public IReadOnlyList<string>? Errors { get; init; }

    /// <summary>Error: what went wrong.</summary>
    public string? Message { get; init; }
}

/// <summary>One entry of a listing (or, with type "error", why the listing stopped).</summary>
public sealed record ListEntry
{
    public required string Name { get; init; }

    /// <summary>"dir", "file" or "error".</summary>
    public required string Type { get; init; }

    public long Size { get; init; }

    public DateTimeOffset Modified { get; init; }

    public string? Message { get; init; }
}

/// <summary>The answer to a down request.</summary>
public sealed record DownReply(string Id, string? MountPoint);

/// <summary>An error answer of the control endpoint.</summary>
public sealed record ControlError(string Error);

/// <summary>Source-generated JSON for the control protocol (camelCase, nulls kept so absent figures read as null).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DatasetStatusReport))]
[JsonSerializable(typeof(List<DatasetStatusReport>))]
[JsonSerializable(typeof(LoadRequest))]
[JsonSerializable(typeof(LoadEvent))]
[JsonSerializable(typeof(ListEntry))]
[JsonSerializable(typeof(DownReply))]
[JsonSerializable(typeof(ControlError))]
[JsonSerializable(typeof(DaemonState))]
public sealed partial class ControlJson : JsonSerializerContext;
