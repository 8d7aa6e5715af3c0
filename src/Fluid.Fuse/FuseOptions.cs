namespace Fluid.Fuse;

/// <summary>Whether opens of locally available files are handed to the kernel (FUSE passthrough, Linux ≥ 6.9).</summary>
public enum PassthroughMode
{
    /// <summary>Use passthrough when the kernel offers it and the process may register backing files.</summary>
    Auto,

    /// <summary>Never use passthrough; reads go through the file system (and the kernel page cache).</summary>
    Off,
}

/// <summary>How the file system is attached to the mount point.</summary>
public enum MountMethod
{
    /// <summary>mount(2) when running as root, fusermount3 otherwise.</summary>
    Auto,

    /// <summary>mount(2) directly (needs CAP_SYS_ADMIN).</summary>
    Syscall,

    /// <summary>The setuid helper fusermount3, which passes the device descriptor back over a socket.</summary>
    Fusermount,
}

/// <summary>Settings of one FUSE mount.</summary>
public sealed record FuseOptions
{
    /// <summary>How long the kernel may cache names and attributes before asking again (entry and attribute timeouts).</summary>
    public TimeSpan MetadataTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the kernel may remember that a name does not exist.</summary>
    public TimeSpan NegativeTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Every request is answered within this time: EIO if the backend has not answered by then.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reader threads, each on its own cloned /dev/fuse descriptor.</summary>
    public int ReaderThreads { get; init; } = 4;

    /// <summary>Upper bound of reader threads when stuck ones are replaced.</summary>
    public int MaxReaderThreads { get; init; } = 32;

    public PassthroughMode Passthrough { get; init; } = PassthroughMode.Auto;

    /// <summary>
    /// Files smaller than this are served through the kernel page cache rather than passthrough: once
    /// warm both read at memory speed, and registering a backing file costs more than reading a small
    /// file (see docs/fuse.md for the figures). Larger files gain native cold reads and no double caching.
    /// </summary>
    public long PassthroughMinSize { get; init; } = 1024 * 1024;

    /// <summary>
    /// When passthrough is not in use, answer the first OPEN with ENOSYS so the kernel stops sending OPEN,
    /// FLUSH and RELEASE for files (FUSE_NO_OPEN_SUPPORT): the content of a version never changes, so
    /// there is no per-open state to keep, and a warm small-file read costs no round trip at all.
    /// </summary>
    public bool ZeroMessageOpens { get; init; } = true;

    /// <summary>Largest READ the kernel sends (max_pages × 4 KiB); 1 MiB by default.</summary>
    public int MaxRead { get; init; } = 1024 * 1024;

    /// <summary>Kernel readahead window for the mount (read_ahead_kb of its bdi, set when running as root); 0 leaves the default.</summary>
    public int ReadAheadKb { get; init; } = 1024;

    /// <summary>Mount with MS_RDONLY so the VFS refuses writes before they reach the file system.</summary>
    public bool KernelReadOnly { get; init; } = true;

    /// <summary>Let users other than the mounting one access the mount (allow_other).</summary>
    public bool AllowOther { get; init; } = true;

    public MountMethod MountMethod { get; init; } = MountMethod.Auto;

    /// <summary>Owner shown for every file; the mounting user when null.</summary>
    public uint? Uid { get; init; }

    /// <summary>Group shown for every file; the mounting user's group when null.</summary>
    public uint? Gid { get; init; }

    /// <summary>The "source" column of the mount table.</summary>
    public string SourceName { get; init; } = "fluid";

    /// <summary>Checks the settings and returns every problem, each naming its field.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MetadataTtl < TimeSpan.Zero)
        {
            problems.Add($"metadataTtl: must not be negative (got {MetadataTtl}).");
        }

        if (NegativeTtl < TimeSpan.Zero)
        {
            problems.Add($"negativeTtl: must not be negative (got {NegativeTtl}).");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add($"requestTimeout: must be positive (got {RequestTimeout}).");
        }

        if (ReaderThreads is < 1 or > 256)
        {
            problems.Add($"readerThreads: must be between 1 and 256 (got {ReaderThreads}).");
        }

        if (MaxReaderThreads < ReaderThreads)
        {
            problems.Add($"maxReaderThreads: must be at least readerThreads ({ReaderThreads}) (got {MaxReaderThreads}).");
        }

        if (MaxRead < 4096 || MaxRead > 16 * 1024 * 1024 || MaxRead % 4096 != 0)
        {
            problems.Add($"maxRead: must be a multiple of 4096 between 4 KiB and 16 MiB (got {MaxRead}).");
        }

        if (PassthroughMinSize < 0)
        {
            problems.Add($"passthroughMinSize: must not be negative (got {PassthroughMinSize}).");
        }

        if (ReadAheadKb < 0)
        {
            problems.Add($"readAheadKb: must not be negative (got {ReadAheadKb}).");
        }

        if (string.IsNullOrWhiteSpace(SourceName) || SourceName.Contains(',', StringComparison.Ordinal) || SourceName.Any(char.IsWhiteSpace))
        {
            problems.Add($"sourceName: must be a non-empty word without commas or spaces (got '{SourceName}').");
        }

        return problems;
    }
}
