using Fluid.Cache.Eviction;
using Fluid.Cache.Tiers;

namespace Fluid.Cache.Pages;

/// <summary>
/// A page's place in one store. Readers pin it while copying; eviction retires it only when no
/// reader holds a pin (pins flip from 0 to int.MinValue), so bytes are never freed under a reader.
/// </summary>
internal abstract class CacheSlot
{
    private int _pins;

    protected CacheSlot(PageEntry page, CacheStore store, long accountedBytes)
    {
        Page = page;
        Store = store;
        AccountedBytes = accountedBytes;
    }

    public PageEntry Page { get; }

    public CacheStore Store { get; }

    /// <summary>Bytes this slot counts against its store's quota.</summary>
    public long AccountedBytes { get; }

    // Intrusive links and state used by the store's eviction policy.
    internal CacheSlot? Prev;
    internal CacheSlot? Next;
    internal SlotList? Owner;
    internal int Frequency;
    internal long LastAccess;

    public bool IsRetired => Volatile.Read(ref _pins) < 0;

    public bool TryPin() => Interlocked.Increment(ref _pins) > 0;

    public void Unpin() => Interlocked.Decrement(ref _pins);

    public bool TryRetire() => Interlocked.CompareExchange(ref _pins, int.MinValue, 0) == 0;
}

/// <summary>A page held in the MEM tier's native region.</summary>
internal sealed unsafe class MemorySlot : CacheSlot
{
    public MemorySlot(PageEntry page, MemoryStore store, long offset, int order)
        : base(page, store, MemoryStore.BlockSize(order))
    {
        Offset = offset;
        Order = order;
        Pointer = store.PointerAt(offset);
    }

    public long Offset { get; }

    public int Order { get; }

    public byte* Pointer { get; }

    public ReadOnlySpan<byte> Bytes => new(Pointer, Page.Length);
}

/// <summary>A page held at its natural offset in a disk store's blob file.</summary>
internal sealed class DiskSlot : CacheSlot
{
    public DiskSlot(PageEntry page, DiskStore store, DiskFile file)
        : base(page, store, DiskStore.Accounted(page.Length))
    {
        File = file;
    }

    public DiskFile File { get; }

    /// <summary>
    /// The page's bytes on disk matched its checksum at least once in this process (at recovery or on a whole-page
    /// read); until then a read of part of the page reads and checks the whole page first.
    /// </summary>
    public volatile bool Verified;
}
