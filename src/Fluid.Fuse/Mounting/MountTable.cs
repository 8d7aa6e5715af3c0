using System.Text;

namespace Fluid.Fuse.Mounting;

/// <summary>One line of /proc/self/mountinfo.</summary>
/// <param name="MountPoint">Where it is mounted (octal escapes decoded).</param>
/// <param name="Device">"major:minor" of the mounted file system (names its bdi under /sys/class/bdi).</param>
/// <param name="FileSystemType">e.g. "fuse.fluid", "ext4".</param>
/// <param name="Source">The mount source ("fluid" for ours).</param>
internal sealed record MountEntry(string MountPoint, string Device, string FileSystemType, string Source);

/// <summary>Reads the kernel's mount table.</summary>
internal static class MountTable
{
    public static IReadOnlyList<MountEntry> Read(string path = "/proc/self/mountinfo")
    {
        var entries = new List<MountEntry>();
        foreach (var line in File.ReadLines(path))
        {
            if (Parse(line) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>Mounts stacked at <paramref name="mountPoint"/>, the topmost last.</summary>
    public static IReadOnlyList<MountEntry> At(string mountPoint) =>
        Read().Where(e => string.Equals(e.MountPoint, mountPoint, StringComparison.Ordinal)).ToList();

    /// <summary>
    /// Parses "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
    /// fields 3 and 5 are the device and mount point; after the "-" come type and source.
    /// </summary>
    internal static MountEntry? Parse(string line)
    {
        var fields = line.Split(' ');
        var separator = Array.IndexOf(fields, "-");
        if (fields.Length < 7 || separator < 6 || separator + 2 >= fields.Length)
        {
            return null;
        }

        return new MountEntry(Unescape(fields[4]), fields[2], Unescape(fields[separator + 1]), Unescape(fields[separator + 2]));
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \040, \011, \012 and \134.</summary>
    internal static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 3 < value.Length && IsOctal(value[i + 1]) && IsOctal(value[i + 2]) && IsOctal(value[i + 3]))
            {
                bytes.Add((byte)(((value[i + 1] - '0') << 6) | ((value[i + 2] - '0') << 3) | (value[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
