using System.Runtime.CompilerServices;
using Fluid.Cache;
using Fluid.Engine.Namespace;
using Fluid.Fuse.Backend;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Engine.FileSystem;

/// <summary>
/// Serves a dataset through FUSE from its <see cref="DatasetCache"/>: the dataset's namespace (mounts at
/// their paths, virtual directories above them), attributes and listings from the cache's metadata,
/// reads through the cache, and — for files the cache holds whole on a disk tier — the local file
/// itself as a passthrough backing file, leased until the kernel releases the open.
/// </summary>
public sealed class CacheFuseBackend : IFuseBackend
{
    private const int RecentSlots = 1024;
    private readonly DatasetEntry?[] _recent = new DatasetEntry?[RecentSlots];
    private readonly long[] _recentAt = new long[RecentSlots];
    private readonly long _recentWindow;
    private readonly DatasetCache _cache;
    private readonly DatasetNamespace _namespace;
    private readonly ILogger _logger;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private long _backingFilesOffered;
    private long _lastFailureLog;
    private long _suppressedFailures;
    private volatile bool _offerBackingFiles;

    public CacheFuseBackend(DatasetCache cache, DatasetNamespace datasetNamespace, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(datasetNamespace);
        _cache = cache;
        _namespace = datasetNamespace;
        _logger = logger ?? NullLogger.Instance;
        _recentWindow = (long)Math.Min(2000, cache.Options.MetadataTtl.TotalMilliseconds);
    }

    /// <summary>
    /// Whether opens of files held whole on a disk tier carry that file as <see cref="IFuseFile.BackingFile"/>.
    /// Set it to the mount's passthrough state: a backing file holds a lease, which only a passthrough
    /// open (released by the kernel) should take.
    /// </summary>
    public bool OfferBackingFiles
    {
        get => _offerBackingFiles;
        set => _offerBackingFiles = value;
    }

    /// <summary>Smaller files are never offered as backing files (the FUSE layer serves them through the page cache).</summary>
    public long BackingFileMinSize { get; init; } = 1024 * 1024;

    /// <summary>Opens that returned a leased local file.</summary>
    public long BackingFilesOffered => Volatile.Read(ref _backingFilesOffered);

    /// <summary>Raised with the cache path ("/mount/dir/file") of a file whose version changed under an open handle (its reads fail with ESTALE).</summary>
    public event Action<string>? StaleFile;

    public DatasetCache Cache => _cache;

    public DatasetNamespace Namespace => _namespace;

    public ValueTask<FsResult<FsEntry>> StatAsync(string path, CancellationToken cancellationToken)
    {
        var datasetPath = ToDatasetPath(path);
        var target = _namespace.Resolve(datasetPath);
        switch (target.Kind)
        {
            case NamespaceTargetKind.Virtual:
                return new(FsResult<FsEntry>.Ok(new FsEntry(NameOf(path), FsEntryKind.Directory, 0, _started)));
            case NamespaceTargetKind.None:
                return new(FsResult<FsEntry>.Fail(Errno.ENOENT));
        }

        if (target.CachePath.IndexOf('/', 1) < 0)
        {
            // A mount's root is a directory by the manifest's word; asking the source would only add a round trip.
            return new(FsResult<FsEntry>.Ok(new FsEntry(NameOf(path), FsEntryKind.Directory, 0, _started)));
        }

        try
        {
            var stat = _cache.StatAsync(target.CachePath, cancellationToken);
            if (stat.IsCompletedSuccessfully)
            {
                return new(ToResult(Remember(stat.Result)));
            }

            return StatSlowAsync(stat, datasetPath);
        }
        catch (Exception ex)
        {
            return new(Fail<FsEntry>(ex, "stat", datasetPath));
        }
    }

    public async IAsyncEnumerable<FsEntry> ListAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var datasetPath = ToDatasetPath(path);
        var target = _namespace.Resolve(datasetPath);
        if (target.Kind == NamespaceTargetKind.None)
        {
            throw new FsException(Errno.ENOENT, $"{datasetPath}: no such directory");
        }

        if (target.Kind == NamespaceTargetKind.Virtual)
        {
            foreach (var child in target.Children)
            {
                yield return new FsEntry(child, FsEntryKind.Directory, 0, _started);
            }

            yield break;
        }

