using System.Buffers;
using System.IO.Hashing;
using Fluid.Cache.Diagnostics;
using Fluid.Cache.Pages;
using Fluid.Cache.Reading;
using Fluid.Storage;

namespace Fluid.Cache;

/// <summary>The read path: cache hits without allocation, single-flight fetches, readahead.</summary>
public sealed partial class DatasetCache
{
    private readonly int _readaheadPages;

    /// <summary>
    /// Reads up to <c>buffer.Length</c> bytes of the file at a dataset path from <paramref name="offset"/>,
    /// through the cache. Returns the bytes read (fewer only at the end of the file). If the file
    /// changed at the source meanwhile, the metadata is refreshed and the read is retried once on the
    /// new version, so one call never mixes versions.
    /// </summary>
    public ValueTask<int> ReadAsync(string path, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var stat = StatAsync(path, cancellationToken);
        if (stat.IsCompletedSuccessfully && stat.Result is { IsDirectory: false } entry)
        {
            var read = ReadAsync(entry, offset, buffer, cancellationToken);
            if (read.IsCompletedSuccessfully)
            {
                return read;
            }

            return ReadPathSlowAsync(path, stat, entry, read, offset, buffer, cancellationToken);
        }

        return ReadPathSlowAsync(path, stat, null, default, offset, buffer, cancellationToken);
    }

    /// <summary>
    /// Reads up to <c>buffer.Length</c> bytes of <paramref name="file"/> (the version it names) from
    /// <paramref name="offset"/>. Completes synchronously, without allocating, when every page is in
    /// memory. Source errors reach the caller as <see cref="UfsException"/>; nothing partial is cached.
    /// </summary>
    public ValueTask<int> ReadAsync(DatasetEntry file, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.IsDirectory)
        {
            return ValueTask.FromException<int>(new UfsException(UfsErrorKind.IsADirectory, "/" + file.MountName, file.Source.Path, "read", "is a directory"));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ObjectDisposedException.ThrowIf(_closed, this);
        var cached = ResolveFile(file);
        if (offset >= cached.Length || buffer.Length == 0)
        {
            return new ValueTask<int>(0);
        }

        var total = (int)Math.Min(buffer.Length, cached.Length - offset);
        var done = 0;
        var span = buffer.Span;
        while (done < total)
        {
            var position = offset + done;
            var index = (int)(position / _pageSize);
            var inPage = (int)(position - ((long)index * _pageSize));
            var count = Math.Min(total - done, cached.PageLength(index, _pageSize) - inPage);
            if (!TryReadCached(cached, index, inPage, span.Slice(done, count)))
            {
                return ReadSlowAsync(file, cached, offset, buffer, done, total, cancellationToken);
            }

            done += count;
        }

        ObserveRead(cached, offset, total);
        return new ValueTask<int>(total);
    }

