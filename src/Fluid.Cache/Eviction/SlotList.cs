using Fluid.Cache.Pages;

namespace Fluid.Cache.Eviction;

/// <summary>An intrusive doubly linked list of slots (head = newest); no allocation per operation.</summary>
internal sealed class SlotList
{
    public CacheSlot? Head { get; private set; }

    public CacheSlot? Tail { get; private set; }

    public int Count { get; private set; }

    public long Bytes { get; private set; }

    public void AddFirst(CacheSlot slot)
    {
        slot.Owner = this;
        slot.Prev = null;
        slot.Next = Head;
        if (Head is not null)
        {
            Head.Prev = slot;
        }

        Head = slot;
        Tail ??= slot;
        Count++;
        Bytes += slot.AccountedBytes;
    }

    public void Remove(CacheSlot slot)
    {
        if (slot.Prev is not null)
        {
            slot.Prev.Next = slot.Next;
        }
        else
        {
            Head = slot.Next;
        }

        if (slot.Next is not null)
        {
            slot.Next.Prev = slot.Prev;
        }
        else
        {
            Tail = slot.Prev;
        }

        slot.Prev = slot.Next = null;
        slot.Owner = null;
        Count--;
        Bytes -= slot.AccountedBytes;
    }

    public CacheSlot? RemoveLast()
    {
        var tail = Tail;
        if (tail is not null)
        {
            Remove(tail);
        }

        return tail;
    }
}
