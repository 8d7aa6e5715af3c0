using System.Numerics;
using System.Runtime.InteropServices;

namespace Fluid.Cache.Tiers;

/// <summary>
/// The MEM tier: one native region of exactly the quota, outside the GC heap, carved by a buddy
/// allocator into blocks from 4 KiB up to one page. Full pages take page-sized blocks; the short
/// last page of a small file takes the smallest power of two that holds it, so a 100 KiB file
/// costs 128 KiB, not a whole page. The region can never hold more than its quota.
/// </summary>
internal sealed unsafe class MemoryStore : CacheStore, IDisposable
{
    public const int MinBlockShift = 12;
    private readonly byte* _region;
    private readonly int _maxOrder;
    private readonly HashSet<long>[] _free;
    private bool _disposed;

    public MemoryStore(int index, TierOptions tier, int pageSize)
        : base(index, 0, MediumType.Mem, "MEM", tier.Quota / pageSize * pageSize, tier)
    {
        _maxOrder = BitOperations.Log2((uint)pageSize) - MinBlockShift;
        _free = new HashSet<long>[_maxOrder + 1];
        for (var i = 0; i <= _maxOrder; i++)
        {
            _free[i] = [];
        }

        _region = (byte*)NativeMemory.AlignedAlloc((nuint)Quota, 4096);
        for (long offset = 0; offset < Quota; offset += pageSize)
        {
            _free[_maxOrder].Add(offset);
        }
    }

    public static long BlockSize(int order) => 1L << (order + MinBlockShift);

    public static int OrderFor(int length) =>
        length <= (1 << MinBlockShift) ? 0 : BitOperations.Log2((uint)length - 1) + 1 - MinBlockShift;

    public byte* PointerAt(long offset) => _region + offset;

    /// <summary>Takes a block of the given order; false when no block that large is free.</summary>
    public bool TryAllocate(int order, out long offset)
    {
        var from = order;
        while (from <= _maxOrder && _free[from].Count == 0)
        {
            from++;
        }

        if (from > _maxOrder)
        {
            offset = -1;
            return false;
        }

        offset = TakeAny(_free[from]);
        while (from > order)
        {
            from--;
            _free[from].Add(offset + BlockSize(from));
        }

        return true;
    }

    public void Release(long offset, int order)
    {
        while (order < _maxOrder)
        {
            var buddy = offset ^ BlockSize(order);
            if (!_free[order].Remove(buddy))
            {
                break;
            }

            offset = Math.Min(offset, buddy);
            order++;
        }

        _free[order].Add(offset);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            NativeMemory.AlignedFree(_region);
        }
    }

    private static long TakeAny(HashSet<long> set)
    {
        foreach (var item in set)
        {
            set.Remove(item);
            return item;
        }

        throw new InvalidOperationException("free list is empty");
    }
}
