using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fluid.Cache.Diagnostics;
using Fluid.Cache.Pages;
using Fluid.Cache.Reading;
using Fluid.Cache.Tiers;
using Fluid.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Cache;

/// <summary>
/// The cache of one dataset: a unified namespace over its mounts (<c>/&lt;mount&gt;/...</c>),
/// read-through page caching in MEM/SSD/HDD tiers, metadata caching, prefetch and counters.
/// Thread-safe; open it with <see cref="OpenAsync"/> and dispose it when done.
/// </summary>
public sealed partial class DatasetCache : IAsyncDisposable
{
    private readonly CacheOptions _options;
    private readonly DatasetMount[] _mounts;
    private readonly Dictionary<string, int> _mountIndex = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly CacheMetrics _metrics;
    private readonly int _pageSize;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<PageKey, PageEntry> _index = new();
    private readonly ConcurrentDictionary<PageKey, PageFlight> _inflight = new();
    private readonly Dictionary<(string Mount, string Path, string Version, long Length), CachedFile> _files = [];
    private readonly Dictionary<(string Mount, string Path), CachedFile> _currentByPath = [];
    private readonly CacheStore[] _stores;
    private readonly MemoryStore? _memory;
    private readonly DiskStore[][] _diskLevels;
    private readonly SemaphoreSlim _evictSignal = new(0);
    private readonly Task _evictor;
    private readonly DatasetEntry _root;
    private readonly IPageSource _pageSource;
    private int _nextFileId;
    private long _cachedBytes;
    private int _evictRequested;
    private int _readaheadActive;
    private int _memoryWriters;
    private volatile bool _closed;
    private DatasetTotals? _totals;

    private DatasetCache(CacheOptions options, IReadOnlyList<DatasetMount> mounts, IPageSource pageSource, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        _options = options;
        _pageSource = pageSource;
        _pageSize = options.PageSize;
        _mounts = [.. mounts];
        for (var i = 0; i < _mounts.Length; i++)
        {
            _mountIndex.Add(_mounts[i].Name, i);
        }

        _logger = loggerFactory?.CreateLogger<DatasetCache>() ?? NullLogger<DatasetCache>.Instance;
        _metrics = new CacheMetrics(options.Name, () => Volatile.Read(ref _cachedBytes), meterFactory);
        _ttlTicks = (long)(options.MetadataTtl.TotalSeconds * Stopwatch.Frequency);
        _sourceDownUntil = new long[_mounts.Length];
        _outageWindowTicks = (long)(Math.Clamp(options.SourceTimeout.TotalSeconds, 1, 10) * Stopwatch.Frequency);
        _readaheadPages = (int)Math.Min(int.MaxValue, (options.ReadaheadBytes + _pageSize - 1) / _pageSize);
        _root = new DatasetEntry("/", -1, string.Empty, new UfsEntry(string.Empty, true, 0, DateTimeOffset.UnixEpoch, string.Empty));

        var stores = new List<CacheStore>();
        var levels = new List<DiskStore[]>();
        foreach (var tier in options.Tiers)
        {
            if (tier.Medium == MediumType.Mem)
            {
                _memory = new MemoryStore(stores.Count, tier, _pageSize);
                stores.Add(_memory);
                continue;
            }

            var level = new DiskStore[tier.Directories.Count];
            for (var d = 0; d < level.Length; d++)
            {
                level[d] = new DiskStore(stores.Count, levels.Count + 1, tier, tier.Directories[d], _pageSize);
                stores.Add(level[d]);
            }

            levels.Add(level);
        }

        _stores = [.. stores];
        _diskLevels = [.. levels];
        _evictor = Task.Run(EvictInBackgroundAsync);
    }

    /// <summary>Page size in bytes.</summary>
    public int PageSize => _pageSize;

    public CacheOptions Options => _options;

    /// <summary>Where missing pages come from (<see cref="UnderFileSystemPageSource"/> unless another was given to <c>OpenAsync</c>).</summary>
    public IPageSource PageSource => _pageSource;

    /// <summary>
    /// Validates the options, opens the disk tiers (rebuilding the page index from disk and verifying
    /// every page's checksum) and returns a ready cache.
    /// </summary>
    public static Task<DatasetCache> OpenAsync(
        CacheOptions options,
        IReadOnlyList<DatasetMount> mounts,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        CancellationToken cancellationToken = default) =>
        OpenAsync(options, mounts, pageSource: null, loggerFactory, meterFactory, cancellationToken);

