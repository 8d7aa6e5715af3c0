using System.Diagnostics.Metrics;

namespace Fluid.Cache.Diagnostics;

/// <summary>
/// The cache's counters: plain fields bumped with Interlocked on the hot path, exposed both as a
/// snapshot and as observable System.Diagnostics.Metrics instruments (meter "Fluid.Cache"), so
/// recording costs the same whether or not anything listens.
/// </summary>
internal sealed class CacheMetrics : IDisposable
{
    public const string MeterName = "Fluid.Cache";
    private readonly Meter _meter;

    public long MemoryHits;
    public long DiskHits;
    public long Misses;
    public long BytesServed;
    public long HitBytes;
    public long MissBytes;
    public long SourceReads;
    public long SourceBytes;
    public long SourceErrors;
    public long Evictions;
    public long CorruptPages;
    public long Promotions;
    public long Demotions;
    public long RejectedPages;
    public long RecoveredPages;

    public CacheMetrics(string datasetName, Func<long> cachedBytes, IMeterFactory? meterFactory)
    {
        var tags = new[] { new KeyValuePair<string, object?>("fluid.dataset", datasetName) };
        _meter = meterFactory?.Create(new MeterOptions(MeterName) { Tags = tags }) ?? new Meter(MeterName, null, tags);
        _meter.CreateObservableCounter("fluid.cache.hits", () => new[]
        {
            new Measurement<long>(Volatile.Read(ref MemoryHits), new KeyValuePair<string, object?>("tier", "mem")),
            new Measurement<long>(Volatile.Read(ref DiskHits), new KeyValuePair<string, object?>("tier", "disk")),
        }, "{page}", "Page lookups served from the cache");
        _meter.CreateObservableCounter("fluid.cache.misses", () => Volatile.Read(ref Misses), "{page}", "Page lookups that went to the source");
        _meter.CreateObservableCounter("fluid.cache.served", () => Volatile.Read(ref BytesServed), "By", "Bytes returned to readers");
        _meter.CreateObservableCounter("fluid.cache.source.reads", () => Volatile.Read(ref SourceReads), "{request}", "Read requests sent to the source");
        _meter.CreateObservableCounter("fluid.cache.source.bytes", () => Volatile.Read(ref SourceBytes), "By", "Bytes read from the source");
        _meter.CreateObservableCounter("fluid.cache.source.errors", () => Volatile.Read(ref SourceErrors), "{error}", "Failed source reads");
        _meter.CreateObservableCounter("fluid.cache.evictions", () => Volatile.Read(ref Evictions), "{page}", "Pages evicted from any tier");
        _meter.CreateObservableCounter("fluid.cache.corrupt", () => Volatile.Read(ref CorruptPages), "{page}", "Pages that failed their checksum and were dropped");
        _meter.CreateObservableCounter("fluid.cache.promotions", () => Volatile.Read(ref Promotions), "{page}", "Pages copied up to the MEM tier");
        _meter.CreateObservableCounter("fluid.cache.rejected", () => Volatile.Read(ref RejectedPages), "{page}", "Pages not cached for lack of room");
        _meter.CreateObservableGauge("fluid.cache.cached", cachedBytes, "By", "Bytes of the dataset held in the cache");
    }

    public CacheCounters Snapshot() => new()
    {
        MemoryHits = Volatile.Read(ref MemoryHits),
        DiskHits = Volatile.Read(ref DiskHits),
        Misses = Volatile.Read(ref Misses),
        BytesServed = Volatile.Read(ref BytesServed),
        HitBytes = Volatile.Read(ref HitBytes),
        MissBytes = Volatile.Read(ref MissBytes),
        SourceReads = Volatile.Read(ref SourceReads),
        SourceBytes = Volatile.Read(ref SourceBytes),
        SourceErrors = Volatile.Read(ref SourceErrors),
        Evictions = Volatile.Read(ref Evictions),
        CorruptPages = Volatile.Read(ref CorruptPages),
        Promotions = Volatile.Read(ref Promotions),
        Demotions = Volatile.Read(ref Demotions),
        RejectedPages = Volatile.Read(ref RejectedPages),
        RecoveredPages = Volatile.Read(ref RecoveredPages),
    };

    public void Dispose() => _meter.Dispose();
}
