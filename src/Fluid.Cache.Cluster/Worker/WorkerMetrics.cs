using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fluid.Cache.Cluster.Protocol;
using Fluid.Cache.Cluster.Security;

namespace Fluid.Cache.Cluster.Worker;

/// <summary>
/// Counters of a worker's data and control ports: plain fields bumped with Interlocked, published as
/// observable instruments of meter <c>Fluid.Cache.Cluster.Worker</c>.
/// </summary>
internal sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "Fluid.Cache.Cluster.Worker";
    private const int WindowSeconds = 10;

    private readonly Meter _meter;
    private readonly long[] _requests = new long[8];
    private readonly long[] _servedSamples = new long[WindowSeconds + 1];
    private readonly long[] _sampleTimes = new long[WindowSeconds + 1];
    private int _sampleIndex;

    public long BytesServed;
    public long ReadErrors;
    public long AuthMissingData;
    public long AuthWrongData;
    public long AuthMissingHttp;
    public long AuthWrongHttp;
    public long Connections;
    public long Leases;
    public long LoadBatches;
    public long LoadBytesFetched;

    public WorkerMetrics(string dataset, string workerId, IMeterFactory meterFactory)
    {
        var tags = new[] { new KeyValuePair<string, object?>("fluid.dataset", dataset), new KeyValuePair<string, object?>("fluid.worker", workerId) };
        _meter = meterFactory.Create(new MeterOptions(MeterName) { Tags = tags });
        _meter.CreateObservableCounter("fluid.cluster.requests", () => new[]
        {
            Op(Opcode.Ping, "ping"), Op(Opcode.Read, "read"), Op(Opcode.Lease, "lease"), Op(Opcode.Renew, "renew"), Op(Opcode.Release, "release"),
        }, "{request}", "Requests answered on the data port, by operation");
        _meter.CreateObservableCounter("fluid.cluster.served", () => Volatile.Read(ref BytesServed), "By", "Page bytes sent to clients");
        _meter.CreateObservableCounter("fluid.cluster.read.errors", () => Volatile.Read(ref ReadErrors), "{request}", "Reads answered with an error");
        _meter.CreateObservableCounter("fluid.cluster.auth.failures", () => new[]
        {
            Auth(ref AuthMissingData, "missing", "data"), Auth(ref AuthWrongData, "wrong", "data"),
            Auth(ref AuthMissingHttp, "missing", "http"), Auth(ref AuthWrongHttp, "wrong", "http"),
        }, "{request}", "Requests refused for a missing or wrong credential");
        _meter.CreateObservableGauge("fluid.cluster.connections", () => Volatile.Read(ref Connections), "{connection}", "Open data-port connections");
        _meter.CreateObservableGauge("fluid.cluster.leases", () => Volatile.Read(ref Leases), "{lease}", "Short-circuit leases held for clients");
        _meter.CreateObservableCounter("fluid.cluster.load.batches", () => Volatile.Read(ref LoadBatches), "{batch}", "Load batches run for clients");
        _meter.CreateObservableGauge("fluid.cluster.throughput", () => Throughput, "By/s", "Page bytes sent per second over the last 10 s");
    }

    public long AuthFailures => Volatile.Read(ref AuthMissingData) + Volatile.Read(ref AuthWrongData) + Volatile.Read(ref AuthMissingHttp) + Volatile.Read(ref AuthWrongHttp);

    public long RequestsOf(Opcode opcode) => Volatile.Read(ref _requests[(int)opcode]);

    public void CountRequest(Opcode opcode) => Interlocked.Increment(ref _requests[(int)opcode & 7]);

    public void CountAuthFailure(AuthFailure failure, bool http)
    {
        if (failure == AuthFailure.Missing)
        {
            Interlocked.Increment(ref http ? ref AuthMissingHttp : ref AuthMissingData);
        }
        else
        {
            Interlocked.Increment(ref http ? ref AuthWrongHttp : ref AuthWrongData);
        }
    }

    /// <summary>Takes a sample of the bytes served; called once a second.</summary>
    public void Sample()
    {
        lock (_servedSamples)
        {
            _sampleIndex = (_sampleIndex + 1) % _servedSamples.Length;
            _servedSamples[_sampleIndex] = Volatile.Read(ref BytesServed);
            _sampleTimes[_sampleIndex] = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Bytes served per second over the sampled window (up to the last 10 s).</summary>
    public double Throughput
    {
        get
        {
            lock (_servedSamples)
            {
                var oldest = (_sampleIndex + 1) % _servedSamples.Length;
                if (_sampleTimes[oldest] == 0)
                {
                    oldest = 0;
                }

                var seconds = Stopwatch.GetElapsedTime(_sampleTimes[oldest], _sampleTimes[_sampleIndex]).TotalSeconds;
                return seconds <= 0 ? 0 : (_servedSamples[_sampleIndex] - _servedSamples[oldest]) / seconds;
            }
        }
    }

    public void Dispose() => _meter.Dispose();

    private Measurement<long> Op(Opcode opcode, string name) => new(RequestsOf(opcode), new KeyValuePair<string, object?>("op", name));

    private static Measurement<long> Auth(ref long field, string reason, string port) =>
        new(Volatile.Read(ref field), new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("port", port));
}
