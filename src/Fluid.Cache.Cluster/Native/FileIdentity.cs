using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Cache.Cluster.Native;

/// <summary>
/// Device and inode of a file (statx). A client trusts a worker's blob path only when the file it
/// opens there has the device and inode the worker reported: the same file, not just the same name.
/// </summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, long Size)
{
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;

    public static bool TryGet(string path, out FileIdentity identity)
    {
        identity = default;
        if (LinuxFiles.Statx(AtFdCwd, path, 0, StatxBasicStats, out var buffer) != 0)
        {
            return false;
        }

        identity = From(buffer);
        return true;
    }

    public static bool TryGet(SafeFileHandle handle, out FileIdentity identity)
    {
        identity = default;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (LinuxFiles.Statx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, StatxBasicStats, out var buffer) != 0)
            {
                return false;
            }

            identity = From(buffer);
            return true;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static FileIdentity From(in StatxBuffer buffer) =>
        new(((ulong)buffer.DevMajor << 32) | buffer.DevMinor, buffer.Inode, (long)buffer.Size);
}

/// <summary>The libc calls the cluster needs that .NET does not expose.</summary>
internal static partial class LinuxFiles
{
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirFd, string path, int flags, uint mask, out StatxBuffer buffer);
}

/// <summary>The fields of <c>struct statx</c> we read (its layout is the same on every Linux architecture).</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct StatxBuffer
{
    [FieldOffset(32)]
    public ulong Inode;

    [FieldOffset(40)]
    public ulong Size;

    [FieldOffset(136)]
    public uint DevMajor;

    [FieldOffset(140)]
    public uint DevMinor;
}
