using System.Diagnostics.Metrics;

namespace Fluid.Cache.Cluster.Client;

/// <summary>A point-in-time copy of a cluster client's counters (monotonic since it was created).</summary>
public sealed record ClusterClientCounters
{
    /// <summary>Pages read from workers over the network.</summary>
    public long RemoteReads { get; init; }

    public long RemoteBytes { get; init; }

    /// <summary>Pages read straight from a co-located worker's blob.</summary>
    public long ShortCircuitReads { get; init; }

    public long ShortCircuitBytes { get; init; }

    /// <summary>Worker attempts that failed and moved on to the next worker or the source.</summary>
    public long Failovers { get; init; }

    /// <summary>Pages read from the source because no worker could serve them.</summary>
    public long SourceFallbacks { get; init; }

    public long SourceFallbackBytes { get; init; }

    public long WorkersMarkedDown { get; init; }

    public long WorkersRejoined { get; init; }

    /// <summary>Short-circuit leases obtained from co-located workers.</summary>
    public long Leases { get; init; }

    /// <summary>Leases given up because the blob was not the worker's file when opened here.</summary>
    public long ShortCircuitRefusals { get; init; }

    /// <summary>Requests a worker refused for the credential (a misconfigured token or dataset).</summary>
    public long Unauthorized { get; init; }
}

/// <summary>The client's counters, published as observable instruments of meter <c>Fluid.Cache.Cluster.Client</c>.</summary>
internal sealed class ClientMetrics : IDisposable
{
    public const string MeterName = "Fluid.Cache.Cluster.Client";
    private readonly Meter _meter;

    public long RemoteReads;
    public long RemoteBytes;
    public long ShortCircuitReads;
    public long ShortCircuitBytes;
    public long Failovers;
    public long SourceFallbacks;
    public long SourceFallbackBytes;
    public long WorkersMarkedDown;
    public long WorkersRejoined;
    public long Leases;
    public long ShortCircuitRefusals;
    public long Unauthorized;

    public ClientMetrics(string dataset, IMeterFactory? meterFactory)
    {
        var tags = new[] { new KeyValuePair<string, object?>("fluid.dataset", dataset) };
        _meter = meterFactory?.Create(new MeterOptions(MeterName) { Tags = tags }) ?? new Meter(MeterName, null, tags);
        _meter.CreateObservableCounter("fluid.cluster.client.reads", () => new[]
        {
            new Measurement<long>(Volatile.Read(ref RemoteReads), new KeyValuePair<string, object?>("path", "remote")),
            new Measurement<long>(Volatile.Read(ref ShortCircuitReads), new KeyValuePair<string, object?>("path", "short-circuit")),
            new Measurement<long>(Volatile.Read(ref SourceFallbacks), new KeyValuePair<string, object?>("path", "source")),
        }, "{page}", "Pages fetched for the client's cache, by path");
        _meter.CreateObservableCounter("fluid.cluster.client.bytes", () => new[]
        {
            new Measurement<long>(Volatile.Read(ref RemoteBytes), new KeyValuePair<string, object?>("path", "remote")),
            new Measurement<long>(Volatile.Read(ref ShortCircuitBytes), new KeyValuePair<string, object?>("path", "short-circuit")),
            new Measurement<long>(Volatile.Read(ref SourceFallbackBytes), new KeyValuePair<string, object?>("path", "source")),
        }, "By", "Bytes fetched for the client's cache, by path");
        _meter.CreateObservableCounter("fluid.cluster.client.failovers", () => Volatile.Read(ref Failovers), "{attempt}", "Worker attempts that failed over");
        _meter.CreateObservableCounter("fluid.cluster.client.workers.down", () => Volatile.Read(ref WorkersMarkedDown), "{event}", "Times a worker was marked down");
        _meter.CreateObservableCounter("fluid.cluster.client.workers.rejoined", () => Volatile.Read(ref WorkersRejoined), "{event}", "Times a worker came back");
        _meter.CreateObservableCounter("fluid.cluster.client.leases", () => Volatile.Read(ref Leases), "{lease}", "Short-circuit leases obtained");
        _meter.CreateObservableCounter("fluid.cluster.client.unauthorized", () => Volatile.Read(ref Unauthorized), "{request}", "Requests refused for the credential");
    }

    public ClusterClientCounters Snapshot() => new()
    {
        RemoteReads = Volatile.Read(ref RemoteReads),
        RemoteBytes = Volatile.Read(ref RemoteBytes),
        ShortCircuitReads = Volatile.Read(ref ShortCircuitReads),
        ShortCircuitBytes = Volatile.Read(ref ShortCircuitBytes),
        Failovers = Volatile.Read(ref Failovers),
        SourceFallbacks = Volatile.Read(ref SourceFallbacks),
        SourceFallbackBytes = Volatile.Read(ref SourceFallbackBytes),
        WorkersMarkedDown = Volatile.Read(ref WorkersMarkedDown),
        WorkersRejoined = Volatile.Read(ref WorkersRejoined),
        Leases = Volatile.Read(ref Leases),
        ShortCircuitRefusals = Volatile.Read(ref ShortCircuitRefusals),
        Unauthorized = Volatile.Read(ref Unauthorized),
    };

    public void Dispose() => _meter.Dispose();
}
