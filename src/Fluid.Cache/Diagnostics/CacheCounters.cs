namespace Fluid.Cache;

/// <summary>A point-in-time copy of a cache's counters (all monotonic since the cache was opened).</summary>
public sealed record CacheCounters
{
    public long MemoryHits { get; init; }

    public long DiskHits { get; init; }

    public long Misses { get; init; }

    public long BytesServed { get; init; }

    /// <summary>Bytes served from pages that were cached when the read arrived.</summary>
    public long HitBytes { get; init; }

    /// <summary>Bytes served from pages that had to come from the source for that read.</summary>
    public long MissBytes { get; init; }

    public long SourceReads { get; init; }

    public long SourceBytes { get; init; }

    public long SourceErrors { get; init; }

    public long Evictions { get; init; }

    public long CorruptPages { get; init; }

    public long Promotions { get; init; }

    public long Demotions { get; init; }

    /// <summary>Pages fetched but not cached because no tier could make room.</summary>
    public long RejectedPages { get; init; }

    /// <summary>Pages found intact on disk when the cache opened.</summary>
    public long RecoveredPages { get; init; }

    public long Hits => MemoryHits + DiskHits;
}

/// <summary>Usage of one store (the MEM region or one disk directory).</summary>
public sealed record TierUsage(MediumType Medium, string Name, long Used, long Quota, long Pages, long Evictions);

/// <summary>The dataset's cache state in Fluid's terms (the <c>cacheStates</c> of a Dataset status).</summary>
public sealed record CacheSummary
{
    /// <summary>Bytes of the dataset cached in any tier, each page counted once.</summary>
    public long Cached { get; init; }

    /// <summary>Sum of all tier quotas (as Fluid reports it).</summary>
    public long CacheCapacity { get; init; }

    /// <summary>Cached bytes as a percentage of <see cref="UfsTotal"/>; null until the dataset was walked.</summary>
    public double? CachedPercentage { get; init; }

    /// <summary>Hits / (hits + misses) of page lookups, 0..1.</summary>
    public double CacheHitRatio { get; init; }

    /// <summary>Bytes in the source, from the last walk; null until then.</summary>
    public long? UfsTotal { get; init; }

    /// <summary>Files in the source, from the last walk; null until then.</summary>
    public long? FileNum { get; init; }

    public required IReadOnlyList<TierUsage> Tiers { get; init; }

    public required CacheCounters Counters { get; init; }
}

/// <summary>Size of the dataset at its sources, from a streaming walk.</summary>
public sealed record DatasetTotals(long UfsTotal, long FileNum);
