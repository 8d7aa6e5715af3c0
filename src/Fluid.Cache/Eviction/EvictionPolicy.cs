using Fluid.Cache.Pages;

namespace Fluid.Cache.Eviction;

/// <summary>
/// Orders the slots of one store for eviction. Add, Remove and PopVictim run under the cache's
/// index lock; Touch runs on the read path, concurrently, and must not allocate.
/// </summary>
internal abstract class EvictionPolicy
{
    public abstract int Count { get; }

    public abstract void Add(CacheSlot slot);

    public abstract void Remove(CacheSlot slot);

    public abstract void Touch(CacheSlot slot);

    /// <summary>Removes and returns the next slot to evict, or null when the store is empty.</summary>
    public abstract CacheSlot? PopVictim();

    public static EvictionPolicy Create(EvictionPolicyKind kind, long capacityBytes) => kind switch
    {
        EvictionPolicyKind.Lru => new LruPolicy(),
        EvictionPolicyKind.Fifo => new FifoPolicy(),
        EvictionPolicyKind.Clock => new ClockPolicy(),
        EvictionPolicyKind.S3Fifo => new S3FifoPolicy(capacityBytes),
        EvictionPolicyKind.ReuseAwareFifo => new ReuseAwareFifoPolicy(capacityBytes),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown eviction policy"),
    };
}

/// <summary>Least recently used: every hit moves the slot to the head (and so takes a lock).</summary>
internal sealed class LruPolicy : EvictionPolicy
{
    private readonly SlotList _list = new();
    private readonly Lock _gate = new();

    public override int Count => _list.Count;

    public override void Add(CacheSlot slot)
    {
        lock (_gate)
        {
            _list.AddFirst(slot);
        }
    }

    public override void Remove(CacheSlot slot)
    {
        lock (_gate)
        {
            if (slot.Owner == _list)
            {
                _list.Remove(slot);
            }
        }
    }

    public override void Touch(CacheSlot slot)
    {
        lock (_gate)
        {
            if (slot.Owner == _list && _list.Head != slot)
            {
                _list.Remove(slot);
                _list.AddFirst(slot);
            }
        }
    }

    public override CacheSlot? PopVictim()
    {
        lock (_gate)
        {
            return _list.RemoveLast();
        }
    }
}

/// <summary>First in, first out: hits change nothing.</summary>
internal sealed class FifoPolicy : EvictionPolicy
{
    private readonly SlotList _list = new();

    public override int Count => _list.Count;

    public override void Add(CacheSlot slot) => _list.AddFirst(slot);

    public override void Remove(CacheSlot slot)
    {
        if (slot.Owner == _list)
        {
            _list.Remove(slot);
        }
    }

    public override void Touch(CacheSlot slot)
    {
    }

    public override CacheSlot? PopVictim() => _list.RemoveLast();
}

/// <summary>CLOCK (second chance): a hit sets a reference bit; the hand clears it once before evicting.</summary>
internal sealed class ClockPolicy : EvictionPolicy
{
    private readonly SlotList _list = new();

    public override int Count => _list.Count;

    public override void Add(CacheSlot slot)
    {
        slot.Frequency = 0;
        _list.AddFirst(slot);
    }

    public override void Remove(CacheSlot slot)
    {
        if (slot.Owner == _list)
        {
            _list.Remove(slot);
        }
    }

    public override void Touch(CacheSlot slot) => slot.Frequency = 1;

    public override CacheSlot? PopVictim()
    {
        while (_list.RemoveLast() is { } tail)
        {
            if (tail.Frequency == 0)
            {
                return tail;
            }

            tail.Frequency = 0;
            _list.AddFirst(tail);
        }

        return null;
    }
}

/// <summary>
/// S3-FIFO (Yang et al., SOSP 2023): new pages enter a small FIFO (10% of the bytes); only pages
/// hit again while there move to the main FIFO, the rest leave and are remembered in a ghost
/// queue, whose members go straight to main when they come back. Main reinserts pages that were
/// hit (up to 3 times). One-time scans therefore never flush the pages that are reused.
/// </summary>
internal sealed class S3FifoPolicy : EvictionPolicy
{
    private const int MaxFrequency = 3;
    private readonly SlotList _small = new();
    private readonly SlotList _main = new();
    private readonly HashSet<PageKey> _ghost = [];
    private readonly Queue<PageKey> _ghostOrder = new();
    private readonly long _smallTarget;

    public S3FifoPolicy(long capacityBytes)
    {
        _smallTarget = Math.Max(1, capacityBytes / 10);
    }

    public override int Count => _small.Count + _main.Count;

    public override void Add(CacheSlot slot)
    {
        slot.Frequency = 0;
        if (_ghost.Remove(slot.Page.Key))
        {
            _main.AddFirst(slot);
        }
        else
        {
            _small.AddFirst(slot);
        }
    }

    public override void Remove(CacheSlot slot)
    {
        if (slot.Owner is { } owner && (owner == _small || owner == _main))
        {
            owner.Remove(slot);
        }
    }

    public override void Touch(CacheSlot slot)
    {
        // Racy on purpose: a lost increment only makes eviction slightly less informed.
        var f = slot.Frequency;
        if (f < MaxFrequency)
        {
            slot.Frequency = f + 1;
        }
    }

    public override CacheSlot? PopVictim()
    {
        while (true)
        {
            if (_small.Count > 0 && (_small.Bytes >= _smallTarget || _main.Count == 0))
            {
                var t = _small.RemoveLast()!;
                if (t.Frequency > 0)
                {
                    t.Frequency = 0;
                    _main.AddFirst(t);
                    continue;
                }

                RememberGhost(t.Page.Key);
                return t;
            }

            if (_main.RemoveLast() is not { } m)
            {
                return null;
            }

            if (m.Frequency > 0)
            {
                m.Frequency--;
                _main.AddFirst(m);
                continue;
            }

            return m;
        }
    }

    private void RememberGhost(PageKey key)
    {
        if (!_ghost.Add(key))
        {
            return;
        }

        _ghostOrder.Enqueue(key);
        var limit = Math.Max(16, Count);
        while (_ghostOrder.Count > limit)
        {
            _ghost.Remove(_ghostOrder.Dequeue());
        }
    }
}