        IAsyncEnumerator<DatasetEntry>? children = null;
        try
        {
            children = _cache.ListAsync(target.CachePath, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                DatasetEntry child;
                try
                {
                    if (!await children.MoveNextAsync())
                    {
                        yield break;
                    }

                    child = children.Current;
                }
                catch (Exception ex) when (ex is not FsException)
                {
                    var errno = Report(ex, "list", datasetPath);
                    throw new FsException(errno, ex.Message);
                }

                yield return ToEntry(child);
            }
        }
        finally
        {
            if (children is not null)
            {
                await children.DisposeAsync();
            }
        }
    }

    public ValueTask<FsResult<IFuseFile>> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var datasetPath = ToDatasetPath(path);
        var target = _namespace.Resolve(datasetPath);
        switch (target.Kind)
        {
            case NamespaceTargetKind.Virtual:
                return new(FsResult<IFuseFile>.Fail(Errno.EISDIR));
            case NamespaceTargetKind.None:
                return new(FsResult<IFuseFile>.Fail(Errno.ENOENT));
        }

        if (Recent(target.CachePath) is { } recent)
        {
            return new(Open(recent));
        }

        try
        {
            var stat = _cache.StatAsync(target.CachePath, cancellationToken);
            if (stat.IsCompletedSuccessfully)
            {
                return new(Open(stat.Result));
            }

            return OpenSlowAsync(stat, datasetPath);
        }
        catch (Exception ex)
        {
            return new(Fail<IFuseFile>(ex, "open", datasetPath));
        }
    }

    public ValueTask<FsResult<FsCapacity>> StatFsAsync(CancellationToken cancellationToken)
    {
        var summary = _cache.GetSummary();
        return new(FsResult<FsCapacity>.Ok(new FsCapacity(summary.CacheCapacity, summary.Cached, summary.FileNum ?? 0)));
    }

    internal void OnStale(DatasetEntry entry)
    {
        var slot = (entry.Path.GetHashCode(StringComparison.Ordinal) & int.MaxValue) % RecentSlots;
        Interlocked.CompareExchange(ref _recent[slot], null, entry);
        _cache.InvalidateMetadata(entry.Path);
        StaleFile?.Invoke(entry.Path);
    }

    internal Errno Report(Exception exception, string operation, string path)
    {
        var errno = ErrnoMapping.ToErrno(exception);
        if (!ErrnoMapping.IsFailure(errno))
        {
            return errno;
        }

        // A source outage fails every request; one line a second says so without flooding the log.
        var now = Environment.TickCount64;
        var last = Volatile.Read(ref _lastFailureLog);
        if (now - last >= 1000 && Interlocked.CompareExchange(ref _lastFailureLog, now, last) == last)
        {
            Log.RequestFailed(_logger, operation, path, errno.ToString(), Interlocked.Exchange(ref _suppressedFailures, 0), exception.Message);
        }
        else
        {
            Interlocked.Increment(ref _suppressedFailures);
        }

        return errno;
    }

    /// <summary>
    /// Keeps the file a lookup just returned for a moment: the kernel's OPEN and first READ follow at once,
    /// and asking the metadata cache again would, with an unreachable source, wait a second full timeout.
    /// </summary>
    private DatasetEntry? Remember(DatasetEntry? entry)
    {
        if (entry is { IsDirectory: false } && _recentWindow > 0)
        {
            var slot = (entry.Path.GetHashCode(StringComparison.Ordinal) & int.MaxValue) % RecentSlots;
            Volatile.Write(ref _recentAt[slot], Environment.TickCount64);
            Volatile.Write(ref _recent[slot], entry);
        }

        return entry;
    }

    private DatasetEntry? Recent(string cachePath)
    {
        var slot = (cachePath.GetHashCode(StringComparison.Ordinal) & int.MaxValue) % RecentSlots;
        var entry = Volatile.Read(ref _recent[slot]);
        return entry is not null && entry.Path == cachePath && Environment.TickCount64 - Volatile.Read(ref _recentAt[slot]) < _recentWindow ? entry : null;
    }

    private async ValueTask<FsResult<FsEntry>> StatSlowAsync(ValueTask<DatasetEntry?> stat, string datasetPath)
    {
        try
        {
            return ToResult(Remember(await stat));
        }
        catch (Exception ex)
        {
            return Fail<FsEntry>(ex, "stat", datasetPath);
        }
    }

    private async ValueTask<FsResult<IFuseFile>> OpenSlowAsync(ValueTask<DatasetEntry?> stat, string datasetPath)
    {
        try
        {
            return Open(await stat);
        }
        catch (Exception ex)
        {
            return Fail<IFuseFile>(ex, "open", datasetPath);
        }
    }

    private FsResult<IFuseFile> Open(DatasetEntry? entry)
    {
        if (entry is null)
        {
            return Errno.ENOENT;
        }

        if (entry.IsDirectory)
        {
            return Errno.EISDIR;
        }

        SafeFileHandle? backing = null;
        LocalFileLease? lease = null;
        if (_offerBackingFiles && entry.Length >= BackingFileMinSize && _cache.TryLeaseLocalFile(entry, out lease) && lease is not null)
        {
            try
            {
                backing = File.OpenHandle(lease.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                Interlocked.Increment(ref _backingFilesOffered);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Evicted or removed meanwhile: the open goes through the cache instead.
                lease.Dispose();
                lease = null;
            }
        }

        return new CacheFuseFile(this, entry, backing, lease);
    }

    private FsResult<T> Fail<T>(Exception exception, string operation, string path) => FsResult<T>.Fail(Report(exception, operation, path));

    private static FsResult<FsEntry> ToResult(DatasetEntry? entry) => entry is null ? Errno.ENOENT : ToEntry(entry);

    private static FsEntry ToEntry(DatasetEntry entry) =>
        new(entry.Name, entry.IsDirectory ? FsEntryKind.Directory : FsEntryKind.File, entry.IsDirectory ? 0 : entry.Length, entry.LastModified, entry.Version);

    private static string ToDatasetPath(string fusePath) => fusePath.Length == 0 ? "/" : "/" + fusePath;

    private static string NameOf(string fusePath) => fusePath[(fusePath.LastIndexOf('/') + 1)..];
}
