using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Protocol;

namespace Fluid.Cache.Cluster.Client;

/// <summary>
/// What a client knows about one worker: its endpoint, a pool of connections, and whether it is
/// marked down (with a back-off that doubles while probes fail).
/// </summary>
internal sealed class WorkerState : IDisposable
{
    private readonly ConcurrentStack<WorkerConnection> _idle = new();
    private readonly int _maxIdle;
    private long _downUntil;
    private long _backoffTicks;
    private long _upSince = Stopwatch.GetTimestamp();
    private volatile bool _closed;

    public WorkerState(WorkerEndpoint endpoint, int maxConnections, string clientNode)
    {
        Endpoint = endpoint;
        _maxIdle = maxConnections;
        Slots = new SemaphoreSlim(maxConnections, maxConnections);
        ClientNode = clientNode;
        NodeName = endpoint.NodeName;
    }

    public WorkerEndpoint Endpoint { get; }

    public string Id => Endpoint.Id;

    /// <summary>Caps the requests in flight to this worker.</summary>
    public SemaphoreSlim Slots { get; }

    private string ClientNode { get; }

    /// <summary>The worker's node: from membership, else what the worker said when pinged.</summary>
    public string? NodeName { get; set; }

    /// <summary>True when the worker runs on the client's node.</summary>
    public bool Colocated => NodeName is not null && string.Equals(NodeName, ClientNode, StringComparison.Ordinal);

    /// <summary>Set when the worker's blobs turned out unreachable from here (another mount namespace, another host).</summary>
    public volatile bool ShortCircuitOff;

    public bool IsDown => Volatile.Read(ref _downUntil) != 0;

    /// <summary>True when the worker is down and its back-off has passed.</summary>
    public bool ProbeDue => Volatile.Read(ref _downUntil) is var until && until != 0 && Stopwatch.GetTimestamp() >= until;

    /// <summary>Bytes this client read from the worker over the network.</summary>
    public long BytesRead;

    /// <summary>Marks the worker down; false when it already was. Returns the back-off chosen.</summary>
    public bool MarkDown(TimeSpan min, TimeSpan max, out TimeSpan backoff)
    {
        lock (_idle)
        {
            if (IsDown)
            {
                backoff = TimeSpan.FromSeconds((double)_backoffTicks / Stopwatch.Frequency);
                return false;
            }

            // A worker that stayed up for a minute starts again from the shortest back-off.
            if (Stopwatch.GetElapsedTime(_upSince) > TimeSpan.FromMinutes(1))
            {
                _backoffTicks = 0;
            }

            _backoffTicks = NextBackoff(min, max);
            Volatile.Write(ref _downUntil, Stopwatch.GetTimestamp() + _backoffTicks);
            backoff = TimeSpan.FromSeconds((double)_backoffTicks / Stopwatch.Frequency);
        }

        DropIdleConnections();
        return true;
    }

    /// <summary>A probe failed: wait longer before the next one.</summary>
    public void ProbeFailed(TimeSpan min, TimeSpan max)
    {
        lock (_idle)
        {
            _backoffTicks = NextBackoff(min, max);
            Volatile.Write(ref _downUntil, Stopwatch.GetTimestamp() + _backoffTicks);
        }
    }

    /// <summary>The worker answered again.</summary>
    public void MarkUp()
    {
        lock (_idle)
        {
            Volatile.Write(ref _downUntil, 0);
            _upSince = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>A pooled connection, or a new one (<paramref name="fresh"/> forces a new one).</summary>
    public async ValueTask<WorkerConnection> RentAsync(bool fresh, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (!fresh && _idle.TryPop(out var pooled))
        {
            pooled.Reused = true;
            return pooled;
        }

        return await WorkerConnection.ConnectAsync(Endpoint, connectTimeout, cancellationToken);
    }

    /// <summary>Gives a healthy connection back for reuse.</summary>
    public void Return(WorkerConnection connection)
    {
        if (_closed || _idle.Count >= _maxIdle)
        {
            connection.Dispose();
            return;
        }

        _idle.Push(connection);
        if (_closed && _idle.TryPop(out var late))
        {
            late.Dispose();
        }
    }

    public void Dispose()
    {
        _closed = true;
        DropIdleConnections();
    }

    private void DropIdleConnections()
    {
        while (_idle.TryPop(out var connection))
        {
            connection.Dispose();
        }
    }

    private long NextBackoff(TimeSpan min, TimeSpan max)
    {
        var minTicks = (long)(min.TotalSeconds * Stopwatch.Frequency);
        var maxTicks = (long)(max.TotalSeconds * Stopwatch.Frequency);
        return _backoffTicks == 0 ? minTicks : Math.Min(maxTicks, _backoffTicks * 2);
    }
}

/// <summary>Up to four workers to try for one page, in ring order.</summary>
[InlineArray(Capacity)]
internal struct CandidateList
{
    public const int Capacity = 4;

    private WorkerState? _first;
}

/// <summary>A worker answered a request with an error status.</summary>
internal sealed class WorkerAnswerException(WireStatus status, string message) : Exception(message)
{
    public WireStatus Status { get; } = status;
}

/// <summary>A worker could not be reached, broke the connection or did not answer in time.</summary>
internal sealed class WorkerUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
