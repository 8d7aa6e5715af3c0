using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Fluid.Cache.Pages;
using Fluid.Storage;

namespace Fluid.Cache;

/// <summary>Prefetching path trees into the cache (Fluid's DataLoad).</summary>
public sealed partial class DatasetCache
{
    private const int SegmentPages = 16;
    private const int MaxReportedErrors = 20;

    /// <summary>
    /// Loads every file under <paramref name="paths"/> into the cache with at most
    /// <see cref="CacheOptions.LoadParallelism"/> page fetches at a time. Pages already cached are
    /// skipped without touching the source. Progress is reported about every 200 ms and once at the
    /// end. Per-file errors are counted and listed in the summary; cancellation throws.
    /// </summary>
    public Task<LoadSummary> LoadAsync(IReadOnlyList<string> paths, IProgress<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            ParsePath(path);
        }

        return LoadFilesAsync(WalkAllAsync(paths, cancellationToken), includePage: null, progress, cancellationToken);
    }

    /// <summary>
    /// Loads the given files like <see cref="LoadAsync"/>, but only the pages <paramref name="includePage"/>
    /// accepts (called with the file and a page's offset; null accepts every page). Files with no
    /// accepted page are not counted. A cluster worker loads its share this way, with entries from
    /// <see cref="GetEntry"/>.
    /// </summary>
    public async Task<LoadSummary> LoadFilesAsync(IAsyncEnumerable<DatasetEntry> files, Func<DatasetEntry, long, bool>? includePage, IProgress<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        var state = new LoadState { IncludePage = includePage };
        var clock = Stopwatch.StartNew();
        var work = Channel.CreateBounded<LoadSegment>(new BoundedChannelOptions(1024) { SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var producer = Task.Run(() => QueueFilesAsync(files, work.Writer, state, stop.Token), stop.Token);
        var workers = new Task[_options.LoadParallelism];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => LoadWorkerAsync(work.Reader, state, stop.Token), stop.Token);
        }

        var reporter = progress is null ? Task.CompletedTask : ReportAsync(progress, state, clock, stop.Token);
        try
        {
            await producer;
            await Task.WhenAll(workers);
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
        progress?.Report(Snapshot(state, clock.Elapsed));
        lock (state.Errors)
        {
            return new LoadSummary
            {
                Files = state.FilesTotal,
                Bytes = state.BytesTotal,
                BytesFetched = state.BytesFetched,
                BytesAlreadyCached = state.BytesCached,
                FailedFiles = state.FilesFailed,
                Errors = [.. state.Errors],
                Elapsed = clock.Elapsed,
            };
        }
    }

    private async IAsyncEnumerable<DatasetEntry> WalkAllAsync(IReadOnlyList<string> paths, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var path in paths)
        {
            await foreach (var entry in WalkAsync(path, cancellationToken))
            {
                yield return entry;
            }
        }
    }

    private async Task QueueFilesAsync(IAsyncEnumerable<DatasetEntry> files, ChannelWriter<LoadSegment> writer, LoadState state, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var entry in files.WithCancellation(cancellationToken))
            {
                if (entry.IsDirectory)
                {
                    continue;
                }

                var file = ResolveFile(entry);
                if (state.IncludePage is { } include)
                {
                    await QueueSelectedAsync(entry, file, include, writer, state, cancellationToken);
                    continue;
                }

                var tracker = new FileTracker(entry, (file.PageCount + SegmentPages - 1) / SegmentPages);
                Interlocked.Increment(ref state.FilesTotal);
                Interlocked.Add(ref state.BytesTotal, entry.Length);
                if (file.PageCount == 0)
                {
                    Interlocked.Increment(ref state.FilesDone);
                    continue;
                }

                for (var first = 0; first < file.PageCount; first += SegmentPages)
                {
                    await writer.WriteAsync(new LoadSegment(tracker, file, first, Math.Min(SegmentPages, file.PageCount - first)), cancellationToken);
                }
            }
        }
        finally
        {
            state.TotalsFinal = true;
            writer.TryComplete();
        }
    }

    /// <summary>Queues the load segments of a file that hold at least one page the selector accepts.</summary>
    private async Task QueueSelectedAsync(DatasetEntry entry, CachedFile file, Func<DatasetEntry, long, bool> include, ChannelWriter<LoadSegment> writer, LoadState state, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var segments = 0;
        for (var first = 0; first < file.PageCount; first += SegmentPages)
        {
            var any = false;
            for (var index = first; index < Math.Min(file.PageCount, first + SegmentPages); index++)
            {
                if (include(entry, (long)index * _pageSize))
                {
                    bytes += file.PageLength(index, _pageSize);
                    any = true;
                }
            }

            segments += any ? 1 : 0;
        }

        if (segments == 0)
        {
            return;
        }

        var tracker = new FileTracker(entry, segments);
        Interlocked.Increment(ref state.FilesTotal);
        Interlocked.Add(ref state.BytesTotal, bytes);
        for (var first = 0; first < file.PageCount; first += SegmentPages)
        {
            var count = Math.Min(SegmentPages, file.PageCount - first);
            for (var index = first; index < first + count; index++)
            {
                if (include(entry, (long)index * _pageSize))
                {
                    await writer.WriteAsync(new LoadSegment(tracker, file, first, count), cancellationToken);
                    break;
                }
            }
        }
    }

    private async Task LoadWorkerAsync(ChannelReader<LoadSegment> reader, LoadState state, CancellationToken cancellationToken)
    {
        await foreach (var segment in reader.ReadAllAsync(cancellationToken))
        {
            var file = segment.File;
            for (var index = segment.First; index < segment.First + segment.Count && !segment.Tracker.Failed; index++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (state.IncludePage is { } include && !include(segment.Tracker.Entry, (long)index * _pageSize))
                {
                    continue;
                }

                var length = file.PageLength(index, _pageSize);
                if (IsPageCached(file, index))
                {
                    Interlocked.Add(ref state.BytesCached, length);
                    Interlocked.Add(ref state.BytesDone, length);
                    continue;
                }

                var flight = JoinFlight(file, index, forReader: true);
                if (flight is null)
                {
                    index--;
                    continue;
                }

                try
                {
                    await flight.Completion.WaitAsync(cancellationToken);
                    Interlocked.Add(ref state.BytesFetched, length);
                    Interlocked.Add(ref state.BytesDone, length);
                }
                catch (UfsException ex)
                {
                    if (!segment.Tracker.Failed)
                    {
                        segment.Tracker.Failed = true;
                        Interlocked.Increment(ref state.FilesFailed);
                        lock (state.Errors)
                        {
                            if (state.Errors.Count < MaxReportedErrors)
                            {
                                state.Errors.Add($"{segment.Tracker.Entry.Path}: {ex.Message}");
                            }
                        }
                    }
                }
                finally
                {
                    flight.Release();
                }
            }

            if (Interlocked.Decrement(ref segment.Tracker.SegmentsLeft) == 0)
            {
                Interlocked.Increment(ref state.FilesDone);
            }
        }
    }

    private bool IsPageCached(CachedFile file, int index) =>
        _index.TryGetValue(new PageKey(file.Id, index), out var page)
        && (page.Memory is { IsRetired: false } || page.Disk is { IsRetired: false });

    private static async Task ReportAsync(IProgress<LoadProgress> progress, LoadState state, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            progress.Report(Snapshot(state, clock.Elapsed));
        }
    }

    private static LoadProgress Snapshot(LoadState state, TimeSpan elapsed)
    {
        var bytesDone = Volatile.Read(ref state.BytesDone);
        var bytesTotal = Volatile.Read(ref state.BytesTotal);
        var rate = elapsed.TotalSeconds > 0 ? bytesDone / elapsed.TotalSeconds : 0;
        TimeSpan? eta = state.TotalsFinal && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, bytesTotal - bytesDone) / rate) : null;
        return new LoadProgress(Volatile.Read(ref state.FilesDone), Volatile.Read(ref state.FilesTotal), bytesDone, bytesTotal, state.TotalsFinal, rate, elapsed, eta);
    }

    private sealed class LoadState
    {
        public long FilesTotal;
        public long FilesDone;
        public long FilesFailed;
        public long BytesTotal;
        public long BytesDone;
        public long BytesFetched;
        public long BytesCached;
        public volatile bool TotalsFinal;
        public readonly List<string> Errors = [];
        public Func<DatasetEntry, long, bool>? IncludePage;
    }

    private sealed class FileTracker(DatasetEntry entry, int segments)
    {
        public DatasetEntry Entry { get; } = entry;

        public int SegmentsLeft = segments;

        public volatile bool Failed;
    }

    private readonly record struct LoadSegment(FileTracker Tracker, CachedFile File, int First, int Count);
}
