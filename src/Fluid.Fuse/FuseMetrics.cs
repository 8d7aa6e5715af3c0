using System.Diagnostics.Metrics;
using Fluid.Fuse.Protocol;

namespace Fluid.Fuse;

/// <summary>
/// Counters of one mount: requests per opcode, errors, timeouts, interrupts, passthrough use and bytes.
/// Incremented with plain interlocked adds on the request path; exported through a
/// <see cref="Meter"/> named "Fluid.Fuse" whose instruments read these values when observed.
/// </summary>
public sealed class FuseMetrics : IDisposable
{
    private const int OpcodeSlots = 64;
    private readonly long[] _requests = new long[OpcodeSlots + 1];
    private readonly Meter _meter;
    private long _errors;
    private long _timeouts;
    private long _interrupts;
    private long _passthroughOpens;
    private long _passthroughFallbacks;
    private long _cachedOpens;
    private long _bytesRead;
    private long _readRequests;

    public FuseMetrics(string mountPoint)
    {
        _meter = new Meter("Fluid.Fuse");
        var tag = new KeyValuePair<string, object?>("mount", mountPoint);
        _meter.CreateObservableCounter("fluid_fuse_requests", ObserveRequests, description: "FUSE requests by opcode");
        _meter.CreateObservableCounter("fluid_fuse_errors", () => new Measurement<long>(Errors, tag), description: "Requests answered with an error");
        _meter.CreateObservableCounter("fluid_fuse_timeouts", () => new Measurement<long>(Timeouts, tag), description: "Requests answered EIO after the timeout");
        _meter.CreateObservableCounter("fluid_fuse_interrupts", () => new Measurement<long>(Interrupts, tag), description: "Requests answered EINTR after an interrupt");
        _meter.CreateObservableCounter("fluid_fuse_passthrough_opens", () => new Measurement<long>(PassthroughOpens, tag), description: "Opens served by kernel passthrough");
        _meter.CreateObservableCounter("fluid_fuse_passthrough_fallbacks", () => new Measurement<long>(PassthroughFallbacks, tag), description: "Opens that could have used passthrough but did not");
        _meter.CreateObservableCounter("fluid_fuse_bytes_read", () => new Measurement<long>(BytesRead, tag), unit: "By", description: "Bytes returned by READ");
        MountPoint = mountPoint;
    }

    public string MountPoint { get; }

    public long Errors => Volatile.Read(ref _errors);

    public long Timeouts => Volatile.Read(ref _timeouts);

    public long Interrupts => Volatile.Read(ref _interrupts);

    public long PassthroughOpens => Volatile.Read(ref _passthroughOpens);

    public long PassthroughFallbacks => Volatile.Read(ref _passthroughFallbacks);

    /// <summary>Opens answered with an OPEN reply that are served through user space (page cache kept).</summary>
    public long CachedOpens => Volatile.Read(ref _cachedOpens);

    public long BytesRead => Volatile.Read(ref _bytesRead);

    public long ReadRequests => Volatile.Read(ref _readRequests);

    /// <summary>Requests received with this opcode.</summary>
    public long Requests(FuseOpcode opcode) => Volatile.Read(ref _requests[Slot(opcode)]);

    /// <summary>Every opcode seen so far with its count.</summary>
    public IReadOnlyDictionary<FuseOpcode, long> RequestsByOpcode()
    {
        var result = new SortedDictionary<FuseOpcode, long>();
        for (var i = 0; i < _requests.Length; i++)
        {
            var count = Volatile.Read(ref _requests[i]);
            if (count > 0 && i < OpcodeSlots)
            {
                result[(FuseOpcode)i] = count;
            }
        }

        return result;
    }

    /// <summary>A one-line summary for logs and the benchmark.</summary>
    public override string ToString()
    {
        var parts = RequestsByOpcode().Select(kv => $"{kv.Key}={kv.Value}");
        return $"requests[{string.Join(' ', parts)}] errors={Errors} timeouts={Timeouts} interrupts={Interrupts} " +
            $"passthroughOpens={PassthroughOpens} passthroughFallbacks={PassthroughFallbacks} cachedOpens={CachedOpens} " +
            $"readRequests={ReadRequests} bytesRead={BytesRead}";
    }

    public void Dispose() => _meter.Dispose();

    internal void CountRequest(FuseOpcode opcode) => Interlocked.Increment(ref _requests[Slot(opcode)]);

    internal void CountError() => Interlocked.Increment(ref _errors);

    internal void CountTimeout() => Interlocked.Increment(ref _timeouts);

    internal void CountInterrupt() => Interlocked.Increment(ref _interrupts);

    internal void CountPassthroughOpen() => Interlocked.Increment(ref _passthroughOpens);

    internal void CountPassthroughFallback() => Interlocked.Increment(ref _passthroughFallbacks);

    internal void CountCachedOpen() => Interlocked.Increment(ref _cachedOpens);

    internal void CountRead(int bytes)
    {
        Interlocked.Increment(ref _readRequests);
        Interlocked.Add(ref _bytesRead, bytes);
    }

    private static int Slot(FuseOpcode opcode) => (uint)opcode < OpcodeSlots ? (int)opcode : OpcodeSlots;

    private IEnumerable<Measurement<long>> ObserveRequests()
    {
        foreach (var (opcode, count) in RequestsByOpcode())
        {
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("mount", MountPoint), new KeyValuePair<string, object?>("opcode", opcode.ToString()));
        }
    }
}
