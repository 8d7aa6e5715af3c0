using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Fluid.Cache.Diagnostics;
using Fluid.Cache.Pages;
using Fluid.Cache.Tiers;
using Fluid.Storage;

namespace Fluid.Cache;

/// <summary>
/// Placing pages in tiers, eviction, promotion and demotion, and rebuilding the index from disk.
/// Space is reserved under the index lock before any byte is written, so a store's usage never
/// exceeds its quota; an evicted disk page stays reserved until its bytes are gone from disk.
/// </summary>
public sealed partial class DatasetCache
{
    private const int MaxPlacementAttempts = 4;

    /// <summary>Caches a page just fetched from the source: in MEM and in the first disk tier with room.</summary>
    private void InsertFetched(CachedFile file, int index, ReadOnlySpan<byte> data, ulong checksum)
    {
        if (_stores.Length == 0 || file.Superseded)
        {
            return;
        }

        PageEntry page;
        var key = new PageKey(file.Id, index);
        lock (_lock)
        {
            if (!_index.TryGetValue(key, out page!))
            {
                page = new PageEntry(file, index, data.Length, checksum);
                _index[key] = page;
            }
        }

        var stored = false;
        try
        {
            if (_memory is not null)
            {
                stored |= TryStoreInMemory(page, data);
            }

            if (_diskLevels.Length > 0)
            {
                stored |= TryStoreOnDisk(page, data, 0, null);
            }
        }
        finally
        {
            lock (_lock)
            {
                RemoveIfEmpty(page);
            }
        }

        if (!stored)
        {
            Interlocked.Increment(ref _metrics.RejectedPages);
        }
    }

    private unsafe bool TryStoreInMemory(PageEntry page, ReadOnlySpan<byte> data)
    {
        var store = _memory!;
        MemorySlot slot;
        lock (_lock)
        {
            if (page.Memory is not null)
            {
                return true;
            }

            if (_closed || page.File.Superseded || !AllocateMemory(MemoryStore.OrderFor(page.Length), out var offset))
            {
                return false;
            }

            slot = new MemorySlot(page, store, offset, MemoryStore.OrderFor(page.Length));
            store.Used += slot.AccountedBytes;
            _memoryWriters++;
        }

        // The slot is not visible to readers until published below, so the copy needs no lock.
        data.CopyTo(new Span<byte>(slot.Pointer, page.Length));
        lock (_lock)
        {
            _memoryWriters--;
            if (page.Memory is not null || page.File.Superseded || !EnsureIndexed(page))
            {
                store.Used -= slot.AccountedBytes;
                store.Release(slot.Offset, slot.Order);
                return page.Memory is not null;
            }

            var had = IsCached(page);
            page.Memory = slot;
            AccountCached(page, had);
            store.PageCount++;
            store.Policy.Add(slot);
            if (store.Used > store.HighBytes)
            {
                RequestEviction();
            }
        }

        return true;
    }

    /// <summary>Takes a MEM block, evicting MEM pages (their disk copies stay) until one is free. Under the lock.</summary>
    private bool AllocateMemory(int order, out long offset)
    {
        var store = _memory!;
        List<Pages.CacheSlot>? skipped = null;
        var budget = store.Policy.Count;
        var allocated = true;
        while (!store.TryAllocate(order, out offset))
        {
            if (budget-- <= 0 || store.Policy.PopVictim() is not { } victim)
            {
                allocated = false;
                break;
            }

            if (!victim.TryRetire())
            {
                (skipped ??= []).Add(victim);
                continue;
            }

            DetachMemory((MemorySlot)victim);
            store.Evictions++;
            Interlocked.Increment(ref _metrics.Evictions);
        }

        if (skipped is not null)
        {
            foreach (var slot in skipped)
            {
                store.Policy.Add(slot);
            }
        }

        return allocated;
    }

    /// <summary>Frees a retired MEM slot that is no longer in its policy. Under the lock.</summary>
    private void DetachMemory(MemorySlot slot)
    {
        var page = slot.Page;
        var had = IsCached(page);
        if (page.Memory == slot)
        {
            page.Memory = null;
        }

        var store = (MemoryStore)slot.Store;
        store.Used -= slot.AccountedBytes;
        store.PageCount--;
        store.Release(slot.Offset, slot.Order);
        AccountCached(page, had);
        RemoveIfEmpty(page);
    }

