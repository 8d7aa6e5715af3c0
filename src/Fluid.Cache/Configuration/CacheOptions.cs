namespace Fluid.Cache;

/// <summary>The storage medium of a cache tier, fastest first (Fluid's <c>mediumtype</c>).</summary>
public enum MediumType
{
    Mem,
    Ssd,
    Hdd,
}

/// <summary>Which page eviction policy a tier uses (see docs/cache.md for the measurement behind the default).</summary>
public enum EvictionPolicyKind
{
    ReuseAwareFifo,
    S3Fifo,
    Lru,
    Fifo,
    Clock,
}

/// <summary>One directory of a disk tier and the most bytes of pages it may hold.</summary>
public sealed record TierDirectory(string Path, long Quota);

/// <summary>One cache tier (Fluid's <c>tieredstore.levels[]</c> entry).</summary>
public sealed record TierOptions
{
    /// <summary>MEM, SSD or HDD.</summary>
    public required MediumType Medium { get; init; }

    /// <summary>Bytes the MEM tier may hold; ignored for disk tiers.</summary>
    public long Quota { get; init; }

    /// <summary>Directories of a disk tier with their own quotas (Fluid's comma-separated <c>path</c> and <c>quotaList</c>).</summary>
    public IReadOnlyList<TierDirectory> Directories { get; init; } = [];

    /// <summary>When usage crosses this fraction of the quota, background eviction starts.</summary>
    public double High { get; init; } = 0.95;

    /// <summary>Background eviction stops at this fraction of the quota.</summary>
    public double Low { get; init; } = 0.7;

    /// <summary>Eviction policy of this tier.</summary>
    public EvictionPolicyKind Eviction { get; init; } = EvictionPolicyKind.ReuseAwareFifo;
}

/// <summary>Everything a <see cref="DatasetCache"/> needs to know, independent of how it was configured (YAML, CLI, tests).</summary>
public sealed record CacheOptions
{
    /// <summary>Default page size, chosen by <c>bench/Fluid.Cache.Benchmarks pagesize</c> (docs/cache.md).</summary>
    public const int DefaultPageSize = 1 << 20;

    /// <summary>A name for logs and metric tags, usually "namespace/dataset".</summary>
    public string Name { get; init; } = "dataset";

    /// <summary>Size of a page in bytes: a power of two between 4 KiB and 64 MiB.</summary>
    public int PageSize { get; init; } = DefaultPageSize;

    /// <summary>Tiers, fastest first. Pages are cached only when at least one tier exists.</summary>
    public IReadOnlyList<TierOptions> Tiers { get; init; } = [];

    /// <summary>How long file metadata is trusted before it is checked against the source again.</summary>
    public TimeSpan MetadataTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most metadata entries kept in memory; listings stop adding entries past it.</summary>
    public int MaxMetadataEntries { get; init; } = 1_000_000;

    /// <summary>Bytes fetched ahead of a sequential reader; 0 disables readahead.</summary>
    public long ReadaheadBytes { get; init; } = 8L << 20;

    /// <summary>Pages fetched in parallel by <see cref="DatasetCache.LoadAsync"/> and by readahead.</summary>
    public int LoadParallelism { get; init; } = 8;

    /// <summary>Longest wait for one source call before the read fails with a timeout error.</summary>
    public TimeSpan SourceTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A page read from a disk tier this many times is copied into the MEM tier.</summary>
    public int PromoteAfterHits { get; init; } = 2;

    /// <summary>Calls fsync after each page written to disk (slower; protects against power loss as well as crashes).</summary>
    public bool FsyncDiskWrites { get; init; }

    /// <summary>Returns every problem with these options, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PageSize < 4096 || PageSize > (64 << 20) || (PageSize & (PageSize - 1)) != 0)
        {
            errors.Add($"pageSize: {PageSize} is not a power of two between 4096 and 67108864");
        }

        if (MetadataTtl < TimeSpan.Zero)
        {
            errors.Add($"metadataTtl: {MetadataTtl} is negative");
        }

        if (ReadaheadBytes < 0)
        {
            errors.Add($"readaheadBytes: {ReadaheadBytes} is negative");
        }

        if (LoadParallelism < 1)
        {
            errors.Add($"loadParallelism: {LoadParallelism} must be at least 1");
        }

        if (SourceTimeout <= TimeSpan.Zero)
        {
            errors.Add($"sourceTimeout: {SourceTimeout} must be positive");
        }

        if (MaxMetadataEntries < 1)
        {
            errors.Add($"maxMetadataEntries: {MaxMetadataEntries} must be at least 1");
        }

        if (PromoteAfterHits < 1)
        {
            errors.Add($"promoteAfterHits: {PromoteAfterHits} must be at least 1");
        }

        var seenDirs = new HashSet<string>(StringComparer.Ordinal);
        var memTiers = 0;
        for (var i = 0; i < Tiers.Count; i++)
        {
            var tier = Tiers[i];
            var at = $"tiers[{i}]";
            if (tier is null)
            {
                errors.Add($"{at}: is null");
                continue;
            }

            if (i > 0 && Tiers[i - 1] is { } previous && previous.Medium > tier.Medium)
            {
                errors.Add($"{at}.medium: {tier.Medium} comes after {previous.Medium}; list tiers fastest first (MEM, SSD, HDD)");
            }

            if (!(tier.Low > 0 && tier.Low <= tier.High && tier.High <= 1))
            {
                errors.Add($"{at}: watermarks must satisfy 0 < low <= high <= 1 (low {tier.Low}, high {tier.High})");
            }

            if (tier.Medium == MediumType.Mem)
            {
                memTiers++;
                if (memTiers > 1)
                {
                    errors.Add($"{at}.medium: only one MEM tier is supported");
                }

                if (tier.Quota < PageSize)
                {
                    errors.Add($"{at}.quota: {tier.Quota} is smaller than one page ({PageSize} bytes)");
                }

                if (tier.Directories.Count > 0)
                {
                    errors.Add($"{at}.directories: a MEM tier has no directories");
                }

                continue;
            }

            if (tier.Directories.Count == 0)
            {
                errors.Add($"{at}.directories: a {tier.Medium} tier needs at least one directory");
            }

            for (var d = 0; d < tier.Directories.Count; d++)
            {
                var dir = tier.Directories[d];
                var dat = $"{at}.directories[{d}]";
                if (dir is null || string.IsNullOrWhiteSpace(dir.Path))
                {
                    errors.Add($"{dat}.path: is empty");
                    continue;
                }

                if (!System.IO.Path.IsPathFullyQualified(dir.Path))
                {
                    errors.Add($"{dat}.path: \"{dir.Path}\" is not an absolute path");
                }
                else if (!seenDirs.Add(System.IO.Path.GetFullPath(dir.Path).TrimEnd('/')))
                {
                    errors.Add($"{dat}.path: \"{dir.Path}\" is used twice");
                }

                if (dir.Quota < 4096)
                {
                    errors.Add($"{dat}.quota: {dir.Quota} is smaller than 4096 bytes");
                }
            }
        }

        return errors;
    }
}
