using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using Fluid.Cache.Cluster.Diagnostics;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Worker;

namespace Fluid.Cache.Cluster.Client;

/// <summary>
/// Distributed load (Fluid's DataLoad): the client walks the targets once, cuts every file into the
/// pieces the ring assigns (whole files, or segments of large ones), sends each worker batches of its
/// pieces, and merges the workers' streamed progress into one view. A batch whose worker fails is sent
/// to the next worker of the ring.
/// </summary>
public sealed partial class ClusterClient
{
    private const int MaxReportedErrors = 20;

    /// <summary>The most ring successors a piece is routed over, so also the most copies a load can make.</summary>
    private const int MaxSuccessors = 64;

    /// <summary>
    /// Loads every file under <paramref name="paths"/> into the workers' caches, each worker its own
    /// share, all in parallel; progress and summary have the shapes of <see cref="DatasetCache.LoadAsync"/>.
    /// <paramref name="cache"/> provides the namespace (this client's cache).
    /// </summary>
    /// <exception cref="InvalidOperationException">No worker with a control port is reachable.</exception>
    public Task<LoadSummary> LoadAsync(DatasetCache cache, IReadOnlyList<string> paths, IProgress<LoadProgress>? progress, CancellationToken cancellationToken) =>
        LoadAsync(cache, paths, replicas: 1, progress, cancellationToken);

    /// <summary>
    /// Like <see cref="LoadAsync(DatasetCache, IReadOnlyList{string}, IProgress{LoadProgress}?, CancellationToken)"/>, with
    /// <paramref name="replicas"/> copies of every piece, on that many distinct workers in ring order (Fluid's DataLoad
    /// <c>target[].replicas</c>): readers then fail over to a worker that holds the piece. Fewer workers up than
    /// replicas means fewer copies. Bytes in the progress and summary count every copy.
    /// </summary>
    public async Task<LoadSummary> LoadAsync(DatasetCache cache, IReadOnlyList<string> paths, int replicas, IProgress<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicas, MaxSuccessors);
        var view = Volatile.Read(ref _view);
        var usable = view.Workers.Where(w => !w.IsDown && w.Endpoint.HttpPort > 0).ToList();
        if (usable.Count == 0)
        {
            throw new InvalidOperationException(view.Workers.Length == 0
                ? "load: there are no cache workers"
                : $"load: none of the {view.Workers.Length} workers is up with a control (HTTP) port");
        }