    /// <summary>
    /// Writes a page into the first disk tier from <paramref name="startLevel"/> that can make room.
    /// <paramref name="replacing"/> is the retired slot a demotion moves the page out of.
    /// </summary>
    private bool TryStoreOnDisk(PageEntry page, ReadOnlySpan<byte> data, int startLevel, DiskSlot? replacing)
    {
        var need = DiskStore.Accounted(page.Length);
        for (var level = startLevel; level < _diskLevels.Length; level++)
        {
            for (var attempt = 0; attempt < MaxPlacementAttempts; attempt++)
            {
                DiskStore store;
                DiskFile? target = null;
                List<DiskSlot>? victims = null;
                lock (_lock)
                {
                    if (page.Disk != replacing)
                    {
                        return page.Disk is { IsRetired: false };
                    }

                    if (page.File.Superseded)
                    {
                        return false;
                    }

                    store = ChooseStore(level, page.File);
                    if (store.Free >= need)
                    {
                        store.Used += need;
                        target = page.File.DiskFiles[store.Index] ??= new DiskFile(store, page.File);
                        target.Pending++;
                    }
                    else
                    {
                        victims = PickDiskVictims(store, need - store.Free);
                    }
                }

                if (target is not null)
                {
                    return WriteAndPublish(page, data, store, target, need, replacing);
                }

                if (victims!.Count == 0)
                {
                    break;
                }

                EvictDiskSlots(victims, level, countAsEviction: true);
            }
        }

        return false;
    }

    private bool WriteAndPublish(PageEntry page, ReadOnlySpan<byte> data, DiskStore store, DiskFile target, long need, DiskSlot? replacing)
    {
        var written = false;
        try
        {
            target.WritePage(page.Index, data, page.Checksum, _options.FsyncDiskWrites);
            written = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.DiskWriteFailed(_logger, _options.Name, page.File.Source.Path, store.Name, ex);
        }

        lock (_lock)
        {
            target.Pending--;
            if (written && page.Disk == replacing && !page.File.Superseded && EnsureIndexed(page))
            {
                var slot = new DiskSlot(page, store, target);
                var had = IsCached(page);
                page.Disk = slot;
                AccountCached(page, had);
                target.Pages++;
                store.PageCount++;
                store.Policy.Add(slot);
                if (store.Used > store.HighBytes)
                {
                    RequestEviction();
                }

                return true;
            }

            store.Used -= need;
            if (written && !(page.Disk is { } other && other.File == target))
            {
                TryClear(target, page.Index, page.Length);
            }

            MaybeDeleteDiskFile(target);
            return page.Disk is { IsRetired: false };
        }
    }

    /// <summary>The store of a disk tier for a file: the one already holding its blob, else the emptiest. Under the lock.</summary>
    private DiskStore ChooseStore(int level, CachedFile file)
    {
        var stores = _diskLevels[level];
        foreach (var store in stores)
        {
            if (file.DiskFiles[store.Index] is not null)
            {
                return store;
            }
        }

        var best = stores[0];
        foreach (var store in stores)
        {
            if (store.Free > best.Free)
            {
                best = store;
            }
        }

        return best;
    }

    /// <summary>Retires disk pages in policy order until <paramref name="bytes"/> would be freed; skips pinned and leased pages. Under the lock.</summary>
    private List<DiskSlot> PickDiskVictims(DiskStore store, long bytes)
    {
        var victims = new List<DiskSlot>();
        List<Pages.CacheSlot>? skipped = null;
        long freed = 0;
        var budget = store.Policy.Count;
        while (freed < bytes && budget-- > 0 && store.Policy.PopVictim() is { } victim)
        {
            var slot = (DiskSlot)victim;
            if (slot.File.Leases > 0 || !slot.TryRetire())
            {
                (skipped ??= []).Add(victim);
                continue;
            }

            BeginDiskRemoval(slot);
            victims.Add(slot);
            freed += slot.AccountedBytes;
        }

        if (skipped is not null)
        {
            foreach (var slot in skipped)
            {
                store.Policy.Add(slot);
            }
        }

        return victims;
    }

