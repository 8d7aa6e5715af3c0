using System.Security.Cryptography;
using Fluid.Fuse.Mounting;

namespace Fluid.Fuse.Tests.Support;

/// <summary>A unique temporary directory with a source tree and an empty mount point; removed on dispose.</summary>
public sealed class TestTree : IDisposable
{
    public const string Prefix = "fluid-fuse-tests-";

    private static int _cleaned;

    public TestTree(bool populate = true)
    {
        ClearLeftovers();
        Root = Path.Combine(Path.GetTempPath(), Prefix + Guid.NewGuid().ToString("N")[..12]);
        Source = Path.Combine(Root, "src");
        MountPoint = Path.Combine(Root, "mnt");
        Directory.CreateDirectory(Source);
        Directory.CreateDirectory(MountPoint);
        if (populate)
        {
            Populate(Source);
        }
    }

    public string Root { get; }

    public string Source { get; }

    public string MountPoint { get; }

    /// <summary>Relative paths of every regular file in the source.</summary>
    public IReadOnlyList<string> Files => Directory.EnumerateFiles(Source, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
        .Select(f => Path.GetRelativePath(Source, f)).Order(StringComparer.Ordinal).ToList();

    public string SourcePath(string relative) => Path.Combine(Source, relative);

    public string MountPath(string relative) => Path.Combine(MountPoint, relative);

    public void WriteFile(string relative, byte[] content)
    {
        var path = SourcePath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public void Dispose()
    {
        // Never delete through a mount: only remove the tree once nothing is mounted under it.
        if (MountTable.Read().Any(m => m.MountPoint.StartsWith(Root, StringComparison.Ordinal)))
        {
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Sizes around page and request boundaries, empty files, nested directories.</summary>
    private static void Populate(string source)
    {
        var sizes = new[] { 0, 1, 4095, 4096, 4097, 100 * 1024, 1024 * 1024 + 123, 3 * 1024 * 1024 + 7 };
        File.WriteAllText(Path.Combine(source, "hello.txt"), "hello, fluid\n");
        var seed = 1;
        foreach (var dir in new[] { "train", "train/class-a", "train/class-b", "val", "empty-dir" })
        {
            Directory.CreateDirectory(Path.Combine(source, dir));
        }

        for (var i = 0; i < sizes.Length; i++)
        {
            var dir = i == sizes.Length - 1 ? "val" : i % 3 == 0 ? "train/class-a" : i % 3 == 1 ? "train/class-b" : "val";
            File.WriteAllBytes(Path.Combine(source, dir, $"sample-{i:D2}.bin"), RandomBytes(sizes[i], seed++));
        }

        File.WriteAllBytes(Path.Combine(source, "name with spaces.dat"), RandomBytes(5000, seed++));
        File.WriteAllBytes(Path.Combine(source, "ünïcødé-名前.bin"), RandomBytes(777, seed));
    }

    /// <summary>Detaches dead mounts left under the temp directory by an earlier test run that was killed.</summary>
    private static void ClearLeftovers()
    {
        if (Interlocked.Exchange(ref _cleaned, 1) != 0)
        {
            return;
        }

        var temp = Path.GetTempPath();
        foreach (var mount in MountTable.Read().Where(m => m.FileSystemType == FuseMounter.FileSystemType && m.MountPoint.StartsWith(Path.Combine(temp, Prefix), StringComparison.Ordinal)))
        {
            try
            {
                if (Directory.Exists(mount.MountPoint))
                {
                    continue; // alive (another test process): leave it alone
                }
            }
            catch (IOException)
            {
            }

            Fluid.Testing.Shell.Run($"umount -l '{mount.MountPoint}'", TimeSpan.FromSeconds(10));
        }
    }
}
