using System.Runtime.InteropServices;

namespace Fluid.Engine.Hosting;

/// <summary>
/// Finds and detaches a fluid FUSE mount whose server process is gone (it answers ENOTCONN). Used for
/// the mount point a killed engine recorded in its state file; a mount at the new mount point is
/// cleared by the FUSE layer itself when it mounts there.
/// </summary>
internal static partial class StaleMounts
{
    private const int Enotconn = 107;
    private const int MntDetach = 2;

    /// <summary>True when a dead fluid FUSE mount sat at <paramref name="mountPoint"/> and was detached.</summary>
    public static bool TryClear(string mountPoint)
    {
        if (!IsFluidMount(mountPoint))
        {
            return false;
        }

        // access(2) on a mount whose server died fails at once with ENOTCONN; a live server would answer.
        var probe = Task.Run(() => Access(mountPoint, 0) == 0 ? 0 : Marshal.GetLastPInvokeError());
        if (!probe.Wait(TimeSpan.FromSeconds(2)) || probe.Result != Enotconn)
        {
            return false;
        }

        return Umount2(mountPoint, MntDetach) == 0;
    }

    /// <summary>True when /proc/self/mountinfo lists a mount at <paramref name="mountPoint"/>.</summary>
    public static bool IsMountPoint(string mountPoint) => IsMounted(mountPoint, null);

    private static bool IsFluidMount(string mountPoint) => IsMounted(mountPoint, "fuse.fluid");

    private static bool IsMounted(string mountPoint, string? fileSystemType)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                // id parent major:minor root mount-point options ... - fstype source super-options
                var fields = line.Split(' ');
                var dash = Array.IndexOf(fields, "-");
                if (fields.Length > 4 && dash > 4 && dash + 1 < fields.Length &&
                    Unescape(fields[4]) == mountPoint && (fileSystemType is null || fields[dash + 1] == fileSystemType))
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
        }

        return false;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string value) => value
        .Replace("\\040", " ", StringComparison.Ordinal)
        .Replace("\\011", "\t", StringComparison.Ordinal)
        .Replace("\\012", "\n", StringComparison.Ordinal)
        .Replace("\\134", "\\", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}
