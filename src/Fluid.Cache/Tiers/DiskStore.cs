namespace Fluid.Cache.Tiers;

/// <summary>One directory of a disk tier: blobs and sidecars under <c>&lt;dir&gt;/fluid-pages/xx/</c>, with a byte quota.</summary>
internal sealed class DiskStore : CacheStore
{
    public const int BlockSize = 4096;
    // Blob handles kept open across all caches in the process; past it, files are opened per operation.
    private static int _openHandleBudget = 512;

    public DiskStore(int index, int level, TierOptions tier, TierDirectory directory, int pageSize)
        : base(index, level, tier.Medium, $"{tier.Medium.ToString().ToUpperInvariant()}:{directory.Path}", directory.Quota / BlockSize * BlockSize, tier)
    {
        Directory = directory.Path;
        Root = Path.Combine(directory.Path, "fluid-pages");
        PageSize = pageSize;
    }

    public string Directory { get; }

    public string Root { get; }

    public int PageSize { get; }

    /// <summary>Disk usage of a page: its length rounded up to whole file-system blocks.</summary>
    public static long Accounted(int length) => ((long)length + BlockSize - 1) / BlockSize * BlockSize;

    public bool TryTakeHandleBudget() => Interlocked.Decrement(ref _openHandleBudget) >= 0 || ReturnAndFail();

    public void ReturnHandleBudget() => Interlocked.Increment(ref _openHandleBudget);

    private static bool ReturnAndFail()
    {
        Interlocked.Increment(ref _openHandleBudget);
        return false;
    }
}
