using Fluid.Cache.Pages;
using Fluid.Storage;

namespace Fluid.Cache;

/// <summary>A named source mounted into a dataset's namespace at <c>/&lt;Name&gt;</c>.</summary>
public sealed record DatasetMount(string Name, IUnderFileSystem Source);

/// <summary>A file or directory in the dataset's unified namespace (<c>/&lt;mount&gt;/&lt;path&gt;</c>).</summary>
public sealed class DatasetEntry
{
    internal DatasetEntry(string path, int mountIndex, string mountName, UfsEntry source)
    {
        Path = path;
        MountIndex = mountIndex;
        MountName = mountName;
        Source = source;
    }

    /// <summary>Absolute dataset path, e.g. "/imagenet/train/n01440764/x.JPEG"; "/" is the root.</summary>
    public string Path { get; }

    /// <summary>The last path segment ("" for the root).</summary>
    public string Name => Path.Length <= 1 ? string.Empty : Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>The mount this entry belongs to ("" for the root).</summary>
    public string MountName { get; }

    public bool IsDirectory => Source.IsDirectory;

    public long Length => Source.Length;

    public DateTimeOffset LastModified => Source.LastModified;

    /// <summary>The source's version token; pages of different versions are never mixed.</summary>
    public string Version => Source.Version;

    /// <summary>The entry as the mount's under file system reported it (path relative to the mount root).</summary>
    public UfsEntry Source { get; }

    internal int MountIndex { get; }

    /// <summary>The cached file version behind this entry, resolved on first read.</summary>
    internal CachedFile? File;

    public override string ToString() => $"{Path} ({(IsDirectory ? "dir" : $"{Length} bytes, version {Version}")})";
}
