using System.Globalization;

namespace Fluid.Engine.Configuration;

/// <summary>
/// The MEM tier used when a Dataset comes without a runtime: a quarter of the memory the kernel
/// reports as available (<c>MemAvailable</c>), at least 64 MiB and at most 16 GiB, rounded down to
/// whole pages. A quarter leaves the rest to the training job and the kernel page cache (which
/// also holds the dataset's warm files through the FUSE mount); the cap keeps a large machine from
/// pinning memory for a dataset nobody sized.
/// </summary>
public static class MemoryDefaults
{
    public const double Fraction = 0.25;
    public const long Minimum = 64L << 20;
    public const long Maximum = 16L << 30;

    /// <summary>Used when /proc/meminfo cannot be read.</summary>
    public const long Fallback = 1L << 30;

    /// <summary>The default MEM quota for a given <c>MemAvailable</c> (null: unknown).</summary>
    public static long QuotaFor(long? memAvailable, int pageSize)
    {
        var quota = memAvailable is { } available ? (long)(available * Fraction) : Fallback;
        quota = Math.Clamp(quota, Minimum, Maximum);
        return Math.Max(pageSize, quota / pageSize * pageSize);
    }

    /// <summary>MemAvailable in bytes from /proc/meminfo, or null.</summary>
    public static long? ReadMemAvailable(string path = "/proc/meminfo")
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    continue;
                }

                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
                {
                    return kib * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }
}