    /// <summary>
    /// Like <see cref="OpenAsync(CacheOptions, IReadOnlyList{DatasetMount}, ILoggerFactory?, IMeterFactory?, CancellationToken)"/>,
    /// fetching missing pages from <paramref name="pageSource"/> instead of the mounts' under file
    /// systems (null: the under file systems). Metadata (stat, list, walk) still comes from the mounts.
    /// </summary>
    public static async Task<DatasetCache> OpenAsync(
        CacheOptions options,
        IReadOnlyList<DatasetMount> mounts,
        IPageSource? pageSource,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(mounts);
        var errors = new List<string>(options.Validate());
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < mounts.Count; i++)
        {
            var name = mounts[i]?.Name;
            if (mounts[i]?.Source is null)
            {
                errors.Add($"mounts[{i}].source: is null");
            }

            if (string.IsNullOrEmpty(name) || name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add($"mounts[{i}].name: \"{name}\" is not a valid path segment");
            }
            else if (!names.Add(name))
            {
                errors.Add($"mounts[{i}].name: \"{name}\" is used twice");
            }
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid cache configuration:\n  " + string.Join("\n  ", errors), nameof(options));
        }

        var cache = new DatasetCache(options, mounts, pageSource ?? UnderFileSystemPageSource.Instance, loggerFactory, meterFactory);
        try
        {
            await Task.Run(() => cache.RecoverDiskTiers(cancellationToken), cancellationToken);
            return cache;
        }
        catch
        {
            await cache.DisposeAsync();
            throw;
        }
    }

    internal IReadOnlyList<CacheStore> Stores => _stores;

    internal ICollection<PageEntry> Pages => _index.Values;

    /// <summary>
    /// Recounts every store's usage from the index; null when it matches the books and no quota
    /// is exceeded, else what is wrong. For tests.
    /// </summary>
    internal string? CheckAccounting()
    {
        lock (_lock)
        {
            var used = new long[_stores.Length];
            foreach (var page in _index.Values)
            {
                if (page.Memory is { } memory)
                {
                    used[memory.Store.Index] += memory.AccountedBytes;
                }

                if (page.Disk is { } disk)
                {
                    used[disk.Store.Index] += disk.AccountedBytes;
                }
            }

            for (var i = 0; i < _stores.Length; i++)
            {
                if (_stores[i].Used > _stores[i].Quota || used[i] != _stores[i].Used)
                {
                    return $"{_stores[i].Name}: books say {_stores[i].Used} bytes, index holds {used[i]}, quota {_stores[i].Quota}";
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Raised with the dataset path ("/mount/dir/file") when fresh metadata names a new version of a file
    /// whose previous version was known, after the old pages were dropped; lets a FUSE mount tell the
    /// kernel to forget pages it keeps. Handlers run on the caller's thread and must not throw.
    /// </summary>
    public event Action<string>? FileVersionChanged;

    /// <summary>The mounts of this dataset, in order.</summary>
    public IReadOnlyList<DatasetMount> Mounts => _mounts;

    /// <summary>A snapshot of every counter.</summary>
    public CacheCounters GetCounters() => _metrics.Snapshot();

    /// <summary>The dataset's cache state in Fluid's terms, plus per-tier usage and counters.</summary>
    public CacheSummary GetSummary()
    {
        var tiers = new TierUsage[_stores.Length];
        long capacity = 0;
        for (var i = 0; i < _stores.Length; i++)
        {
            var s = _stores[i];
            tiers[i] = new TierUsage(s.Medium, s.Name, Volatile.Read(ref s.Used), s.Quota, Volatile.Read(ref s.PageCount), Volatile.Read(ref s.Evictions));
            capacity += s.Quota;
        }

        var counters = _metrics.Snapshot();
        var hit = Volatile.Read(ref _metrics.HitBytes);
        var miss = Volatile.Read(ref _metrics.MissBytes);
        var cached = Volatile.Read(ref _cachedBytes);
        var totals = _totals;
        return new CacheSummary
        {
            Cached = cached,
            CacheCapacity = capacity,
            CachedPercentage = totals is null ? null : totals.UfsTotal == 0 ? 100.0 : Math.Min(100.0, cached * 100.0 / totals.UfsTotal),
            CacheHitRatio = hit + miss == 0 ? 0 : (double)hit / (hit + miss),
            UfsTotal = totals?.UfsTotal,
            FileNum = totals?.FileNum,
            Tiers = tiers,
            Counters = counters,
        };
    }

    /// <summary>
    /// Walks the whole namespace once, streaming, and records <c>ufsTotal</c> and <c>fileNum</c>
    /// for <see cref="GetSummary"/>.
    /// </summary>
    public async Task<DatasetTotals> ComputeTotalsAsync(CancellationToken cancellationToken)
    {
        long bytes = 0;
        long files = 0;
        await foreach (var file in WalkAsync("/", cancellationToken))
        {
            bytes += file.Length;
            files++;
        }

        var totals = new DatasetTotals(bytes, files);
        _totals = totals;
        return totals;
    }

    /// <summary>
    /// Returns the path of a local regular file holding all of <paramref name="file"/>'s bytes when
    /// it is fully cached in one disk store. The file may be evicted afterwards; use
    /// <see cref="TryLeaseLocalFile"/> to keep it while it is in use.
    /// </summary>
    public bool TryGetLocalFile(DatasetEntry file, out string path)
    {
        ArgumentNullException.ThrowIfNull(file);
        path = string.Empty;
        if (file.IsDirectory || file.Length == 0)
        {
            return false;
        }

        var cached = ResolveFile(file);
        lock (_lock)
        {
            foreach (var df in cached.DiskFiles)
            {
                if (df is not null && df.Pages == cached.PageCount)
                {
                    path = df.BlobPath;
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Like <see cref="TryGetLocalFile"/>, and keeps the local file whole until the lease is disposed.
    /// When this cache does not hold the file on disk, a pluggable <see cref="PageSource"/> is asked
    /// too (a cluster client leases a co-located worker's blob); that call blocks for at most the
    /// source timeout, so async callers should prefer <see cref="LeaseLocalFileAsync"/>.
    /// </summary>
    public bool TryLeaseLocalFile(DatasetEntry file, out LocalFileLease? lease)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (TryLeaseOwnFile(file, out lease))
        {
            return true;
        }

        if (_pageSource is UnderFileSystemPageSource || file.IsDirectory || file.Length == 0)
        {
            return false;
        }

        var pending = _pageSource.LeaseLocalFileAsync(_mounts[file.MountIndex], file.Source, _disposed.Token);
        if (pending.IsCompletedSuccessfully)
        {
            lease = pending.Result;
            return lease is not null;
        }

        var task = pending.AsTask();
        try
        {
            if (task.Wait(_options.SourceTimeout))
            {
                lease = task.Result;
                return lease is not null;
            }
        }
        catch (AggregateException)
        {
            // A failed lookup means no local file; reads still work through the page source.
            return false;
        }

        // Too late for this caller: whatever arrives later is released at once.
        _ = task.ContinueWith(static t => t.Result?.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return false;
    }

    /// <summary>
    /// A lease on a local regular file holding every byte of <paramref name="file"/> — this cache's own
    /// disk blob, else one the <see cref="PageSource"/> offers — or null when there is none.
    /// </summary>
    public async ValueTask<LocalFileLease?> LeaseLocalFileAsync(DatasetEntry file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (TryLeaseOwnFile(file, out var lease))
        {
            return lease;
        }

        if (_pageSource is UnderFileSystemPageSource || file.IsDirectory || file.Length == 0)
        {
            return null;
        }

        try
        {
            return await _pageSource.LeaseLocalFileAsync(_mounts[file.MountIndex], file.Source, cancellationToken);
        }
        catch (UfsException)
        {
            return null;
        }
    }

    private bool TryLeaseOwnFile(DatasetEntry file, out LocalFileLease? lease)
    {
        lease = null;
        if (file.IsDirectory || file.Length == 0)
        {
            return false;
        }

        var cached = ResolveFile(file);
        lock (_lock)
        {
            foreach (var df in cached.DiskFiles)
            {
                if (df is not null && df.Pages == cached.PageCount)
                {
                    df.Leases++;
                    lease = new LocalFileLease(df.BlobPath, cached.Length, () => ReleaseLease(df));
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The entry of exactly this version of a file in mount <paramref name="mountName"/>, without
    /// asking the source (a cluster worker serves the version its client names; a read of a version
    /// the source no longer holds fails with <see cref="UfsErrorKind.VersionMismatch"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown mount, an invalid path or a directory.</exception>
    public DatasetEntry GetEntry(string mountName, UfsEntry file)
    {
        ArgumentNullException.ThrowIfNull(mountName);
        ArgumentNullException.ThrowIfNull(file);
        if (!_mountIndex.TryGetValue(mountName, out var mountIndex))
        {
            throw new ArgumentException($"mount \"{mountName}\": this dataset has no mount of that name", nameof(mountName));
        }

        var problem = file.Path.Length == 0 ? "the mount root is not a file" : UfsPath.Validate(file.Path);
        if (problem is not null)
        {
            throw new ArgumentException($"mount \"{mountName}\": path \"{file.Path}\": {problem}", nameof(file));
        }

        if (file.IsDirectory || file.Length < 0)
        {
            throw new ArgumentException($"mount \"{mountName}\": path \"{file.Path}\": not a file of a valid length", nameof(file));
        }

        var entry = new DatasetEntry("/" + mountName + "/" + file.Path, mountIndex, mountName, file);
        entry.File = GetOrCreateFile(mountIndex, file, current: false);
        return entry;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync();
        try
        {
            await _evictor;
        }
        catch (OperationCanceledException)
        {
        }

        // Let fetches in flight finish or fail before the native region goes away.
        foreach (var flight in _inflight.Values)
        {
            try
            {
                await flight.Completion.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // The flight's readers got the error; here we only wait for it to end.
            }
        }

        lock (_lock)
        {
            _closed = true;
        }

        // The native region is freed only when no copy into it is in flight and no reader holds a slot.
        var deadline = Environment.TickCount64 + 5000;
        while (Environment.TickCount64 < deadline && !TryRetireAllMemory())
        {
            await Task.Delay(1);
        }

        lock (_lock)
        {
            foreach (var file in _files.Values)
            {
                foreach (var df in file.DiskFiles)
                {
                    df?.CloseHandles();
                }
            }

            _memory?.Dispose();
        }

        _metrics.Dispose();
        _evictSignal.Dispose();
        _disposed.Dispose();
    }

    /// <summary>Retires every MEM slot; false while a writer or a reader still uses the region.</summary>
    private bool TryRetireAllMemory()
    {
        lock (_lock)
        {
            if (_memoryWriters > 0)
            {
                return false;
            }

            var done = true;
            foreach (var page in _index.Values)
            {
                if (page.Memory is { IsRetired: false } slot && !slot.TryRetire())
                {
                    done = false;
                }
            }

            return done;
        }
    }

    private void ReleaseLease(DiskFile df)
    {
        lock (_lock)
        {
            df.Leases--;
            MaybeDeleteDiskFile(df);
        }
    }

    /// <summary>The cached file version behind an entry, created on first use.</summary>
    private CachedFile ResolveFile(DatasetEntry entry)
    {
        var file = entry.File;
        if (file is not null)
        {
            return file;
        }

        file = GetOrCreateFile(entry.MountIndex, entry.Source, current: false);
        entry.File = file;
        return file;
    }

    /// <summary>
    /// Finds or creates the cached file for a source entry. When <paramref name="current"/> (fresh
    /// metadata) names a new version of a path, the previous version is superseded and its pages dropped.
    /// </summary>
    private CachedFile GetOrCreateFile(int mountIndex, UfsEntry source, bool current)
    {
        var mountName = _mounts[mountIndex].Name;
        CachedFile? superseded = null;
        CachedFile file;
        lock (_lock)
        {
            var key = (mountName, source.Path, source.Version, source.Length);
            if (!_files.TryGetValue(key, out file!))
            {
                file = new CachedFile(++_nextFileId, mountIndex, mountName, source, _pageSize, _stores.Length);
                _files.Add(key, file);
            }

            if (current)
            {
                var pathKey = (mountName, source.Path);
                if (_currentByPath.TryGetValue(pathKey, out var previous) && previous != file)
                {
                    superseded = previous;
                }

                _currentByPath[pathKey] = file;
            }
        }

        if (superseded is not null)
        {
            Log.VersionChanged(_logger, _options.Name, file.Source.Path, superseded.Source.Version, source.Version);
            DropFile(superseded);
            FileVersionChanged?.Invoke("/" + mountName + "/" + source.Path);
        }

        return file;
    }

    private void RequestEviction()
    {
        if (Interlocked.Exchange(ref _evictRequested, 1) == 0)
        {
            _evictSignal.Release();
        }
    }

    private static long Now => Stopwatch.GetTimestamp();
}
