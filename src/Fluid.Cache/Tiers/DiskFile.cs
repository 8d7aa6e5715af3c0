using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Fluid.Cache.Pages;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Cache.Tiers;

/// <summary>
/// One file version in one disk store: a sparse blob the size of the source file with each cached
/// page at its natural offset (so a fully cached file is a plain copy of the source), and a sidecar
/// holding a header and one 16-byte record per page (checksum, length, present flag).
/// A record is written only after its page bytes, so a crash leaves at worst a record whose
/// checksum does not match, which recovery discards.
/// </summary>
internal sealed partial class DiskFile
{
    public const int RecordSize = 16;
    private const ulong Magic = 0x3154454D47504C46; // "FLPGMET1"
    private const int FormatVersion = 1;
    private const int FallocKeepSize = 1;
    private const int FallocPunchHole = 2;
    private readonly Lock _gate = new();
    private SafeFileHandle? _blob;
    private SafeFileHandle? _meta;
    private bool _holdsBudget;
    private bool _created;

    public DiskFile(DiskStore store, CachedFile file)
    {
        Store = store;
        File = file;
        var name = BlobName(file.MountName, file.Source.Path, file.Source.Version);
        var dir = Path.Combine(store.Root, name[..2]);
        BlobPath = Path.Combine(dir, name + ".blob");
        MetaPath = Path.Combine(dir, name + ".meta");
    }

    public DiskStore Store { get; }

    public CachedFile File { get; }

    public string BlobPath { get; }

    public string MetaPath { get; }

    /// <summary>Pages present in this blob; guarded by the cache lock.</summary>
    public int Pages;

    /// <summary>Space reserved for pages being written; guarded by the cache lock.</summary>
    public int Pending;

    /// <summary>Open local-file leases; while non-zero no page of this blob is evicted.</summary>
    public int Leases;

    public long RecordsOffset { get; private set; }

