using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Storage.Local;

/// <summary>
/// The few libc calls the local connector needs and .NET does not expose: statx (nanosecond mtime
/// and inode for file versions) and realpath (resolving every symlink and ".." before the root check).
/// </summary>
internal static unsafe partial class LinuxNative
{
    public const int ENOENT = 2;
    public const int EIO = 5;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;
    public const int ENAMETOOLONG = 36;
    public const int ELOOP = 40;
    public const int ESTALE = 116;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int PathMax = 4096;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int dirFd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial byte* RealPathNative(string path, byte* resolved);

    /// <summary>lstat-like statx of a path (symlinks are not followed); returns 0 or an errno.</summary>
    public static int StatNoFollow(string path, out StatxBuffer buffer) =>
        StatxNative(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out buffer) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>fstat-like statx of an open handle; returns 0 or an errno.</summary>
    public static int StatHandle(SafeFileHandle handle, out StatxBuffer buffer)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            return StatxNative(fd, string.Empty, AtEmptyPath | AtSymlinkNoFollow, StatxBasicStats, out buffer) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Resolves every symlink, "." and ".." in <paramref name="path"/>; returns 0 or an errno.</summary>
    public static int RealPath(string path, out string resolved)
    {
        var buffer = stackalloc byte[PathMax + 1];
        var result = RealPathNative(path, buffer);
        if (result is null)
        {
            resolved = string.Empty;
            return Marshal.GetLastPInvokeError();
        }

        resolved = Marshal.PtrToStringUTF8((nint)buffer) ?? string.Empty;
        return 0;
    }

    /// <summary>The message for an errno ("No such file or directory").</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>The fields of <c>struct statx</c> (fixed layout on every Linux architecture) that we read.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(32)]
        public ulong Inode;

        [FieldOffset(40)]
        public ulong Size;

        [FieldOffset(112)]
        public long MtimeSeconds;

        [FieldOffset(120)]
        public uint MtimeNanoseconds;

        private const ushort TypeMask = 0xF000;

        public readonly bool IsDirectory => (Mode & TypeMask) == 0x4000;

        public readonly bool IsRegularFile => (Mode & TypeMask) == 0x8000;

        public readonly bool IsSymlink => (Mode & TypeMask) == 0xA000;
    }
}
