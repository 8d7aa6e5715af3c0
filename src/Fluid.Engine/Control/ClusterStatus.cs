using Fluid.Cache.Cluster.Client;

namespace Fluid.Engine.Control;

/// <summary>
/// Folds the cache workers' summaries into a dataset's status: cached bytes and capacity are sums over
/// the workers, the hit ratio is weighed by the bytes each worker read, as the operator computes Fluid's
/// <c>cacheStates</c>. The client's own small cache stays visible in the tiers.
/// </summary>
public static class ClusterStatus
{
    public static DatasetStatusReport Combine(DatasetStatusReport client, IReadOnlyList<WorkerStatus> workers, ClusterClientCounters counters)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(counters);
        var rows = workers.Select(ToReport).OrderBy(w => w.Id, StringComparer.Ordinal).ToList();
        var cached = rows.Sum(w => w.Cached);
        var capacity = rows.Sum(w => w.CacheCapacity);
        var read = rows.Sum(w => w.BytesRead);
        var hitRatio = read == 0 ? 0 : rows.Sum(w => w.CacheHitRatio * w.BytesRead) / read;
        double? percentage = client.UfsTotal switch
        {
            null => null,
            0 => 100,
            { } total => Math.Min(100, cached * 100.0 / total),
        };
        var states = new Dictionary<string, string>(client.Status.CacheStates, StringComparer.Ordinal)
        {
            ["cached"] = Units.Bytes(cached),
            ["cacheCapacity"] = Units.Bytes(capacity),
            ["cachedPercentage"] = percentage is { } p ? Units.Percent(p) : string.Empty,
            ["cacheHitRatio"] = Units.Percent(hitRatio * 100),
        };
        return client with
        {
            Cached = cached,
            CacheCapacity = capacity,
            CachedPercentage = percentage,
            CacheHitRatio = hitRatio,
            Workers = rows,
            Cluster = counters,
            Status = client.Status with { CacheStates = states },
        };
    }

    private static WorkerReport ToReport(WorkerStatus status)
    {
        var endpoint = status.Endpoint;
        var address = $"{(endpoint.Host.Contains(':', StringComparison.Ordinal) ? $"[{endpoint.Host}]" : endpoint.Host)}:{endpoint.DataPort}";
        if (status.Summary is not { } summary)
        {
            return new WorkerReport
            {
                Id = endpoint.Id,
                Address = address,
                NodeName = endpoint.NodeName,
                State = status.MarkedDown ? "Down" : "Unreachable",
                Error = status.Error,
            };
        }

        return new WorkerReport
        {
            Id = endpoint.Id,
            Address = address,
            NodeName = summary.NodeName,
            State = status.MarkedDown ? "Down" : summary.Ready ? "Ready" : "NotReady",
            Cached = summary.Cached,
            CacheCapacity = summary.CacheCapacity,
            CacheHitRatio = summary.CacheHitRatio,
            BytesRead = summary.BytesRead,
            BytesServed = summary.BytesServed,
            Throughput = summary.Throughput,
            SourceBytes = summary.SourceBytes,
            Pages = summary.Pages,
            AuthFailures = summary.AuthFailures,
        };
    }
}
