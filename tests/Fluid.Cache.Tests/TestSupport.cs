using Fluid.Cache.Tests.Sources;

namespace Fluid.Cache.Tests;

/// <summary>A unique temporary directory, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fluid-cache-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class TestData
{
    public const int Page = 4096;

    public static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static CacheOptions MemOnly(long quota = 64 * Page, int pageSize = Page) => new()
    {
        PageSize = pageSize,
        ReadaheadBytes = 0,
        Tiers = [new TierOptions { Medium = MediumType.Mem, Quota = quota }],
    };

    public static CacheOptions WithDisk(string dir, long memQuota = 16 * Page, long diskQuota = 256 * Page, int pageSize = Page)
    {
        var tiers = new List<TierOptions>();
        if (memQuota > 0)
        {
            tiers.Add(new TierOptions { Medium = MediumType.Mem, Quota = memQuota });
        }

        tiers.Add(new TierOptions { Medium = MediumType.Ssd, Directories = [new TierDirectory(dir, diskQuota)] });
        return new CacheOptions { PageSize = pageSize, ReadaheadBytes = 0, Tiers = tiers };
    }

    public static Task<DatasetCache> OpenAsync(CacheOptions options, MemoryUnderFileSystem source, string mount = "data") =>
        DatasetCache.OpenAsync(options, [new DatasetMount(mount, source)]);

    public static async Task<byte[]> ReadAllAsync(DatasetCache cache, string path, int chunk = 3000)
    {
        var entry = await cache.StatAsync(path, CancellationToken.None) ?? throw new FileNotFoundException(path);
        var result = new byte[entry.Length];
        long offset = 0;
        while (offset < result.Length)
        {
            var n = await cache.ReadAsync(entry, offset, result.AsMemory((int)offset, (int)Math.Min(chunk, result.Length - offset)), CancellationToken.None);
            Assert.True(n > 0, $"read of {path} at {offset} returned {n}");
            offset += n;
        }

        return result;
    }
}
