using System.Collections.Concurrent;
using System.Diagnostics;
using Fluid.Cache.Cluster.Diagnostics;
using Fluid.Cache.Cluster.Native;
using Fluid.Cache.Cluster.Protocol;
using Fluid.Storage;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Cache.Cluster.Client;

/// <summary>
/// Short-circuit reads: when the owning worker runs on this node and says a file is fully cached on
/// its disk, the client leases the file's blob (the worker then keeps it whole), checks that the path
/// opens to the very file the worker reported (device and inode), and reads it directly. Leases are
/// renewed while used and given back when idle.
/// </summary>
public sealed partial class ClusterClient
{
    private readonly ConcurrentDictionary<BlobKey, LocalBlob> _blobs = new();
    private readonly ConcurrentDictionary<BlobKey, byte> _acquiring = new();
    private readonly Task _shortCircuitLoop;

    /// <summary>Short-circuit blobs held now (for tests and status).</summary>
    internal int BlobCount => _blobs.Count;

    private int TryReadShortCircuit(WorkerState worker, DatasetMount mount, UfsEntry file, long offset, Span<byte> destination)
    {
        if (_blobs.IsEmpty
            || !_blobs.TryGetValue(new BlobKey(mount.Name, file.Path, file.Version, file.Length), out var blob)
            || blob.Worker != worker
            || !blob.IsValid)
        {
            return -1;
        }

        var expected = (int)Math.Min(destination.Length, file.Length - offset);
        if (expected < 0)
        {
            return -1;
        }

        try
        {
            var filled = 0;
            while (filled < expected)
            {
                var n = RandomAccess.Read(blob.Handle, destination[filled..expected], offset + filled);
                if (n <= 0)
                {
                    return -1;
                }

                filled += n;
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return -1;
        }

        // Reads that overlapped the lease's end cannot be trusted: the worker may have evicted meanwhile.
        if (!blob.IsValid)
        {
            return -1;
        }

        blob.Touch();
        Interlocked.Increment(ref _metrics.ShortCircuitReads);
        Interlocked.Add(ref _metrics.ShortCircuitBytes, expected);
        return expected;
    }

    /// <summary>The worker said the file is whole on its disk: lease it in the background for the reads that follow.</summary>
    private void OnFullyCachedHint(WorkerState worker, DatasetMount mount, UfsEntry file, int readLength)
    {
        if (file.Length <= readLength || file.Length > _placement.SegmentThreshold)
        {
            return;
        }

        var key = new BlobKey(mount.Name, file.Path, file.Version, file.Length);
        if (_blobs.ContainsKey(key) || !_acquiring.TryAdd(key, 0))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await GetBlobAsync(worker, mount, file, _disposed.Token);
            }
            catch (Exception ex) when (ex is WorkerUnreachableException or WorkerAnswerException or OperationCanceledException or ObjectDisposedException)
            {
                // The network path keeps working; short-circuit is an optimisation.
            }
            finally
            {
                _acquiring.TryRemove(key, out _);
            }
        });
    }

    private async Task<LocalBlob?> GetBlobAsync(WorkerState worker, DatasetMount mount, UfsEntry file, CancellationToken cancellationToken)
    {
        var key = new BlobKey(mount.Name, file.Path, file.Version, file.Length);
        if (_blobs.TryGetValue(key, out var existing) && existing.Worker == worker && existing.IsValid)
        {
            return existing;
        }

        var wire = new WireFile(mount.Name, file);
        var body = new byte[wire.EncodedLength];
        var writer = new WireWriter(body);
        wire.Write(ref writer);
        var (status, payload) = await ExchangeAsync(worker, Opcode.Lease, body, cancellationToken);
        if (status != WireStatus.Ok)
        {
            return null;
        }

        ulong id;
        TimeSpan ttl;
        FileIdentity reported;
        string path;
        try
        {
            var reader = new WireReader(payload);
            id = reader.UInt64();
            ttl = TimeSpan.FromMilliseconds(reader.Int32());
            reported = new FileIdentity(0, 0, file.Length) with { Device = reader.UInt64(), Inode = reader.UInt64() };
            path = reader.String();
        }
        catch (FormatException)
        {
            return null;
        }

        SafeFileHandle? handle = null;
        string? problem = null;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (!FileIdentity.TryGet(handle, out var actual))
            {
                problem = $"cannot stat {path}";
            }
            else if (actual.Device != reported.Device || actual.Inode != reported.Inode)
            {
                problem = $"{path} here is another file than the worker's (device/inode differ: not the same host path)";
            }
            else if (actual.Size != file.Length)
            {
                problem = $"{path} has {actual.Size} bytes, the file {file.Length}";
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot open {path}: {ex.Message}";
        }

        if (problem is not null)
        {
            handle?.Dispose();
            worker.ShortCircuitOff = true;
            Interlocked.Increment(ref _metrics.ShortCircuitRefusals);
            Log.ShortCircuitRefused(_logger, worker.Id, problem);
            _ = ReleaseLeaseAsync(worker, id);
            return null;
        }

        var blob = new LocalBlob(worker, id, path, handle!, file.Length, ttl);
        var winner = _blobs.AddOrUpdate(key, blob, (_, current) => current.Worker == worker && current.IsValid ? current : blob);
        if (winner != blob)
        {
            blob.Close();
            _ = ReleaseLeaseAsync(worker, id);
            return winner;
        }

        if (existing is not null)
        {
            existing.Close();
        }

        Interlocked.Increment(ref _metrics.Leases);
        return blob;
    }

    /// <summary>Renews leases in use and gives back idle ones, once a second.</summary>
    private async Task ShortCircuitLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(_disposed.Token))
        {
            if (_blobs.IsEmpty)
            {
                continue;
            }

            var now = Stopwatch.GetTimestamp();
            var due = new Dictionary<WorkerState, List<(BlobKey Key, LocalBlob Blob)>>();
            foreach (var (key, blob) in _blobs)
            {
                if (blob.IsIdle(_options.ShortCircuitIdle))
                {
                    if (_blobs.TryRemove(new KeyValuePair<BlobKey, LocalBlob>(key, blob)))
                    {
                        blob.Close();
                        await ReleaseLeaseAsync(blob.Worker, blob.LeaseId);
                    }
                }
                else if (now >= blob.RenewAt)
                {
                    if (!due.TryGetValue(blob.Worker, out var list))
                    {
                        due[blob.Worker] = list = [];
                    }

                    list.Add((key, blob));
                }
            }

            foreach (var (worker, blobs) in due)
            {
                await RenewAsync(worker, blobs);
            }
        }
    }

    private async Task RenewAsync(WorkerState worker, List<(BlobKey Key, LocalBlob Blob)> blobs)
    {
        for (var start = 0; start < blobs.Count; start += 4096)
        {
            var batch = blobs.GetRange(start, Math.Min(4096, blobs.Count - start));
            var body = new byte[4 + (8 * batch.Count)];
            var writer = new WireWriter(body);
            writer.Int32(batch.Count);
            foreach (var (_, blob) in batch)
            {
                writer.UInt64(blob.LeaseId);
            }

            byte[] alive;
            try
            {
                var (status, payload) = await ExchangeAsync(worker, Opcode.Renew, body, _disposed.Token);
                alive = status == WireStatus.Ok && payload.Length == batch.Count ? payload : new byte[batch.Count];
            }
            catch (Exception ex) when (ex is WorkerUnreachableException or WorkerAnswerException)
            {
                // Unrenewed leases simply run out (IsValid turns false before the worker's TTL ends).
                continue;
            }

            for (var i = 0; i < batch.Count; i++)
            {
                var (key, blob) = batch[i];
                if (alive[i] == 1)
                {
                    blob.Renewed();
                }
                else if (_blobs.TryRemove(new KeyValuePair<BlobKey, LocalBlob>(key, blob)))
                {
                    blob.Close();
                }
            }
        }
    }

    private async Task ReleaseLeaseAsync(WorkerState worker, ulong id)
    {
        var body = new byte[8];
        var writer = new WireWriter(body);
        writer.UInt64(id);
        try
        {
            using var timeout = new CancellationTokenSource(_options.RequestTimeout);
            await ExchangeAsync(worker, Opcode.Release, body, timeout.Token);
        }
        catch (Exception ex) when (ex is WorkerUnreachableException or WorkerAnswerException or OperationCanceledException or ObjectDisposedException)
        {
            // The worker's TTL ends the lease anyway.
        }
    }

    private void DropBlobsOf(WorkerState worker)
    {
        foreach (var (key, blob) in _blobs)
        {
            if (blob.Worker == worker && _blobs.TryRemove(new KeyValuePair<BlobKey, LocalBlob>(key, blob)))
            {
                blob.Close();
            }
        }
    }

    private async Task ReleaseAllBlobsAsync()
    {
        foreach (var (key, blob) in _blobs)
        {
            if (_blobs.TryRemove(new KeyValuePair<BlobKey, LocalBlob>(key, blob)))
            {
                blob.Close();
                if (!blob.Worker.IsDown)
                {
                    await ReleaseLeaseAsync(blob.Worker, blob.LeaseId);
                }
            }
        }
    }

    /// <summary>One request on a pooled connection with the client's timeout; the answer's status and payload.</summary>
    private async Task<(WireStatus Status, byte[] Payload)> ExchangeAsync(WorkerState worker, Opcode opcode, byte[] body, CancellationToken cancellationToken)
    {
        await worker.Slots.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var connection = await RentAsync(worker, fresh: attempt > 0, cancellationToken);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.RequestTimeout);
                try
                {
                    body.CopyTo(connection.Body(body.Length));
                    var answer = await connection.SendAsync(opcode, RequestFlags.None, body.Length, _credential, timeout.Token);
                    if (answer.Length > Wire.MaxErrorPayload)
                    {
                        throw new IOException($"the worker sent {answer.Length} bytes for {opcode}");
                    }

                    var payload = new byte[answer.Length];
                    await connection.ReceiveAsync(payload, timeout.Token);
                    Finish(worker, connection, answer.Status);
                    if (answer.Status == WireStatus.Unauthorized)
                    {
                        throw new WorkerAnswerException(answer.Status, System.Text.Encoding.UTF8.GetString(payload));
                    }

                    return (answer.Status, payload);
                }
                catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
                {
                    connection.Dispose();
                    if (connection.Reused && attempt == 0)
                    {
                        continue;
                    }

                    throw new WorkerUnreachableException(Describe(ex, timeout.IsCancellationRequested), ex);
                }
            }
        }
        finally
        {
            worker.Slots.Release();
        }
    }

    private readonly record struct BlobKey(string Mount, string Path, string Version, long Length);

    /// <summary>A leased blob of a co-located worker, open for reading.</summary>
    private sealed class LocalBlob
    {
        private readonly long _ttlTicks;
        private long _validUntil;
        private long _renewAt;
        private long _lastUsed;
        private int _refs;
        private volatile bool _closed;

        public LocalBlob(WorkerState worker, ulong leaseId, string path, SafeFileHandle handle, long length, TimeSpan ttl)
        {
            Worker = worker;
            LeaseId = leaseId;
            Path = path;
            Handle = handle;
            Length = length;
            _ttlTicks = (long)(ttl.TotalSeconds * Stopwatch.Frequency);
            Renewed();
            Touch();
        }

        public WorkerState Worker { get; }

        public ulong LeaseId { get; }

        public string Path { get; }

        public SafeFileHandle Handle { get; }

        public long Length { get; }

        /// <summary>Trusted for half the worker's TTL after the last renewal, so it is never used past the worker's end of the lease.</summary>
        public bool IsValid => !_closed && !Worker.IsDown && Stopwatch.GetTimestamp() < Volatile.Read(ref _validUntil);

        public long RenewAt => Volatile.Read(ref _renewAt);

        public bool IsIdle(TimeSpan idle) =>
            Volatile.Read(ref _refs) == 0 && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastUsed)) > idle;

        public void Touch() => Volatile.Write(ref _lastUsed, Stopwatch.GetTimestamp());

        public void Renewed()
        {
            var now = Stopwatch.GetTimestamp();
            Volatile.Write(ref _validUntil, now + (_ttlTicks / 2));
            Volatile.Write(ref _renewAt, now + (_ttlTicks / 4));
        }

        /// <summary>A lease on the blob's path for FUSE passthrough; the blob stays leased while any is open.</summary>
        public LocalFileLease Lease()
        {
            Interlocked.Increment(ref _refs);
            Touch();
            return new LocalFileLease(Path, Length, () =>
            {
                Interlocked.Decrement(ref _refs);
                Touch();
            });
        }

        public void Close()
        {
            _closed = true;
            Handle.Dispose();
        }
    }
}
