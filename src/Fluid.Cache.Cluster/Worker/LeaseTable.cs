using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Fluid.Cache.Cluster.Native;

namespace Fluid.Cache.Cluster.Worker;

/// <summary>
/// Leases a worker holds for same-node clients: while one is alive, no page of the file is evicted,
/// so the client may read the blob (or hand it to FUSE passthrough). A lease dies when released or
/// when the client stops renewing it for the TTL.
/// </summary>
internal sealed class LeaseTable : IDisposable
{
    private readonly ConcurrentDictionary<ulong, Held> _leases = new();
    private readonly TimeSpan _ttl;
    private readonly int _max;
    private readonly WorkerMetrics _metrics;

    public LeaseTable(TimeSpan ttl, int max, WorkerMetrics metrics)
    {
        _ttl = ttl;
        _max = max;
        _metrics = metrics;
    }

    public TimeSpan Ttl => _ttl;

    public int Count => _leases.Count;

    /// <summary>Leases the file's blob; false when it is not fully cached on disk or the table is full.</summary>
    public bool TryAcquire(DatasetCache cache, DatasetEntry entry, out ulong id, out string path, out FileIdentity identity)
    {
        id = 0;
        path = string.Empty;
        identity = default;
        if (_leases.Count >= _max || !cache.TryLeaseLocalFile(entry, out var lease) || lease is null)
        {
            return false;
        }

        if (!FileIdentity.TryGet(lease.Path, out identity))
        {
            lease.Dispose();
            return false;
        }

        // Random ids: a lease can only be renewed or released by the client it was given to.
        do
        {
            id = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        }
        while (id == 0 || !_leases.TryAdd(id, new Held(lease, Deadline())));

        path = lease.Path;
        Interlocked.Increment(ref _metrics.Leases);
        return true;
    }

    public bool Renew(ulong id)
    {
        if (!_leases.TryGetValue(id, out var held))
        {
            return false;
        }

        Volatile.Write(ref held.ExpiresAt, Deadline());
        return _leases.ContainsKey(id);
    }

    public bool Release(ulong id)
    {
        if (!_leases.TryRemove(id, out var held))
        {
            return false;
        }

        held.Lease.Dispose();
        Interlocked.Decrement(ref _metrics.Leases);
        return true;
    }

    /// <summary>Drops leases whose client stopped renewing them.</summary>
    public void Sweep()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var (id, held) in _leases)
        {
            if (Volatile.Read(ref held.ExpiresAt) < now)
            {
                Release(id);
            }
        }
    }

    public void Dispose()
    {
        foreach (var id in _leases.Keys)
        {
            Release(id);
        }
    }

    private long Deadline() => Stopwatch.GetTimestamp() + (long)(_ttl.TotalSeconds * Stopwatch.Frequency);

    private sealed class Held(LocalFileLease lease, long expiresAt)
    {
        public LocalFileLease Lease { get; } = lease;

        public long ExpiresAt = expiresAt;
    }
}
