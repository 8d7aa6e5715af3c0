using System.Runtime.InteropServices;
using System.Text;

namespace Fluid.Operator.Csi;

/// <summary>One line of /proc/self/mountinfo: the mount point, the device and root it shows, and its per-mount options.</summary>
/// <param name="MountPoint">Where the mount is attached (unescaped).</param>
/// <param name="Device">major:minor of the file system.</param>
/// <param name="Root">The directory of the file system that is shown at the mount point (a bind of a subtree has a non-/ root).</param>
/// <param name="Options">Per-mount options, such as <c>ro</c> or <c>rw</c>.</param>
public sealed record MountEntry(string MountPoint, string Device, string Root, IReadOnlyList<string> Options)
{
    public bool ReadOnly => Options.Contains("ro");
}

/// <summary>Reads the mount table and binds and unmounts directories with the mount(2) and umount2(2) system calls.</summary>
public static partial class Mounts
{
    private const ulong MsRdonly = 1;
    private const ulong MsRemount = 32;
    private const ulong MsBind = 4096;
    private const int MntDetach = 2;

    /// <summary>The topmost mount at <paramref name="path"/> (the last listed wins when mounts are stacked), or null.</summary>
    public static MountEntry? Find(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        MountEntry? found = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 5 && Unescape(fields[4]) == path)
            {
                found = new MountEntry(path, fields[2], Unescape(fields[3]), fields[5].Split(','));
            }
        }

        return found;
    }

    /// <summary>
    /// Binds <paramref name="source"/> onto <paramref name="target"/>, then, for a read-only bind, remounts the bind
    /// read-only (the kernel ignores MS_RDONLY on the bind call itself).
    /// </summary>
    public static void Bind(string source, string target, bool readOnly)
    {
        if (Mount(source, target, null, MsBind, 0) != 0)
        {
            throw new MountException($"mount --bind {source} {target}", Marshal.GetLastPInvokeError());
        }

        if (readOnly && Mount(null, target, null, MsBind | MsRemount | MsRdonly, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // Never leave a writable bind behind a read-only request.
            _ = Umount2(target, MntDetach);
            throw new MountException($"remount {target} read-only", errno);
        }
    }

    /// <summary>Unmounts <paramref name="target"/>; returns the errno (0 on success).</summary>
    public static int Unmount(string target, bool lazy) => Umount2(target, lazy ? MntDetach : 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>The canonical path of an existing <paramref name="path"/> (symlinks and <c>..</c> resolved), or null with its errno.</summary>
    public static string? RealPath(string path, out int errno)
    {
        var resolved = Realpath(path, 0);
        if (resolved == 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        try
        {
            errno = 0;
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>The C library's text for <paramref name="errno"/>, with its number.</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var text = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                text.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }

        return text.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 2 < s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string? source, string target, string? fileSystemType, ulong flags, nint data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint Realpath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);
}

/// <summary>A mount or unmount system call failed.</summary>
public sealed class MountException(string operation, int errno) : IOException($"{operation}: {Mounts.Describe(errno)}")
{
    public int Errno { get; } = errno;
}
