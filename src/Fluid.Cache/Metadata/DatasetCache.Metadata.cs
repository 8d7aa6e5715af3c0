using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Fluid.Cache.Diagnostics;
using Fluid.Storage;

namespace Fluid.Cache;

/// <summary>The namespace and the metadata cache: stat, list and walk over the dataset's mounts.</summary>
public sealed partial class DatasetCache
{
    private readonly ConcurrentDictionary<string, MetaEntry> _meta = new(StringComparer.Ordinal);
    private readonly long _ttlTicks;

    // Per mount: until when (Stopwatch ticks) a metadata call counts as failing because the source did not
    // answer; meanwhile expired entries are served at once and refreshed in the background, instead of
    // every lookup waiting a whole source timeout. Extended by each failure, cleared by the next success.
    private readonly long[] _sourceDownUntil;
    private readonly long _outageWindowTicks;

    /// <summary>
    /// Returns the entry at a dataset path, or null when nothing is there. Metadata younger than the
    /// TTL is served from memory (and refreshed in the background once older than half the TTL);
    /// older metadata is checked against the source first, and served as it is when the source is
    /// unreachable (at once while the source's last metadata call failed a moment ago).
    /// </summary>
    public ValueTask<DatasetEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_meta.TryGetValue(path, out var meta))
        {
            var age = Now - meta.FetchedAt;
            if (age <= _ttlTicks)
            {
                if (age > _ttlTicks / 2)
                {
                    RefreshInBackground(path, meta);
                }

                return new ValueTask<DatasetEntry?>(meta.Entry);
            }

            if (meta.Entry is { MountIndex: >= 0 } known && Now < Volatile.Read(ref _sourceDownUntil[known.MountIndex]))
            {
                RefreshInBackground(path, meta);
                return new ValueTask<DatasetEntry?>(meta.Entry);
            }

            return new ValueTask<DatasetEntry?>(RefreshAsync(path, meta, cancellationToken));
        }

        return new ValueTask<DatasetEntry?>(RefreshAsync(path, null, cancellationToken));
    }

    /// <summary>Forgets cached metadata of a path so the next stat asks the source.</summary>
    public void InvalidateMetadata(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _meta.TryRemove(path, out _);
    }

    /// <summary>Streams the children of a directory straight from its source (never the whole listing at once).</summary>
    public async IAsyncEnumerable<DatasetEntry> ListAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (mountIndex, ufsPath, normalized) = ParsePath(path);
        if (mountIndex == RootIndex)
        {
            for (var i = 0; i < _mounts.Length; i++)
            {
                yield return new DatasetEntry("/" + _mounts[i].Name, i, _mounts[i].Name, new UfsEntry(string.Empty, true, 0, DateTimeOffset.UnixEpoch, string.Empty));
            }

            yield break;
        }

        if (mountIndex == UnknownMount)
        {
            throw new UfsException(UfsErrorKind.NotFound, normalized, string.Empty, "list", "no mount of this dataset has that name");
        }

        var mount = _mounts[mountIndex];
        var prefix = "/" + mount.Name + "/";
        await foreach (var child in mount.Source.ListAsync(ufsPath, cancellationToken).WithCancellation(cancellationToken))
        {
            var entry = MakeEntry(prefix + child.Path, mountIndex, child);
            if (_meta.Count < _options.MaxMetadataEntries)
            {
                _meta[entry.Path] = new MetaEntry(entry, Now);
            }

            yield return entry;
        }
    }

    /// <summary>Streams every file under a path (the path itself when it is a file), depth first.</summary>
    public async IAsyncEnumerable<DatasetEntry> WalkAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var start = await StatAsync(path, cancellationToken)
            ?? throw new UfsException(UfsErrorKind.NotFound, "dataset", path, "walk", "no such file or directory");
        if (!start.IsDirectory)
        {
            yield return start;
            yield break;
        }

        var pending = new Stack<string>();
        pending.Push(start.Path);
        while (pending.TryPop(out var dir))
        {
            await foreach (var child in ListAsync(dir, cancellationToken))
            {
                if (child.IsDirectory)
                {
                    pending.Push(child.Path);
                }
                else
                {
                    yield return child;
                }
            }
        }
    }

    private const int RootIndex = -1;
    private const int UnknownMount = -2;

    /// <summary>
    /// Splits "/mount/a/b" into the mount and "a/b", rejecting paths that could leave a mount
    /// ("." and ".." segments, empty segments, NUL).
    /// </summary>
    private (int MountIndex, string UfsPath, string Normalized) ParsePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path[0] != '/')
        {
            throw new ArgumentException($"dataset path \"{path}\" must start with '/' (for example /<mount>/dir/file)", nameof(path));
        }

        var trimmed = path.Length > 1 && path[^1] == '/' ? path[..^1] : path;
        if (trimmed == "/")
        {
            return (RootIndex, string.Empty, "/");
        }

        var rest = trimmed.AsSpan(1);
        foreach (var range in rest.Split('/'))
        {
            var segment = rest[range];
            if (segment.Length == 0 || segment is "." or ".." || segment.Contains('\0'))
            {
                throw new ArgumentException($"dataset path \"{path}\": segment \"{segment}\" is not allowed (no empty, '.' or '..' segments)", nameof(path));
            }
        }

        var slash = trimmed.IndexOf('/', 1);
        var mountName = slash < 0 ? trimmed[1..] : trimmed[1..slash];
        var ufsPath = slash < 0 ? string.Empty : trimmed[(slash + 1)..];
        return _mountIndex.TryGetValue(mountName, out var index) ? (index, ufsPath, trimmed) : (UnknownMount, ufsPath, trimmed);
    }

    private DatasetEntry MakeEntry(string path, int mountIndex, UfsEntry source)
    {
        var entry = new DatasetEntry(path, mountIndex, _mounts[mountIndex].Name, source);
        if (!source.IsDirectory)
        {
            entry.File = GetOrCreateFile(mountIndex, source, current: true);
        }

        return entry;
    }

    private void RefreshInBackground(string path, MetaEntry meta)
    {
        if (Interlocked.CompareExchange(ref meta.Refreshing, 1, 0) != 0 || _disposed.IsCancellationRequested)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RefreshAsync(path, meta, _disposed.Token);
            }
            catch (Exception ex) when (ex is UfsException or OperationCanceledException or ArgumentException)
            {
                Log.ServingStaleMetadata(_logger, _options.Name, path, ex.Message);
            }
        });
    }

    private async Task<DatasetEntry?> RefreshAsync(string path, MetaEntry? stale, CancellationToken cancellationToken)
    {
        var (mountIndex, ufsPath, normalized) = ParsePath(path);
        if (mountIndex == RootIndex)
        {
            return _root;
        }

        if (mountIndex == UnknownMount)
        {
            return null;
        }

        var mount = _mounts[mountIndex];
        UfsEntry? source;
        try
        {
            source = await CallSourceAsync(mount, ufsPath, "stat", static (m, p, ct) => m.Source.StatAsync(p, ct), cancellationToken);
        }
        catch (UfsException ex) when (ex.Kind is UfsErrorKind.Unavailable or UfsErrorKind.Timeout)
        {
            Volatile.Write(ref _sourceDownUntil[mountIndex], Now + _outageWindowTicks);
            if (stale is null)
            {
                throw;
            }

            // Stale-if-error: an unreachable source must not hide what we already know.
            Log.ServingStaleMetadata(_logger, _options.Name, normalized, ex.Message);
            Interlocked.Exchange(ref stale.Refreshing, 0);
            return stale.Entry;
        }

        Volatile.Write(ref _sourceDownUntil[mountIndex], 0);

        DatasetEntry? entry;
        if (source is null)
        {
            entry = null;
        }
        else if (source.IsDirectory && ufsPath.Length == 0)
        {
            entry = new DatasetEntry("/" + mount.Name, mountIndex, mount.Name, source);
        }
        else
        {
            entry = MakeEntry(normalized, mountIndex, source);
        }

        if (_meta.Count < _options.MaxMetadataEntries || _meta.ContainsKey(normalized))
        {
            _meta[normalized] = new MetaEntry(entry, Now);
        }

        return entry;
    }

    /// <summary>Calls the source with the cache's timeout, which holds even if the source ignores cancellation.</summary>
    private async Task<T> CallSourceAsync<T>(DatasetMount mount, string ufsPath, string operation, Func<DatasetMount, string, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        timeout.CancelAfter(_options.SourceTimeout);
        try
        {
            return await call(mount, ufsPath, timeout.Token).WaitAsync(_options.SourceTimeout, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is TimeoutException or OperationCanceledException)
        {
            throw TimeoutError(mount, ufsPath, operation, ex);
        }
        catch (Exception ex) when (ex is not UfsException and not OperationCanceledException and not ArgumentException)
        {
            throw new UfsException(UfsErrorKind.Unavailable, "/" + mount.Name, ufsPath, operation, $"{mount.Source.DisplayName}: {ex.Message}", ex);
        }
    }

    private UfsException TimeoutError(DatasetMount mount, string ufsPath, string operation, Exception inner) =>
        new(UfsErrorKind.Timeout, "/" + mount.Name, ufsPath, operation, $"{mount.Source.DisplayName} did not answer within {_options.SourceTimeout.TotalSeconds:0.###} s", inner);

    private sealed class MetaEntry(DatasetEntry? entry, long fetchedAt)
    {
        public DatasetEntry? Entry { get; } = entry;

        public long FetchedAt { get; } = fetchedAt;

        public int Refreshing;
    }
}
