using System.Runtime.InteropServices;

namespace Fluid.Fuse.Protocol;

#pragma warning disable CA1051 // wire structs mirror the kernel's C layout field by field

/// <summary>Constants of the kernel FUSE protocol that this file system uses.</summary>
internal static class FuseConstants
{
    public const uint KernelVersion = 7;

    /// <summary>7.40 adds passthrough (backing_id, max_stack_depth); everything we use exists there.</summary>
    public const uint KernelMinorVersion = 40;

    public const ulong RootId = 1;

    // INIT flags (bits 32..63 travel in flags2).
    public const ulong AsyncRead = 1UL << 0;
    public const ulong BigWrites = 1UL << 5;
    public const ulong AutoInvalData = 1UL << 12;
    public const ulong DoReaddirplus = 1UL << 13;
    public const ulong ReaddirplusAuto = 1UL << 14;
    public const ulong AsyncDio = 1UL << 15;
    public const ulong NoOpenSupport = 1UL << 17;
    public const ulong ParallelDirops = 1UL << 18;
    public const ulong AbortError = 1UL << 21;
    public const ulong MaxPages = 1UL << 22;
    public const ulong NoOpendirSupport = 1UL << 24;
    public const ulong InitExt = 1UL << 30;
    public const ulong Passthrough = 1UL << 37;
    public const ulong NoExportSupport = 1UL << 38;

    // fuse_open_out.open_flags
    public const uint FOpenDirectIo = 1 << 0;
    public const uint FOpenKeepCache = 1 << 1;
    public const uint FOpenCacheDir = 1 << 3;
    public const uint FOpenNoFlush = 1 << 5;
    public const uint FOpenPassthrough = 1 << 7;

    // open(2) flags as the kernel forwards them.
    public const uint OAccMode = 3;
    public const uint ORdOnly = 0;
    public const uint OTrunc = 0x200;

    // access(2) mask
    public const uint WOk = 2;

    // dirent types
    public const uint DtDir = 4;
    public const uint DtReg = 8;

    public const uint SIfDir = 0x4000;
    public const uint SIfReg = 0x8000;

    /// <summary>Buffers must hold at least this much besides max_write (kernel FUSE_MIN_READ_BUFFER).</summary>
    public const int MinReadBuffer = 8192;

    public const int InHeaderSize = 40;
    public const int OutHeaderSize = 16;
    public const int DirentHeaderSize = 24;
    public const int EntryOutSize = 128;
    public const int AttrOutSize = 104;
    public const int OpenOutSize = 16;

    public static int Align8(int size) => (size + 7) & ~7;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseInHeader
{
    public uint Len;
    public uint Opcode;
    public ulong Unique;
    public ulong NodeId;
    public uint Uid;
    public uint Gid;
    public uint Pid;
    public ushort TotalExtLen;
    public ushort Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseOutHeader
{
    public uint Len;
    public int Error;
    public ulong Unique;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseAttr
{
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public ulong ATime;
    public ulong MTime;
    public ulong CTime;
    public uint ATimeNsec;
    public uint MTimeNsec;
    public uint CTimeNsec;
    public uint Mode;
    public uint NLink;
    public uint Uid;
    public uint Gid;
    public uint RDev;
    public uint BlkSize;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseEntryOut
{
    public ulong NodeId;
    public ulong Generation;
    public ulong EntryValid;
    public ulong AttrValid;
    public uint EntryValidNsec;
    public uint AttrValidNsec;
    public FuseAttr Attr;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseAttrOut
{
    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Dummy;
    public FuseAttr Attr;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseInitIn
{
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public uint Flags2;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FuseInitOut
{
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public ushort MaxBackground;
    public ushort CongestionThreshold;
    public uint MaxWrite;
    public uint TimeGran;
    public ushort MaxPages;
    public ushort MapAlignment;
    public uint Flags2;
    public uint MaxStackDepth;
    public fixed uint Unused[6];
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseOpenIn
{
    public uint Flags;
    public uint OpenFlags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseOpenOut
{
    public ulong Fh;
    public uint OpenFlags;
    public int BackingId;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseReleaseIn
{
    public ulong Fh;
    public uint Flags;
    public uint ReleaseFlags;
    public ulong LockOwner;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseReadIn
{
    public ulong Fh;
    public ulong Offset;
    public uint Size;
    public uint ReadFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseForgetIn
{
    public ulong NLookup;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseForgetOne
{
    public ulong NodeId;
    public ulong NLookup;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseBatchForgetIn
{
    public uint Count;
    public uint Dummy;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseInterruptIn
{
    public ulong Unique;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseAccessIn
{
    public uint Mask;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseGetXAttrIn
{
    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseGetXAttrOut
{
    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FuseKStatFs
{
    public ulong Blocks;
    public ulong BFree;
    public ulong BAvail;
    public ulong Files;
    public ulong FFree;
    public uint BSize;
    public uint NameLen;
    public uint FrSize;
    public uint Padding;
    public fixed uint Spare[6];
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseDirent
{
    public ulong Ino;
    public ulong Off;
    public uint NameLen;
    public uint Type;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseNotifyInvalInodeOut
{
    public ulong Ino;
    public long Off;
    public long Len;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseNotifyInvalEntryOut
{
    public ulong Parent;
    public uint NameLen;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct FuseBackingMap
{
    public int Fd;
    public uint Flags;
    public ulong Padding;
}

#pragma warning restore CA1051