    public static string BlobName(string mount, string path, string version)
    {
        var key = Encoding.UTF8.GetBytes(mount + "\0" + path + "\0" + version);
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(key, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>Marks a blob found on disk at start-up as existing, with its records at <paramref name="recordsOffset"/>.</summary>
    public void AdoptExisting(long recordsOffset)
    {
        RecordsOffset = recordsOffset;
        _created = true;
    }

    public void WritePage(int index, ReadOnlySpan<byte> data, ulong checksum, bool fsync)
    {
        EnsureCreated();
        using (var blob = UseBlob())
        {
            RandomAccess.Write(blob.Handle, data, (long)index * Store.PageSize);
            if (fsync)
            {
                RandomAccess.FlushToDisk(blob.Handle);
            }
        }

        Span<byte> record = stackalloc byte[RecordSize];
        BinaryPrimitives.WriteUInt64LittleEndian(record, checksum);
        BinaryPrimitives.WriteInt32LittleEndian(record[8..], data.Length);
        BinaryPrimitives.WriteInt32LittleEndian(record[12..], 1);
        using var meta = UseMeta();
        RandomAccess.Write(meta.Handle, record, RecordsOffset + ((long)index * RecordSize));
        if (fsync)
        {
            RandomAccess.FlushToDisk(meta.Handle);
        }
    }

    /// <summary>Reads part of a page; true when <paramref name="destination"/> was filled.</summary>
    public bool ReadPage(int index, int offsetInPage, Span<byte> destination)
    {
        using var blob = UseBlob();
        var read = RandomAccess.Read(blob.Handle, destination, ((long)index * Store.PageSize) + offsetInPage);
        return read == destination.Length;
    }

    /// <summary>Forgets a page: its record first (so a crash never revives it), then its bytes.</summary>
    public void ClearPage(int index, int length)
    {
        Span<byte> zero = stackalloc byte[RecordSize];
        zero.Clear();
        using (var meta = UseMeta())
        {
            RandomAccess.Write(meta.Handle, zero, RecordsOffset + ((long)index * RecordSize));
        }

        using var blob = UseBlob();
        PunchHole(blob.Handle, (long)index * Store.PageSize, DiskStore.Accounted(length));
    }

    public void Delete()
    {
        lock (_gate)
        {
            CloseHandles();
            TryDelete(MetaPath);
            TryDelete(BlobPath);
            _created = false;
        }
    }

    public void CloseHandles()
    {
        lock (_gate)
        {
            _blob?.Dispose();
            _meta?.Dispose();
            _blob = _meta = null;
            if (_holdsBudget)
            {
                _holdsBudget = false;
                Store.ReturnHandleBudget();
            }
        }
    }

    /// <summary>Builds a sidecar header: identity, layout and a checksum of both.</summary>
    public static byte[] BuildHeader(int pageSize, CachedFile file, out long recordsOffset)
    {
        var mount = Encoding.UTF8.GetBytes(file.MountName);
        var path = Encoding.UTF8.GetBytes(file.Source.Path);
        var version = Encoding.UTF8.GetBytes(file.Source.Version);
        var length = 8 + 4 + 4 + 8 + 8 + 12 + mount.Length + path.Length + version.Length + 8;
        recordsOffset = (length + RecordSize - 1) / RecordSize * RecordSize;
        var header = new byte[recordsOffset];
        var span = header.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], pageSize);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], file.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], file.Source.LastModified.UtcTicks);
        var at = 32;
        foreach (var part in (ReadOnlySpan<byte[]>)[mount, path, version])
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], part.Length);
            part.CopyTo(span[(at + 4)..]);
            at += 4 + part.Length;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(span[at..], XxHash3.HashToUInt64(span[..at]));
        return header;
    }

    /// <summary>Parses a sidecar header; null when it is not a complete, intact header of this format.</summary>
    public static SidecarHeader? ParseHeader(ReadOnlySpan<byte> data)
    {
        try
        {
            if (data.Length < 56 || BinaryPrimitives.ReadUInt64LittleEndian(data) != Magic
                || BinaryPrimitives.ReadInt32LittleEndian(data[8..]) != FormatVersion)
            {
                return null;
            }

            var pageSize = BinaryPrimitives.ReadInt32LittleEndian(data[12..]);
            var fileLength = BinaryPrimitives.ReadInt64LittleEndian(data[16..]);
            var ticks = BinaryPrimitives.ReadInt64LittleEndian(data[24..]);
            var at = 32;
            var parts = new string[3];
            for (var i = 0; i < 3; i++)
            {
                var len = BinaryPrimitives.ReadInt32LittleEndian(data[at..]);
                if (len < 0 || at + 4 + len > data.Length)
                {
                    return null;
                }

                parts[i] = Encoding.UTF8.GetString(data.Slice(at + 4, len));
                at += 4 + len;
            }

            if (at + 8 > data.Length || BinaryPrimitives.ReadUInt64LittleEndian(data[at..]) != XxHash3.HashToUInt64(data[..at]))
            {
                return null;
            }

            var recordsOffset = (at + 8 + RecordSize - 1) / RecordSize * RecordSize;
            return new SidecarHeader(pageSize, fileLength, new DateTimeOffset(ticks, TimeSpan.Zero), parts[0], parts[1], parts[2], recordsOffset);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private void EnsureCreated()
    {
        if (Volatile.Read(ref _created))
        {
            return;
        }

        lock (_gate)
        {
            if (_created)
            {
                return;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(BlobPath)!);
            using (var blob = System.IO.File.OpenHandle(BlobPath, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
            {
                RandomAccess.SetLength(blob, File.Length);
            }

            var header = BuildHeader(Store.PageSize, File, out var recordsOffset);
            var temp = MetaPath + ".tmp";
            using (var meta = System.IO.File.OpenHandle(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
            {
                RandomAccess.Write(meta, header, 0);
                RandomAccess.SetLength(meta, recordsOffset + ((long)File.PageCount * RecordSize));
            }

            System.IO.File.Move(temp, MetaPath, overwrite: true);
            RecordsOffset = recordsOffset;
            Volatile.Write(ref _created, true);
        }
    }

    private HandleUse UseBlob() => Use(ref _blob, BlobPath);

    private HandleUse UseMeta() => Use(ref _meta, MetaPath);

    private HandleUse Use(ref SafeFileHandle? cached, string path)
    {
        var handle = Volatile.Read(ref cached);
        if (handle is not null)
        {
            return new HandleUse(handle, owned: false);
        }

        lock (_gate)
        {
            if (cached is not null)
            {
                return new HandleUse(cached, owned: false);
            }

            var opened = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            if (_holdsBudget || Store.TryTakeHandleBudget())
            {
                _holdsBudget = true;
                cached = opened;
                return new HandleUse(opened, owned: false);
            }

            // Past the open-file budget (datasets have millions of files): open per operation.
            return new HandleUse(opened, owned: true);
        }
    }

    private static void PunchHole(SafeFileHandle handle, long offset, long length)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            // A file system without hole punching keeps the bytes; the quota still counts the page as gone.
            _ = Fallocate((int)handle.DangerousGetHandle(), FallocPunchHole | FallocKeepSize, offset, length);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            System.IO.File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(int fd, int mode, long offset, long length);

    private readonly struct HandleUse(SafeFileHandle handle, bool owned) : IDisposable
    {
        public SafeFileHandle Handle { get; } = handle;

        public void Dispose()
        {
            if (owned)
            {
                Handle.Dispose();
            }
        }
    }
}

/// <summary>The identity and layout read back from a sidecar header.</summary>
internal sealed record SidecarHeader(int PageSize, long FileLength, DateTimeOffset LastModified, string Mount, string Path, string Version, long RecordsOffset);
