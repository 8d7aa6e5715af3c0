using System.Runtime.InteropServices;

namespace Fluid.Fuse.Native;

/// <summary>The libc and syscall entry points the FUSE session, mounting and the directory backend need.</summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int ORdOnly = 0;
    public const int ORdWr = 2;
    public const int OCloExec = 0x80000;
    public const int OPath = 0x200000;

    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int EBUSY = 16;
    public const int ECONNABORTED = 103;
    public const int ENOTCONN = 107;

    public const ulong MsRdOnly = 1;
    public const ulong MsNoSuid = 2;
    public const ulong MsNoDev = 4;
    public const int MntDetach = 2;

    public const int AtEmptyPath = 0x1000;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtStatxForceSync = 0x2000;
    public const uint StatxBasicStats = 0x7ff;

    public const ulong ResolveNoMagicLinks = 0x02;
    public const ulong ResolveBeneath = 0x08;

    // _IOR(229, 0, uint32_t), _IOW(229, 1, struct fuse_backing_map), _IOW(229, 2, uint32_t)
    public const ulong FuseDevIocClone = 0x8004E500;
    public const ulong FuseDevIocBackingOpen = 0x4010E501;
    public const ulong FuseDevIocBackingClose = 0x4004E502;

    public static bool IsArm64 => RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    /// <summary>O_DIRECTORY differs between x86-64 and arm64.</summary>
    public static int ODirectory => IsArm64 ? 0x4000 : 0x10000;

    /// <summary>openat2(2) has the same number on every architecture (added after the table unification).</summary>
    public const long SysOpenAt2 = 437;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "writev", SetLastError = true)]
    public static partial nint WriteV(int fd, IoVec* iov, int count);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoCtl(int fd, ulong request, void* argument);

    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport(Lib, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long a1, long a2, long a3, long a4);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirFd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true)]
    public static partial int Statx(int dirFd, byte* path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(Lib, EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint GetDents64(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "fstatvfs", SetLastError = true)]
    public static partial int FStatVfs(int fd, StatVfsBuffer* buffer);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    [LibraryImport(Lib, EntryPoint = "getegid")]
    public static partial uint GetEGid();

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>openat2 with a resolve mask; returns the fd or -errno.</summary>
    public static int OpenAt2(int dirFd, byte* path, ulong flags, ulong resolve)
    {
        var how = new OpenHow { Flags = flags, Mode = 0, Resolve = resolve };
        var result = Syscall(SysOpenAt2, dirFd, (long)path, (long)&how, sizeof(OpenHow));
        return result < 0 ? -Marshal.GetLastPInvokeError() : (int)result;
    }

    public static string ErrorText(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}

[StructLayout(LayoutKind.Sequential)]
internal struct IoVec
{
    public nint Base;
    public nint Length;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLen;
    public IoVec* Iov;
    public nint IovLen;
    public void* Control;
    public nint ControlLen;
    public int Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct OpenHow
{
    public ulong Flags;
    public ulong Mode;
    public ulong Resolve;
}

[StructLayout(LayoutKind.Sequential)]
internal struct StatxTimestamp
{
    public long Seconds;
    public uint Nanoseconds;
    public int Reserved;
}

/// <summary>struct statx (256 bytes, identical on every architecture).</summary>
[StructLayout(LayoutKind.Sequential, Size = 256)]
internal struct StatxBuffer
{
    public uint Mask;
    public uint BlkSize;
    public ulong Attributes;
    public uint NLink;
    public uint Uid;
    public uint Gid;
    public ushort Mode;
    public ushort Spare0;
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public ulong AttributesMask;
    public StatxTimestamp ATime;
    public StatxTimestamp BTime;
    public StatxTimestamp CTime;
    public StatxTimestamp MTime;
    public uint RDevMajor;
    public uint RDevMinor;
    public uint DevMajor;
    public uint DevMinor;
}

/// <summary>struct statvfs on 64-bit Linux.</summary>
[StructLayout(LayoutKind.Sequential, Size = 112)]
internal struct StatVfsBuffer
{
    public ulong BSize;
    public ulong FrSize;
    public ulong Blocks;
    public ulong BFree;
    public ulong BAvail;
    public ulong Files;
    public ulong FFree;
    public ulong FAvail;
    public ulong FsId;
    public ulong Flag;
    public ulong NameMax;
}
