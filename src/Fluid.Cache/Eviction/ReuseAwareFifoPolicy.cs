using Fluid.Cache.Pages;

namespace Fluid.Cache.Eviction;

/// <summary>
/// S3-FIFO's two queues with a different rule for leaving the main queue, made for training
/// epochs (every page re-read once per epoch, in a new random order, over more data than fits).
/// New pages enter a small probation FIFO (10% of the bytes); a page hit there, or any page while
/// the main queue has room, moves to main. A main page leaves only when it has been idle for
/// longer than three times the typical reuse distance the policy observes on hits (measured in
/// misses), so a steady epoch workload keeps a stable resident set (close to the optimal
/// cache/dataset hit ratio) instead of thrashing, while pages of a working set that stopped being
/// read age out within a few epochs. Distances are counted in misses so that only the locked
/// paths advance the clock; hits only stamp the slot.
/// </summary>
internal sealed class ReuseAwareFifoPolicy : EvictionPolicy
{
    private const int IdleFactor = 2;
    private readonly SlotList _small = new();
    private readonly SlotList _main = new();
    private readonly long _smallTarget;
    private readonly long _mainTarget;
    private long _clock;
    private long _reuseDistance;

    public ReuseAwareFifoPolicy(long capacityBytes)
    {
        _smallTarget = Math.Max(1, capacityBytes / 10);
        _mainTarget = capacityBytes - _smallTarget;
    }

    public override int Count => _small.Count + _main.Count;

    public override void Add(CacheSlot slot)
    {
        _clock++;
        slot.Frequency = 0;
        slot.LastAccess = _clock;
        _small.AddFirst(slot);
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
        // Racy on purpose (runs without the lock): a lost update only blurs the estimate.
        var now = Volatile.Read(ref _clock);
        var distance = now - slot.LastAccess;
        slot.LastAccess = now;
        slot.Frequency = 1;
        if (slot.Owner == _main && distance > 0)
        {
            // Rises fast and falls slowly: it tracks the long reuse distances of epochs, not the
            // short ones of a hot set, so epoch pages are not judged idle too early.
            var estimate = Volatile.Read(ref _reuseDistance);
            Volatile.Write(ref _reuseDistance, estimate == 0 ? distance : estimate + ((distance - estimate) / (distance > estimate ? 4 : 64)));
        }
    }

    public override CacheSlot? PopVictim()
    {
        while (true)
        {
            // One main page per step: it leaves if idle too long, else it goes back to the head.
            if (_main.Tail is { } oldest)
            {
                _main.Remove(oldest);
                if (IsIdle(oldest))
                {
                    return oldest;
                }

                _main.AddFirst(oldest);
            }

            if (_small.Count == 0)
            {
                return _main.RemoveLast();
            }

            var t = _small.RemoveLast()!;
            if (t.Frequency > 0 || _main.Bytes + t.AccountedBytes <= _mainTarget)
            {
                t.Frequency = 0;
                _main.AddFirst(t);
                continue;
            }

            return t;
        }
    }

    private bool IsIdle(CacheSlot slot)
    {
        var estimate = Volatile.Read(ref _reuseDistance);
        // Without any observed reuse yet there is no evidence a main page is idle.
        return estimate > 0 && _clock - slot.LastAccess > IdleFactor * estimate;
    }
}