    private async ValueTask<int> ReadPathSlowAsync(string path, ValueTask<DatasetEntry?> stat, DatasetEntry? entry, ValueTask<int> pending, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (entry is null)
                {
                    entry = await stat
                        ?? throw new UfsException(UfsErrorKind.NotFound, "dataset", path, "read", "no such file");
                    pending = ReadAsync(entry, offset, buffer, cancellationToken);
                }

                return await pending;
            }
            catch (UfsException ex) when (ex.Kind == UfsErrorKind.VersionMismatch && attempt == 0)
            {
                InvalidateMetadata(entry!.Path);
                entry = null;
                stat = StatAsync(path, cancellationToken);
            }
        }
    }

    private async ValueTask<int> ReadSlowAsync(DatasetEntry entry, CachedFile file, long offset, Memory<byte> buffer, int done, int total, CancellationToken cancellationToken)
    {
        // Start readahead first so it overlaps with this read's own fetches.
        ObserveRead(file, offset, total);
        while (done < total)
        {
            var position = offset + done;
            var index = (int)(position / _pageSize);
            var inPage = (int)(position - ((long)index * _pageSize));
            var count = Math.Min(total - done, file.PageLength(index, _pageSize) - inPage);
            if (TryReadCached(file, index, inPage, buffer.Span.Slice(done, count)))
            {
                done += count;
                continue;
            }

            var flight = JoinFlight(file, index, forReader: true);
            if (flight is null)
            {
                // A fetch ended between our lookup and joining it: the page is cached now (or was not cacheable); look again.
                continue;
            }

            try
            {
                await flight.Completion.WaitAsync(cancellationToken);
                flight.Data.Slice(inPage, count).CopyTo(buffer.Span.Slice(done, count));
            }
            catch (UfsException ex) when (ex.Kind == UfsErrorKind.VersionMismatch)
            {
                InvalidateMetadata(entry.Path);
                throw;
            }
            finally
            {
                flight.Release();
            }

            Interlocked.Increment(ref _metrics.Misses);
            Interlocked.Add(ref _metrics.MissBytes, count);
            Interlocked.Add(ref _metrics.BytesServed, count);
            file.LastTouchedPage = index;
            done += count;
        }

        return total;
    }

    private unsafe bool TryReadCached(CachedFile file, int index, int inPage, Span<byte> destination)
    {
        if (!_index.TryGetValue(new PageKey(file.Id, index), out var page))
        {
            return false;
        }

        var memory = page.Memory;
        if (memory is not null && memory.TryPin())
        {
            try
            {
                new ReadOnlySpan<byte>(memory.Pointer + inPage, destination.Length).CopyTo(destination);
            }
            finally
            {
                memory.Unpin();
            }

            Touch(file, index, inPage, memory);
            Interlocked.Increment(ref _metrics.MemoryHits);
            Interlocked.Add(ref _metrics.HitBytes, destination.Length);
            Interlocked.Add(ref _metrics.BytesServed, destination.Length);
            return true;
        }

        var disk = page.Disk;
        if (disk is null || !disk.TryPin())
        {
            return false;
        }

        var wholePage = inPage == 0 && destination.Length == page.Length;
        bool intact;
        try
        {
            if (wholePage || !disk.Verified)
            {
                intact = wholePage
                    ? disk.File.ReadPage(index, 0, destination) && XxHash3.HashToUInt64(destination) == page.Checksum
                    : ReadPartVerified(page, disk, inPage, destination);
                disk.Verified |= intact;
            }
            else
            {
                intact = disk.File.ReadPage(index, inPage, destination);
            }
        }
        catch (IOException)
        {
            intact = false;
        }
        finally
        {
            disk.Unpin();
        }

        if (!intact)
        {
            DropCorruptDiskPage(page, disk);
            return false;
        }

        var newAccess = IsNewAccess(file, index, inPage);
        Touch(file, index, inPage, disk);
        Interlocked.Increment(ref _metrics.DiskHits);
        Interlocked.Add(ref _metrics.HitBytes, destination.Length);
        Interlocked.Add(ref _metrics.BytesServed, destination.Length);
        if (newAccess && _memory is not null && page.Memory is null && Interlocked.Increment(ref page.DiskHits) >= _options.PromoteAfterHits)
        {
            Promote(page, disk, wholePage ? destination : default);
        }

        return true;
    }

    /// <summary>Reads the whole page into a pooled buffer, checks it and copies the part asked for.</summary>
    private static bool ReadPartVerified(PageEntry page, DiskSlot disk, int inPage, Span<byte> destination)
    {
        var rented = ArrayPool<byte>.Shared.Rent(page.Length);
        try
        {
            var whole = rented.AsSpan(0, page.Length);
            if (!disk.File.ReadPage(page.Index, 0, whole) || XxHash3.HashToUInt64(whole) != page.Checksum)
            {
                return false;
            }

            whole.Slice(inPage, destination.Length).CopyTo(destination);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void Touch(CachedFile file, int index, int inPage, CacheSlot slot)
    {
        if (IsNewAccess(file, index, inPage))
        {
            file.LastTouchedPage = index;
            slot.Store.Policy.Touch(slot);
        }
    }

    /// <summary>
    /// Consecutive reads inside one page are one access as far as eviction and promotion are
    /// concerned; a read that starts a page again (a re-read of the file) is a new one.
    /// </summary>
    private static bool IsNewAccess(CachedFile file, int index, int inPage) => inPage == 0 || file.LastTouchedPage != index;

    /// <summary>Starts readahead when a reader is sequential and the window ahead of it is not yet requested.</summary>
    private void ObserveRead(CachedFile file, long offset, int count)
    {
        var sequential = offset == 0 || offset == file.LastReadEnd;
        var end = offset + count;
        file.LastReadEnd = end;
        if (!sequential || _readaheadPages == 0 || end >= file.Length)
        {
            return;
        }

        var next = (int)((end + _pageSize - 1) / _pageSize);
        var target = (int)Math.Min(file.PageCount, (long)next + _readaheadPages);
        if (offset == 0 || file.ReadaheadUntil > target)
        {
            // A new pass over the file (or a jump back): what an earlier pass requested may be gone.
            file.ReadaheadUntil = next;
        }
        var requested = Math.Max(file.ReadaheadUntil, next);
        if (target - requested < Math.Max(1, _readaheadPages / 2))
        {
            return;
        }

        for (var index = requested; index < target; index++)
        {
            if (Volatile.Read(ref _readaheadActive) >= _options.LoadParallelism * 2)
            {
                target = index;
                break;
            }

            if (_index.TryGetValue(new PageKey(file.Id, index), out var page) && (page.Memory is not null || page.Disk is not null))
            {
                continue;
            }

            if (!_inflight.ContainsKey(new PageKey(file.Id, index)))
            {
                Interlocked.Increment(ref _readaheadActive);
                var flight = JoinFlight(file, index, forReader: false);
                if (flight is null)
                {
                    Interlocked.Decrement(ref _readaheadActive);
                    continue;
                }

                _ = flight.Completion.ContinueWith(
                    static (t, state) =>
                    {
                        var (cache, f, i) = ((DatasetCache, CachedFile, int))state!;
                        Interlocked.Decrement(ref cache._readaheadActive);
                        if (t.Exception?.InnerException is { } error)
                        {
                            Log.ReadaheadFailed(cache._logger, cache._options.Name, f.Source.Path, i, error.Message);
                        }
                    },
                    (this, file, index),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }

        file.ReadaheadUntil = target;
    }

    /// <summary>
    /// Returns the fetch of a page, starting it when none is running. A reader gets a reference it
    /// must release; null means a fetch just ended and the caller should look in the cache again.
    /// </summary>
    private PageFlight? JoinFlight(CachedFile file, int index, bool forReader)
    {
        var key = new PageKey(file.Id, index);
        while (true)
        {
            if (_inflight.TryGetValue(key, out var existing))
            {
                if (!forReader)
                {
                    return existing;
                }

                if (existing.TryAddRef())
                {
                    return existing;
                }

                return null;
            }

            var flight = new PageFlight(forReader ? 2 : 1);
            if (_inflight.TryAdd(key, flight))
            {
                _ = RunFlightAsync(file, index, key, flight);
                return flight;
            }
        }
    }

    private async Task RunFlightAsync(CachedFile file, int index, PageKey key, PageFlight flight)
    {
        var length = file.PageLength(index, _pageSize);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        flight.Attach(buffer, length);
        try
        {
            await Task.Yield();
            await FetchAsync(file, (long)index * _pageSize, buffer.AsMemory(0, length), flight);
            var data = buffer.AsSpan(0, length);
            InsertFetched(file, index, data, XxHash3.HashToUInt64(data));
            flight.Succeed();
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _metrics.SourceErrors);
            flight.Fail(ex);
        }
        finally
        {
            _inflight.TryRemove(new KeyValuePair<PageKey, PageFlight>(key, flight));
            flight.Release();
        }
    }

    /// <summary>Fills <paramref name="destination"/> from the page source, each call bounded by the source timeout.</summary>
    private async Task FetchAsync(CachedFile file, long offset, Memory<byte> destination, PageFlight flight)
    {
        var mount = _mounts[file.MountIndex];
        var filled = 0;
        while (filled < destination.Length)
        {
            Interlocked.Increment(ref _metrics.SourceReads);
            int read;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token))
            {
                timeout.CancelAfter(_options.SourceTimeout);
                try
                {
                    read = await _pageSource.ReadAsync(mount, file.Source, offset + filled, destination[filled..], timeout.Token)
                        .AsTask().WaitAsync(_options.SourceTimeout);
                }
                catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
                {
                    flight.Abandon();
                    throw TimeoutError(mount, file.Source.Path, "read", ex);
                }
                catch (Exception ex) when (ex is not UfsException)
                {
                    throw new UfsException(UfsErrorKind.Unavailable, "/" + mount.Name, file.Source.Path, "read", $"{mount.Source.DisplayName}: {ex.Message}", ex);
                }
            }

            if (read <= 0)
            {
                throw new UfsException(UfsErrorKind.VersionMismatch, "/" + mount.Name, file.Source.Path, "read",
                    $"the source ended at byte {offset + filled} but the file's metadata says {file.Length} bytes; it changed at the source");
            }

            Interlocked.Add(ref _metrics.SourceBytes, read);
            filled += read;
        }
    }
}
