using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Fluid.Cache.Cluster.Diagnostics;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Protocol;
using Fluid.Cache.Cluster.Ring;
using Fluid.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Cache.Cluster.Client;

/// <summary>
/// The client side of the distributed cache, plugged into a <see cref="DatasetCache"/> as its
/// <see cref="IPageSource"/>: a page is asked of the worker that owns it on the consistent-hash ring
/// (files whole, large files by segments), then of the next worker of the ring, then read from the
/// source, so a reader always gets the right bytes. Same-node workers' fully cached blobs are read
/// directly. Membership changes swap an immutable ring without blocking readers.
/// </summary>
public sealed partial class ClusterClient : IPageSource, IAsyncDisposable
{
    private readonly ClusterClientOptions _options;
    private readonly IWorkerMembership _membership;
    private readonly ILogger _logger;
    private readonly ClientMetrics _metrics;
    private readonly ReadOnlyMemory<byte> _credential;
    private readonly PlacementOptions _placement;
    private readonly Lock _viewLock = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly Task _prober;
    private readonly HttpClient _http;
    private RingView _view = new(HashRing.Empty, []);

    /// <summary>Creates a client over <paramref name="membership"/>; it follows membership changes until disposed.</summary>
    /// <exception cref="ArgumentException">Invalid options; the message lists every problem.</exception>
    public ClusterClient(ClusterClientOptions options, IWorkerMembership membership, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(membership);
        var errors = options.Validate(pageSize: 4096);
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid cluster client configuration:\n  " + string.Join("\n  ", errors), nameof(options));
        }

