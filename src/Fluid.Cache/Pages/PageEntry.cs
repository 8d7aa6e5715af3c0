namespace Fluid.Cache.Pages;

/// <summary>A cached page and where it lives: at most one MEM slot and one disk slot.</summary>
internal sealed class PageEntry
{
    public PageEntry(CachedFile file, int index, int length, ulong checksum)
    {
        File = file;
        Index = index;
        Length = length;
        Checksum = checksum;
    }

    public CachedFile File { get; }

    public int Index { get; }

    public int Length { get; }

    /// <summary>XxHash3 of the page bytes, checked whenever a whole page is read back from disk.</summary>
    public ulong Checksum { get; }

    public PageKey Key => new(File.Id, Index);

    public volatile MemorySlot? Memory;

    public volatile DiskSlot? Disk;

    /// <summary>Hits served from disk since the page was last promoted.</summary>
    public int DiskHits;
}