        var run = new LoadRun();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queues = usable.ToDictionary(w => w, _ => Channel.CreateBounded<LoadBatch>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true }));
        var senders = queues.Select(q => Task.Run(() => SendBatchesAsync(q.Key, q.Value.Reader, run, stop.Token), stop.Token)).ToList();
        var reporter = progress is null ? Task.CompletedTask : ReportLoadAsync(progress, run, stop.Token);
        try
        {
            try
            {
                await WalkAndQueueAsync(cache, paths, replicas, view, queues, run, stop.Token);
            }
            finally
            {
                run.TotalsFinal = true;
                foreach (var queue in queues.Values)
                {
                    queue.Writer.TryComplete();
                }
            }

            var failed = (await Task.WhenAll(senders)).SelectMany(f => f).ToList();
            if (failed.Count > 0)
            {
                await RetryAsync(view, failed, run, stop.Token);
            }
        }
        catch
        {
            await stop.CancelAsync();
            await Task.WhenAll(senders.Select(s => s.ContinueWith(_ => { }, TaskScheduler.Default)));
            throw;
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await reporter;
            }
            catch (OperationCanceledException)
            {
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(run.Snapshot());
        lock (run)
        {
            return new LoadSummary
            {
                Files = run.FilesTotal,
                Bytes = run.BytesTotal,
                BytesFetched = run.BytesFetched,
                BytesAlreadyCached = run.BytesAlreadyCached,
                FailedFiles = run.FailedFiles,
                Errors = [.. run.Errors],
                Elapsed = run.Clock.Elapsed,
            };
        }
    }

    /// <summary>Each worker's summary over its control port (down or unreachable workers say why).</summary>
    public async Task<IReadOnlyList<WorkerStatus>> GetWorkerStatusesAsync(CancellationToken cancellationToken)
    {
        var view = Volatile.Read(ref _view);
        return await Task.WhenAll(view.Workers.Select(async worker =>
        {
            if (worker.Endpoint.HttpPort == 0)
            {
                return new WorkerStatus(worker.Endpoint, worker.IsDown, null, "no control port known");
            }

            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.RequestTimeout);
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ControlUri(worker.Endpoint), "summary"));
                request.Headers.Authorization = AuthorizationHeader();
                using var response = await _http.SendAsync(request, timeout.Token);
                if (!response.IsSuccessStatusCode)
                {
                    return new WorkerStatus(worker.Endpoint, worker.IsDown, null, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                }

                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                var summary = await JsonSerializer.DeserializeAsync(body, ClusterJsonContext.Default.WorkerSummary, timeout.Token);
                return new WorkerStatus(worker.Endpoint, worker.IsDown, summary, null);
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return new WorkerStatus(worker.Endpoint, worker.IsDown, null, ex is OperationCanceledException ? "no answer in time" : ex.Message);
            }
        }));
    }

    private async Task WalkAndQueueAsync(DatasetCache cache, IReadOnlyList<string> paths, int replicas, RingView view, Dictionary<WorkerState, Channel<LoadBatch>> queues, LoadRun run, CancellationToken cancellationToken)
    {
        var pending = new Dictionary<WorkerState, LoadBatch>();
        var targets = new List<WorkerState>(replicas);
        foreach (var path in paths)
        {
            await foreach (var entry in cache.WalkAsync(path, cancellationToken))
            {
                var track = new FileTrack(entry.Path);
                var pieces = Cut(entry);

                // Counted whole before any piece is queued, so that a piece finishing early cannot finish the file.
                track.PiecesLeft = pieces.Count * replicas;
                lock (run)
                {
                    run.FilesTotal++;
                    run.BytesTotal += entry.Length * replicas;
                }

                if (pieces.Count == 0)
                {
                    lock (run)
                    {
                        run.FilesDone++;
                    }

                    continue;
                }

                foreach (var (offset, count) in pieces)
                {
                    var piece = new QueuedPiece(track, new LoadPiece
                    {
                        Mount = entry.MountName,
                        Path = entry.Source.Path,
                        Version = entry.Version,
                        Length = entry.Length,
                        ModifiedTicks = entry.LastModified.UtcTicks,
                        Offset = offset,
                        Count = count,
                    });
                    Route(view, piece.Piece, exclude: null, queues, replicas, targets);
                    if (targets.Count == 0)
                    {
                        run.Fail([piece], "no cache worker is up to load it");
                        run.Forget(piece, replicas - 1);
                        continue;
                    }

                    run.Forget(piece, replicas - targets.Count);
                    foreach (var worker in targets)
                    {
                        if (!pending.TryGetValue(worker, out var batch))
                        {
                            pending[worker] = batch = new LoadBatch();
                        }

                        batch.Add(piece);
                        if (batch.Pieces.Count >= _options.LoadBatchPieces || batch.Bytes >= _options.LoadBatchBytes)
                        {
                            pending.Remove(worker);
                            await queues[worker].Writer.WriteAsync(batch, cancellationToken);
                        }
                    }
                }
            }
        }

        foreach (var (worker, batch) in pending)
        {
            await queues[worker].Writer.WriteAsync(batch, cancellationToken);
        }
    }

    /// <summary>The byte ranges a file is owned by: the whole file, or its segments.</summary>
    private List<(long Offset, long Count)> Cut(DatasetEntry entry)
    {
        var pieces = new List<(long, long)>();
        if (entry.Length == 0)
        {
            return pieces;
        }

        if (entry.Length <= _placement.SegmentThreshold)
        {
            pieces.Add((0, entry.Length));
            return pieces;
        }

        for (long offset = 0; offset < entry.Length; offset += _placement.SegmentSize)
        {
            pieces.Add((offset, Math.Min(_placement.SegmentSize, entry.Length - offset)));
        }

        return pieces;
    }

    /// <summary>The first worker of the ring for a piece that is up, loadable and not excluded.</summary>
    private WorkerState? Route(RingView view, LoadPiece piece, HashSet<WorkerState>? exclude, Dictionary<WorkerState, Channel<LoadBatch>>? queues)
    {
        var found = new List<WorkerState>(1);
        Route(view, piece, exclude, queues, 1, found);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Fills <paramref name="found"/> with the first <paramref name="count"/> workers of the ring for a piece that are up, loadable and not excluded.</summary>
    private void Route(RingView view, LoadPiece piece, HashSet<WorkerState>? exclude, Dictionary<WorkerState, Channel<LoadBatch>>? queues, int count, List<WorkerState> found)
    {
        found.Clear();
        Span<int> successors = stackalloc int[Math.Min(view.Ring.Count, MaxSuccessors)];
        var listed = view.Ring.Successors(_placement.KeyOf(piece.Mount, piece.Path, piece.Length, piece.Offset), successors);
        for (var i = 0; i < listed && found.Count < count; i++)
        {
            var worker = view.Workers[successors[i]];
            if (!worker.IsDown && worker.Endpoint.HttpPort > 0 && (exclude is null || !exclude.Contains(worker)) && (queues is null || queues.ContainsKey(worker)))
            {
                found.Add(worker);
            }
        }
    }

    private async Task<List<LoadBatch>> SendBatchesAsync(WorkerState worker, ChannelReader<LoadBatch> batches, LoadRun run, CancellationToken cancellationToken)
    {
        var failed = new List<LoadBatch>();
        await foreach (var batch in batches.ReadAllAsync(cancellationToken))
        {
            if (worker.IsDown || !await TryRunBatchAsync(worker, batch, run, cancellationToken))
            {
                batch.FailedOn.Add(worker);
                failed.Add(batch);
            }
        }

        return failed;
    }

    /// <summary>Sends the pieces of failed batches to the next worker of the ring, once.</summary>
    private async Task RetryAsync(RingView view, List<LoadBatch> failed, LoadRun run, CancellationToken cancellationToken)
    {
        var regrouped = new Dictionary<WorkerState, LoadBatch>();
        foreach (var batch in failed)
        {
            foreach (var piece in batch.Pieces)
            {
                var worker = Route(view, piece.Piece, batch.FailedOn, queues: null);
                if (worker is null)
                {
                    run.Fail([piece], "no other cache worker is up to load it");
                    continue;
                }

                if (!regrouped.TryGetValue(worker, out var retry))
                {
                    regrouped[worker] = retry = new LoadBatch();
                }

                retry.Add(piece);
            }
        }

        await Task.WhenAll(regrouped.Select(async pair =>
        {
            if (!await TryRunBatchAsync(pair.Key, pair.Value, run, cancellationToken))
            {
                run.Fail(pair.Value.Pieces, $"worker {pair.Key.Id} failed too");
            }
        }));
    }

    /// <summary>Runs one batch on a worker, feeding its progress into the run; false when the worker failed.</summary>
    private async Task<bool> TryRunBatchAsync(WorkerState worker, LoadBatch batch, LoadRun run, CancellationToken cancellationToken)
    {
        var request = new LoadRequest { Pieces = [.. batch.Pieces.Select(p => p.Piece)] };
        try
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(_options.LoadIdleTimeout);
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(ControlUri(worker.Endpoint), "v1/load"))
            {
                Content = JsonContent(request),
            };
            message.Headers.Authorization = AuthorizationHeader();
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, idle.Token);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                Interlocked.Increment(ref _metrics.Unauthorized);
            }

            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(idle.Token);
                throw new HttpRequestException($"HTTP {(int)response.StatusCode}: {text.Trim()}");
            }

            await using var body = await response.Content.ReadAsStreamAsync(idle.Token);
            using var reader = new StreamReader(body);
            while (await reader.ReadLineAsync(idle.Token) is { } line)
            {
                idle.CancelAfter(_options.LoadIdleTimeout);
                if (line.Length == 0)
                {
                    continue;
                }

                var parsed = JsonSerializer.Deserialize(line, ClusterJsonContext.Default.LoadLine)
                    ?? throw new JsonException("empty line");
                switch (parsed.Type)
                {
                    case "progress":
                        run.SetInFlight(batch, parsed.BytesDone);
                        break;
                    case "summary":
                        run.Complete(batch, parsed);
                        return true;
                    default:
                        throw new HttpRequestException($"the worker reported: {parsed.Message}");
                }
            }

            throw new IOException("the answer ended without a summary");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            run.SetInFlight(batch, 0);
            var reason = ex is OperationCanceledException ? $"no progress for {_options.LoadIdleTimeout.TotalSeconds:0} s" : ex.Message;
            Log.LoadBatchFailed(_logger, worker.Id, batch.Pieces.Count, reason);
            if (ex is not HttpRequestException { StatusCode: not null })
            {
                MarkDown(worker, "load: " + reason);
            }

            return false;
        }
    }

    private static async Task ReportLoadAsync(IProgress<LoadProgress> progress, LoadRun run, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            progress.Report(run.Snapshot());
        }
    }

    private static ByteArrayContent JsonContent(LoadRequest request)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request, ClusterJsonContext.Default.LoadRequest));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private AuthenticationHeaderValue AuthorizationHeader() => new("Bearer", System.Buffers.Text.Base64Url.EncodeToString(_credential.Span));

    private static Uri ControlUri(WorkerEndpoint endpoint) =>
        new($"http://{(endpoint.Host.Contains(':', StringComparison.Ordinal) ? $"[{endpoint.Host}]" : endpoint.Host)}:{endpoint.HttpPort}/");

    /// <summary>A file being loaded: done when its last piece is.</summary>
    private sealed class FileTrack(string path)
    {
        public string Path { get; } = path;

        public int PiecesLeft;

        public int Failed;
    }

    private sealed record QueuedPiece(FileTrack Track, LoadPiece Piece);

    /// <summary>Pieces sent to one worker in one request.</summary>
    private sealed class LoadBatch
    {
        public List<QueuedPiece> Pieces { get; } = [];

        public long Bytes { get; private set; }

        public HashSet<WorkerState> FailedOn { get; } = [];

        public void Add(QueuedPiece piece)
        {
            Pieces.Add(piece);
            Bytes += piece.Piece.Count;
        }
    }

    /// <summary>The merged state of a distributed load.</summary>
    private sealed class LoadRun
    {
        private readonly Dictionary<LoadBatch, long> _inFlight = [];
        private long _completedBytes;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public long FilesTotal;
        public long FilesDone;
        public long BytesTotal;
        public long BytesFetched;
        public long BytesAlreadyCached;
        public long FailedFiles;
        public volatile bool TotalsFinal;

        public List<string> Errors { get; } = [];

        public void SetInFlight(LoadBatch batch, long bytesDone)
        {
            lock (this)
            {
                _inFlight[batch] = bytesDone;
            }
        }

        public void Complete(LoadBatch batch, LoadLine summary)
        {
            lock (this)
            {
                _inFlight.Remove(batch);
                _completedBytes += batch.Bytes;
                BytesFetched += summary.BytesFetched;
                BytesAlreadyCached += summary.BytesAlreadyCached;
                FailedFiles += summary.FailedFiles;
                foreach (var error in summary.Errors ?? [])
                {
                    if (Errors.Count < MaxReportedErrors)
                    {
                        Errors.Add(error);
                    }
                }

                foreach (var piece in batch.Pieces)
                {
                    if (--piece.Track.PiecesLeft == 0)
                    {
                        FilesDone++;
                    }
                }
            }
        }

        public void Fail(IEnumerable<QueuedPiece> pieces, string reason)
        {
            lock (this)
            {
                foreach (var piece in pieces)
                {
                    _completedBytes += piece.Piece.Count;
                    if (piece.Track.Failed++ == 0)
                    {
                        FailedFiles++;
                        if (Errors.Count < MaxReportedErrors)
                        {
                            Errors.Add($"{piece.Track.Path}: {reason}");
                        }
                    }

                    if (--piece.Track.PiecesLeft == 0)
                    {
                        FilesDone++;
                    }
                }
            }
        }

        /// <summary>Copies of a piece that will not be made (fewer workers up than replicas): no longer awaited or counted.</summary>
        public void Forget(QueuedPiece piece, int copies)
        {
            if (copies <= 0)
            {
                return;
            }

            lock (this)
            {
                BytesTotal -= piece.Piece.Count * copies;
                piece.Track.PiecesLeft -= copies;
                if (piece.Track.PiecesLeft == 0)
                {
                    FilesDone++;
                }
            }
        }

        public LoadProgress Snapshot()
        {
            lock (this)
            {
                var done = _completedBytes + _inFlight.Values.Sum();
                var elapsed = Clock.Elapsed;
                var rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
                TimeSpan? eta = TotalsFinal && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, BytesTotal - done) / rate) : null;
                return new LoadProgress(FilesDone, FilesTotal, done, BytesTotal, TotalsFinal, rate, elapsed, eta);
            }
        }
    }
}

/// <summary>One worker as <c>fluid status</c> shows it: its summary, or why there is none.</summary>
public sealed record WorkerStatus(WorkerEndpoint Endpoint, bool MarkedDown, WorkerSummary? Summary, string? Error);