        _options = options;
        _membership = membership;
        _placement = options.Placement;
        _logger = (ILogger?)loggerFactory?.CreateLogger<ClusterClient>() ?? NullLogger<ClusterClient>.Instance;
        _metrics = new ClientMetrics(options.Dataset, meterFactory);
        _credential = options.Token.DeriveCredential(options.Dataset);
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _membership.Changed += OnMembershipChanged;
        OnMembershipChanged(_membership.Current);
        _prober = Task.Run(ProbeLoopAsync);
        _shortCircuitLoop = Task.Run(ShortCircuitLoopAsync);
    }

    public ClusterClientOptions Options => _options;

    /// <summary>The ring now (ids of every member, down or not).</summary>
    public HashRing Ring => Volatile.Read(ref _view).Ring;

    /// <summary>Members not marked down.</summary>
    public IReadOnlyList<WorkerEndpoint> LiveWorkers => [.. Volatile.Read(ref _view).Workers.Where(w => !w.IsDown).Select(w => w.Endpoint)];

    /// <summary>A snapshot of the client's counters.</summary>
    public ClusterClientCounters GetCounters() => _metrics.Snapshot();

    /// <summary>
    /// Opens a client-side cache whose misses come from the workers: keep its tiers small (a MEM tier
    /// of a few readahead windows is enough); metadata comes from <paramref name="mounts"/> directly.
    /// </summary>
    public Task<DatasetCache> OpenCacheAsync(CacheOptions options, IReadOnlyList<DatasetMount> mounts, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = _options.Validate(options.PageSize);
        if (errors.Count > 0)
        {
            throw new ArgumentException("cluster client and cache disagree:\n  " + string.Join("\n  ", errors), nameof(options));
        }

        return DatasetCache.OpenAsync(options, mounts, this, loggerFactory, meterFactory, cancellationToken);
    }

    /// <summary>The id of the worker that owns the byte at <paramref name="offset"/> of a file, ignoring down marks; null without workers.</summary>
    public string? OwnerOf(string mount, UfsEntry file, long offset)
    {
        ArgumentNullException.ThrowIfNull(file);
        var view = Volatile.Read(ref _view);
        var owner = view.Ring.OwnerOf(_placement.KeyOf(mount, file.Path, file.Length, offset));
        return owner < 0 ? null : view.Ring.Workers[owner];
    }

    /// <inheritdoc/>
    public async ValueTask<int> ReadAsync(DatasetMount mount, UfsEntry file, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mount);
        ArgumentNullException.ThrowIfNull(file);
        var view = Volatile.Read(ref _view);
        var candidates = default(CandidateList);
        var count = view.Ring.Count == 0 ? 0 : Pick(view, _placement.KeyOf(mount.Name, file.Path, file.Length, offset), ref candidates);
        for (var i = 0; i < count; i++)
        {
            var worker = candidates[i]!;
            if (i == 0 && worker.Colocated && _options.ShortCircuit && !worker.ShortCircuitOff)
            {
                var local = TryReadShortCircuit(worker, mount, file, offset, destination.Span);
                if (local >= 0)
                {
                    return local;
                }
            }

            try
            {
                var n = await ReadFromWorkerAsync(worker, mount, file, offset, destination, cancellationToken);
                Interlocked.Increment(ref _metrics.RemoteReads);
                Interlocked.Add(ref _metrics.RemoteBytes, n);
                Interlocked.Add(ref worker.BytesRead, n);
                return n;
            }
            catch (WorkerAnswerException ex) when (ex.Status is WireStatus.VersionMismatch or WireStatus.NotFound)
            {
                // An answer about the source itself: the same for every worker and for the source.
                throw new UfsException(
                    ex.Status == WireStatus.NotFound ? UfsErrorKind.NotFound : UfsErrorKind.VersionMismatch,
                    "/" + mount.Name, file.Path, "read", $"worker {worker.Id}: {ex.Message}");
            }
            catch (WorkerAnswerException ex) when (ex.Status == WireStatus.SourceFailed)
            {
                // The worker is fine but could not read the source; try the source from here.
                Interlocked.Increment(ref _metrics.Failovers);
                break;
            }
            catch (WorkerAnswerException ex)
            {
                Interlocked.Increment(ref _metrics.Failovers);
                if (ex.Status == WireStatus.Unauthorized)
                {
                    Interlocked.Increment(ref _metrics.Unauthorized);
                }

                MarkDown(worker, $"answered {ex.Status}: {ex.Message}");
            }
            catch (WorkerUnreachableException ex)
            {
                Interlocked.Increment(ref _metrics.Failovers);
                MarkDown(worker, ex.Message);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var read = await mount.Source.ReadAsync(file, offset, destination, cancellationToken);
        Interlocked.Increment(ref _metrics.SourceFallbacks);
        Interlocked.Add(ref _metrics.SourceFallbackBytes, read);
        return read;
    }

    /// <inheritdoc/>
    public async ValueTask<LocalFileLease?> LeaseLocalFileAsync(DatasetMount mount, UfsEntry file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mount);
        ArgumentNullException.ThrowIfNull(file);
        if (!_options.ShortCircuit || file.Length == 0 || file.Length > _placement.SegmentThreshold)
        {
            return null;
        }

        var view = Volatile.Read(ref _view);
        var candidates = default(CandidateList);
        if (view.Ring.Count == 0 || Pick(view, _placement.KeyOf(mount.Name, file.Path, file.Length, 0), ref candidates) == 0)
        {
            return null;
        }

        var owner = candidates[0]!;
        if (!owner.Colocated || owner.ShortCircuitOff)
        {
            return null;
        }

        var blob = await GetBlobAsync(owner, mount, file, cancellationToken);
        return blob?.Lease();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        _membership.Changed -= OnMembershipChanged;
        await _disposed.CancelAsync();
        try
        {
            await Task.WhenAll(_prober, _shortCircuitLoop);
        }
        catch (OperationCanceledException)
        {
        }

        await ReleaseAllBlobsAsync();
        lock (_viewLock)
        {
            foreach (var worker in _view.Workers)
            {
                worker.Dispose();
            }

            _view = new RingView(HashRing.Empty, []);
        }

        _http.Dispose();
        _metrics.Dispose();
        _disposed.Dispose();
    }

    /// <summary>Fills <paramref name="candidates"/> with up to MaxWorkerAttempts workers in ring order, skipping those marked down.</summary>
    private int Pick(RingView view, ulong key, ref CandidateList candidates)
    {
        Span<int> successors = stackalloc int[Math.Min(view.Ring.Count, 16)];
        var found = view.Ring.Successors(key, successors);
        var picked = 0;
        for (var i = 0; i < found && picked < _options.MaxWorkerAttempts; i++)
        {
            var worker = view.Workers[successors[i]];
            if (!worker.IsDown)
            {
                candidates[picked++] = worker;
            }
        }

        return picked;
    }

    private async ValueTask<int> ReadFromWorkerAsync(WorkerState worker, DatasetMount mount, UfsEntry file, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var wire = new WireFile(mount.Name, file);
        var flags = worker.Colocated && _options.ShortCircuit && !worker.ShortCircuitOff ? RequestFlags.WantLocalHint : RequestFlags.None;
        await worker.Slots.WaitAsync(cancellationToken);
        try
        {
            if (worker.IsDown)
            {
                // Marked down while this read waited for a connection slot: do not wait on it again.
                throw new WorkerUnreachableException("marked down meanwhile");
            }

            for (var attempt = 0; ; attempt++)
            {
                var connection = await RentAsync(worker, fresh: attempt > 0, cancellationToken);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.RequestTimeout);
                try
                {
                    var length = WriteRead(connection, wire, offset, destination.Length);
                    var answer = await connection.SendAsync(Opcode.Read, flags, length, _credential, timeout.Token);
                    if (answer.Status != WireStatus.Ok)
                    {
                        var message = await connection.ReceiveMessageAsync(answer.Length, timeout.Token);
                        Finish(worker, connection, answer.Status);
                        throw new WorkerAnswerException(answer.Status, message);
                    }

                    if (answer.Length > destination.Length)
                    {
                        throw new IOException($"the worker sent {answer.Length} bytes for a {destination.Length}-byte read");
                    }

                    await connection.ReceiveAsync(destination[..answer.Length], timeout.Token);
                    worker.Return(connection);
                    if ((answer.Flags & ResponseFlags.FullyCachedOnDisk) != 0)
                    {
                        OnFullyCachedHint(worker, mount, file, destination.Length);
                    }

                    return answer.Length;
                }
                catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
                {
                    connection.Dispose();
                    if (connection.Reused && attempt == 0)
                    {
                        // A pooled connection may have died while idle (the worker restarted): one retry on a new one.
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

    private static int WriteRead(WorkerConnection connection, WireFile wire, long offset, int count)
    {
        var body = connection.Body(12 + wire.EncodedLength);
        var writer = new WireWriter(body);
        writer.Int64(offset);
        writer.Int32(count);
        wire.Write(ref writer);
        return writer.Position;
    }

    /// <summary>A connection to the worker; a new one is first asked who it is, so a stale address never serves another worker's keys.</summary>
    private async ValueTask<WorkerConnection> RentAsync(WorkerState worker, bool fresh, CancellationToken cancellationToken)
    {
        WorkerConnection connection;
        try
        {
            connection = await worker.RentAsync(fresh, _options.ConnectTimeout, cancellationToken);
        }
        catch (Exception ex) when (IsTransportFailure(ex, cancellationToken) || ex is ObjectDisposedException)
        {
            throw new WorkerUnreachableException(Describe(ex, timedOut: ex is TimeoutException), ex);
        }

        if (connection.Reused)
        {
            return connection;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            var answer = await connection.SendAsync(Opcode.Ping, RequestFlags.None, 0, _credential, timeout.Token);
            if (answer.Status != WireStatus.Ok)
            {
                var message = await connection.ReceiveMessageAsync(answer.Length, timeout.Token);
                connection.Dispose();
                throw new WorkerAnswerException(answer.Status, message);
            }

            var payload = new byte[answer.Length];
            await connection.ReceiveAsync(payload, timeout.Token);
            var identity = ParsePing(payload);
            if (!string.Equals(identity.WorkerId, worker.Id, StringComparison.Ordinal) || !string.Equals(identity.Dataset, _options.Dataset, StringComparison.Ordinal))
            {
                connection.Dispose();
                Log.WorkerIdentityMismatch(_logger, worker.Endpoint.ToString(), identity.WorkerId, identity.Dataset, worker.Id, _options.Dataset);
                throw new WorkerUnreachableException($"the worker at {worker.Endpoint.Host}:{worker.Endpoint.DataPort} is {identity.WorkerId} of {identity.Dataset}");
            }

            worker.NodeName ??= identity.NodeName;
            return connection;
        }
        catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
        {
            connection.Dispose();
            throw new WorkerUnreachableException(Describe(ex, timeout.IsCancellationRequested), ex);
        }
    }

    private static (string WorkerId, string NodeName, string Dataset, int PageSize) ParsePing(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new WireReader(payload);
            return (reader.String(), reader.String(), reader.String(), reader.Int32());
        }
        catch (FormatException ex)
        {
            throw new WorkerUnreachableException($"unreadable PING answer: {ex.Message}");
        }
    }

    /// <summary>Returns the connection after an error answer; an auth failure closes it on the worker's side.</summary>
    private static void Finish(WorkerState worker, WorkerConnection connection, WireStatus status)
    {
        if (status is WireStatus.Unauthorized or WireStatus.ShuttingDown)
        {
            connection.Dispose();
        }
        else
        {
            worker.Return(connection);
        }
    }

    private static bool IsTransportFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is SocketException or IOException or TimeoutException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static string Describe(Exception ex, bool timedOut) =>
        timedOut || ex is TimeoutException ? $"no answer in time ({ex.Message})"
        : ex is SocketException socket ? $"{socket.SocketErrorCode}: {socket.Message}"
        : ex.Message;

    private void MarkDown(WorkerState worker, string reason)
    {
        if (worker.MarkDown(_options.MinDownBackoff, _options.MaxDownBackoff, out var backoff))
        {
            Interlocked.Increment(ref _metrics.WorkersMarkedDown);
            Log.WorkerDown(_logger, worker.Id, $"{worker.Endpoint.Host}:{worker.Endpoint.DataPort}", (long)backoff.TotalMilliseconds, reason);
            DropBlobsOf(worker);
        }
    }

    /// <summary>Pings workers that are down once their back-off has passed; an answer brings them back.</summary>
    private async Task ProbeLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.ProbeInterval);
        while (await timer.WaitForNextTickAsync(_disposed.Token))
        {
            foreach (var worker in Volatile.Read(ref _view).Workers)
            {
                if (!worker.ProbeDue)
                {
                    continue;
                }

                try
                {
                    var connection = await RentAsync(worker, fresh: true, _disposed.Token);
                    worker.Return(connection);
                    worker.MarkUp();
                    Interlocked.Increment(ref _metrics.WorkersRejoined);
                    Log.WorkerRejoined(_logger, worker.Id, $"{worker.Endpoint.Host}:{worker.Endpoint.DataPort}");
                }
                catch (Exception ex) when (ex is WorkerUnreachableException or WorkerAnswerException)
                {
                    worker.ProbeFailed(_options.MinDownBackoff, _options.MaxDownBackoff);
                }
            }
        }
    }

    /// <summary>Builds the ring of the new member list and swaps it in; readers keep the old one until they finish.</summary>
    private void OnMembershipChanged(IReadOnlyList<WorkerEndpoint> members)
    {
        lock (_viewLock)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            var old = _view;
            var byId = old.Workers.ToDictionary(w => w.Id, StringComparer.Ordinal);
            var ring = new HashRing(members.Select(m => m.Id), _options.VirtualNodes);
            var endpoints = members.ToDictionary(m => m.Id, StringComparer.Ordinal);
            var workers = new WorkerState[ring.Count];
            var kept = new HashSet<WorkerState>();
            for (var i = 0; i < workers.Length; i++)
            {
                var endpoint = endpoints[ring.Workers[i]];
                if (byId.TryGetValue(endpoint.Id, out var existing) && existing.Endpoint == endpoint)
                {
                    workers[i] = existing;
                    kept.Add(existing);
                }
                else
                {
                    workers[i] = new WorkerState(endpoint, _options.MaxConnectionsPerWorker, _options.NodeName);
                }
            }

            Volatile.Write(ref _view, new RingView(ring, workers));
            foreach (var gone in old.Workers.Where(w => !kept.Contains(w)))
            {
                DropBlobsOf(gone);
                gone.Dispose();
            }

            Log.MembershipChanged(_logger, workers.Length, string.Join(", ", members.Select(m => m.Id)));
        }
    }

    /// <summary>An immutable ring and the state of its workers (index-aligned with <see cref="HashRing.Workers"/>).</summary>
    private sealed record RingView(HashRing Ring, WorkerState[] Workers);
}
