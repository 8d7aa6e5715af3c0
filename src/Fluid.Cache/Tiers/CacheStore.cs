using Fluid.Cache.Eviction;

namespace Fluid.Cache.Tiers;

/// <summary>
/// One place pages can live (the MEM region or one disk directory) with its quota, watermarks and
/// eviction order. <see cref="Used"/> counts reserved as well as stored bytes and only changes under
/// the cache's index lock, so it never exceeds <see cref="Quota"/>.
/// </summary>
internal abstract class CacheStore
{
    protected CacheStore(int index, int level, MediumType medium, string name, long quota, TierOptions tier)
    {
        Index = index;
        Level = level;
        Medium = medium;
        Name = name;
        Quota = quota;
        HighBytes = (long)(quota * tier.High);
        LowBytes = (long)(quota * tier.Low);
        Policy = EvictionPolicy.Create(tier.Eviction, quota);
    }

    public int Index { get; }

    /// <summary>Position of this store's tier, 0 = fastest.</summary>
    public int Level { get; }

    public MediumType Medium { get; }

    public string Name { get; }

    public long Quota { get; }

    public long HighBytes { get; }

    public long LowBytes { get; }

    public EvictionPolicy Policy { get; }

    public long Used;

    /// <summary>Pages stored (not counting reservations).</summary>
    public long PageCount;

    public long Evictions;

    public long Free => Quota - Used;
}