    /// <summary>A retired disk slot stays as a tombstone (and keeps its space) until its bytes are cleared. Under the lock.</summary>
    private static void BeginDiskRemoval(DiskSlot slot)
    {
        slot.File.Pages--;
        slot.File.Pending++;
    }

    /// <summary>Moves retired disk pages one tier down when there is one, then clears them and frees their space.</summary>
    private void EvictDiskSlots(List<DiskSlot> victims, int level, bool countAsEviction)
    {
        foreach (var slot in victims)
        {
            var demoted = countAsEviction && level + 1 < _diskLevels.Length && !slot.Page.File.Superseded && TryDemote(slot, level);
            lock (_lock)
            {
                TryClear(slot.File, slot.Page.Index, slot.Page.Length);
                DetachDisk(slot);
                if (countAsEviction)
                {
                    slot.Store.Evictions++;
                    Interlocked.Increment(ref _metrics.Evictions);
                }

                if (demoted)
                {
                    Interlocked.Increment(ref _metrics.Demotions);
                }
            }
        }
    }

    private bool TryDemote(DiskSlot slot, int level)
    {
        var page = slot.Page;
        var buffer = ArrayPool<byte>.Shared.Rent(page.Length);
        try
        {
            var data = buffer.AsSpan(0, page.Length);
            if (!slot.File.ReadPage(page.Index, 0, data) || XxHash3.HashToUInt64(data) != page.Checksum)
            {
                Interlocked.Increment(ref _metrics.CorruptPages);
                return false;
            }

            return TryStoreOnDisk(page, data, level + 1, slot);
        }
        catch (IOException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Frees the space of a cleared disk slot. Under the lock.</summary>
    private void DetachDisk(DiskSlot slot)
    {
        var page = slot.Page;
        var had = IsCached(page);
        if (page.Disk == slot)
        {
            page.Disk = null;
        }

        slot.Store.Used -= slot.AccountedBytes;
        slot.Store.PageCount--;
        slot.File.Pending--;
        AccountCached(page, had);
        MaybeDeleteDiskFile(slot.File);
        RemoveIfEmpty(page);
    }

    private void DropCorruptDiskPage(PageEntry page, DiskSlot slot)
    {
        lock (_lock)
        {
            if (page.Disk != slot || !slot.TryRetire())
            {
                return;
            }

            slot.Store.Policy.Remove(slot);
            BeginDiskRemoval(slot);
        }

        Interlocked.Increment(ref _metrics.CorruptPages);
        Log.CorruptPage(_logger, _options.Name, page.Index, page.File.Source.Path, slot.Store.Name);
        EvictDiskSlots([slot], slot.Store.Level - 1, countAsEviction: false);
    }

    /// <summary>Copies a page that is hot on disk into the MEM tier.</summary>
    private void Promote(PageEntry page, DiskSlot slot, ReadOnlySpan<byte> wholePage)
    {
        byte[]? rented = null;
        try
        {
            if (wholePage.IsEmpty)
            {
                if (!slot.TryPin())
                {
                    return;
                }

                rented = ArrayPool<byte>.Shared.Rent(page.Length);
                bool intact;
                try
                {
                    intact = slot.File.ReadPage(page.Index, 0, rented.AsSpan(0, page.Length))
                        && XxHash3.HashToUInt64(rented.AsSpan(0, page.Length)) == page.Checksum;
                }
                catch (IOException)
                {
                    intact = false;
                }
                finally
                {
                    slot.Unpin();
                }

                if (!intact)
                {
                    return;
                }

                wholePage = rented.AsSpan(0, page.Length);
            }

            if (TryStoreInMemory(page, wholePage))
            {
                Interlocked.Exchange(ref page.DiskHits, 0);
                Interlocked.Increment(ref _metrics.Promotions);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Drops every page of a superseded file version (pages being read or leased stay until eviction).</summary>
    private void DropFile(CachedFile file)
    {
        file.Superseded = true;
        List<DiskSlot>? disk = null;
        lock (_lock)
        {
            var key = (file.MountName, file.Source.Path, file.Source.Version, file.Length);
            if (_files.TryGetValue(key, out var known) && known == file)
            {
                _files.Remove(key);
            }

            for (var i = 0; i < file.PageCount; i++)
            {
                if (!_index.TryGetValue(new PageKey(file.Id, i), out var page))
                {
                    continue;
                }

                if (page.Memory is { } memory && memory.TryRetire())
                {
                    memory.Store.Policy.Remove(memory);
                    DetachMemory(memory);
                }

                if (page.Disk is { IsRetired: false } slot && slot.File.Leases == 0 && slot.TryRetire())
                {
                    slot.Store.Policy.Remove(slot);
                    BeginDiskRemoval(slot);
                    (disk ??= []).Add(slot);
                }
            }
        }

        if (disk is not null)
        {
            EvictDiskSlots(disk, 0, countAsEviction: false);
        }
    }

    /// <summary>Deletes a blob that holds no page and is not in use. Under the lock, so no new blob of the same name is created meanwhile.</summary>
    private static void MaybeDeleteDiskFile(DiskFile file)
    {
        if (file.Pages == 0 && file.Pending == 0 && file.Leases == 0 && file.File.DiskFiles[file.Store.Index] == file)
        {
            file.File.DiskFiles[file.Store.Index] = null;
            file.Delete();
        }
    }

    private static void TryClear(DiskFile file, int index, int length)
    {
        try
        {
            file.ClearPage(index, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The record could not be cleared; recovery will find the bytes and verify them.
        }
    }

    /// <summary>
    /// Puts a page back in the index if it fell out while one of its copies was being written (its
    /// other copy was evicted meanwhile); false when another entry took its key. Under the lock.
    /// </summary>
    private bool EnsureIndexed(PageEntry page)
    {
        if (_index.TryGetValue(page.Key, out var current))
        {
            return current == page;
        }

        _index[page.Key] = page;
        return true;
    }

    private static bool IsCached(PageEntry page) => page.Memory is not null || page.Disk is not null;

    private void AccountCached(PageEntry page, bool had)
    {
        var has = IsCached(page);
        if (has != had)
        {
            Volatile.Write(ref _cachedBytes, _cachedBytes + (has ? page.Length : -page.Length));
        }
    }

    private void RemoveIfEmpty(PageEntry page)
    {
        if (!IsCached(page))
        {
            _index.TryRemove(new KeyValuePair<PageKey, PageEntry>(page.Key, page));
        }
    }

    private async Task EvictInBackgroundAsync()
    {
        var token = _disposed.Token;
        while (!token.IsCancellationRequested)
        {
            await _evictSignal.WaitAsync(token);
            Interlocked.Exchange(ref _evictRequested, 0);
            foreach (var store in _stores)
            {
                try
                {
                    if (Volatile.Read(ref store.Used) > store.HighBytes)
                    {
                        EvictDownTo(store, store.LowBytes);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    Log.EvictionFailed(_logger, _options.Name, ex);
                }
            }
        }
    }

    /// <summary>Evicts from a store until its usage is at most <paramref name="target"/> bytes (the low watermark).</summary>
    internal void EvictDownTo(CacheStore store, long target)
    {
        if (store is MemoryStore memory)
        {
            lock (_lock)
            {
                List<Pages.CacheSlot>? skipped = null;
                var budget = memory.Policy.Count;
                while (memory.Used > target && budget-- > 0 && memory.Policy.PopVictim() is { } victim)
                {
                    if (!victim.TryRetire())
                    {
                        (skipped ??= []).Add(victim);
                        continue;
                    }

                    DetachMemory((MemorySlot)victim);
                    memory.Evictions++;
                    Interlocked.Increment(ref _metrics.Evictions);
                }

                if (skipped is not null)
                {
                    foreach (var slot in skipped)
                    {
                        memory.Policy.Add(slot);
                    }
                }
            }

            return;
        }

        var disk = (DiskStore)store;
        while (true)
        {
            List<DiskSlot> victims;
            lock (_lock)
            {
                if (disk.Used <= target)
                {
                    return;
                }

                victims = PickDiskVictims(disk, disk.Used - target);
            }

            if (victims.Count == 0)
            {
                return;
            }

            EvictDiskSlots(victims, disk.Level - 1, countAsEviction: true);
        }
    }

    /// <summary>Rebuilds the index from the disk tiers, verifying every page; damaged pages are dropped and counted.</summary>
    private void RecoverDiskTiers(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_pageSize);
        try
        {
            foreach (var level in _diskLevels)
            {
                foreach (var store in level)
                {
                    Directory.CreateDirectory(store.Root);
                    long pages = 0, bytes = 0, corrupt = 0;
                    foreach (var path in Directory.EnumerateFiles(store.Root, "*", SearchOption.AllDirectories))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (path.EndsWith(".tmp", StringComparison.Ordinal))
                        {
                            File.Delete(path);
                        }
                        else if (path.EndsWith(".meta", StringComparison.Ordinal))
                        {
                            RecoverFile(store, path, buffer, ref pages, ref bytes, ref corrupt);
                        }
                    }

                    foreach (var blob in Directory.EnumerateFiles(store.Root, "*.blob", SearchOption.AllDirectories))
                    {
                        if (!File.Exists(Path.ChangeExtension(blob, ".meta")))
                        {
                            File.Delete(blob);
                        }
                    }

                    Interlocked.Add(ref _metrics.RecoveredPages, pages);
                    Interlocked.Add(ref _metrics.CorruptPages, corrupt);
                    Log.Recovered(_logger, _options.Name, pages, bytes, store.Name, corrupt);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void RecoverFile(DiskStore store, string metaPath, byte[] buffer, ref long pages, ref long bytes, ref long corrupt)
    {
        var blobPath = Path.ChangeExtension(metaPath, ".blob");
        var meta = File.ReadAllBytes(metaPath);
        var header = DiskFile.ParseHeader(meta);
        if (header is null || header.PageSize != _pageSize || !_mountIndex.TryGetValue(header.Mount, out var mountIndex) || !File.Exists(blobPath))
        {
            // Another format, page size or mount: these bytes can never be served, so free the space.
            File.Delete(metaPath);
            File.Delete(blobPath);
            return;
        }

        var file = GetOrCreateFile(mountIndex, new UfsEntry(header.Path, false, header.FileLength, header.LastModified, header.Version), current: false);
        DiskFile target;
        lock (_lock)
        {
            target = file.DiskFiles[store.Index] ??= new DiskFile(store, file);
            if (target.BlobPath != blobPath || target.Pages > 0)
            {
                // Renamed by hand or a second copy: not where this cache would look, so free it.
                File.Delete(metaPath);
                File.Delete(blobPath);
                return;
            }

            target.AdoptExisting(header.RecordsOffset);
            target.Pending++;
        }

        for (var i = 0; i < file.PageCount; i++)
        {
            var at = header.RecordsOffset + ((long)i * DiskFile.RecordSize);
            if (at + DiskFile.RecordSize > meta.Length)
            {
                break;
            }

            var record = meta.AsSpan((int)at, DiskFile.RecordSize);
            if (BinaryPrimitives.ReadInt32LittleEndian(record[12..]) != 1)
            {
                continue;
            }

            var checksum = BinaryPrimitives.ReadUInt64LittleEndian(record);
            var length = file.PageLength(i, _pageSize);
            var data = buffer.AsSpan(0, length);
            bool intact;
            try
            {
                intact = BinaryPrimitives.ReadInt32LittleEndian(record[8..]) == length
                    && target.ReadPage(i, 0, data)
                    && XxHash3.HashToUInt64(data) == checksum;
            }
            catch (IOException)
            {
                intact = false;
            }

            lock (_lock)
            {
                var key = new PageKey(file.Id, i);
                var need = DiskStore.Accounted(length);
                _index.TryGetValue(key, out var page);
                if (!intact || page?.Disk is not null || store.Free < need)
                {
                    // Damaged, already recovered from another store, or over a quota that shrank.
                    corrupt += intact ? 0 : 1;
                    TryClear(target, i, length);
                    continue;
                }

                if (page is null)
                {
                    page = new PageEntry(file, i, length, checksum);
                    _index[key] = page;
                }

                var slot = new DiskSlot(page, store, target) { Verified = true };
                var had = IsCached(page);
                page.Disk = slot;
                AccountCached(page, had);
                store.Used += need;
                store.PageCount++;
                target.Pages++;
                store.Policy.Add(slot);
            }

            pages++;
            bytes += length;
        }

        lock (_lock)
        {
            target.Pending--;
            MaybeDeleteDiskFile(target);
        }
    }
}
