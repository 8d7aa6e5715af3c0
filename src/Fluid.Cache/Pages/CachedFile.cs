using Fluid.Storage;

namespace Fluid.Cache.Pages;

/// <summary>One version of one source file, the owner of its pages; identity is (mount, path, version).</summary>
internal sealed class CachedFile
{
    public CachedFile(int id, int mountIndex, string mountName, UfsEntry source, int pageSize, int storeCount)
    {
        Id = id;
        MountIndex = mountIndex;
        MountName = mountName;
        Source = source;
        Length = source.Length;
        PageCount = (int)((source.Length + pageSize - 1) / pageSize);
        DiskFiles = new Tiers.DiskFile?[storeCount];
    }

    public int Id { get; }

    public int MountIndex { get; }

    public string MountName { get; }

    public UfsEntry Source { get; }

    public long Length { get; }

    public int PageCount { get; }

    /// <summary>The blob of this file in each store (null where the store holds none of its pages); guarded by the cache lock.</summary>
    public Tiers.DiskFile?[] DiskFiles { get; }

    /// <summary>True once a newer version replaced this one; its pages are dropped and no longer filled.</summary>
    public volatile bool Superseded;

    /// <summary>The page the last read touched; repeated reads inside one page count as one access for eviction.</summary>
    public int LastTouchedPage = -1;

    /// <summary>End offset of the last read, to recognise sequential readers.</summary>
    public long LastReadEnd = -1;

    /// <summary>Pages below this index were already requested by readahead.</summary>
    public int ReadaheadUntil;

    public int PageLength(int index, int pageSize)
    {
        var start = (long)index * pageSize;
        return (int)Math.Min(pageSize, Length - start);
    }
}
