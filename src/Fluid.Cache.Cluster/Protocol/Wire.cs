using System.Buffers.Binary;
using System.Text;
using Fluid.Storage;

namespace Fluid.Cache.Cluster.Protocol;

/// <summary>Operations of the data port.</summary>
internal enum Opcode : byte
{
    /// <summary>Who are you: worker id, node, dataset, page size.</summary>
    Ping = 1,

    /// <summary>Bytes of one file version (a page), read through the worker's cache.</summary>
    Read = 2,

    /// <summary>Keep a fully cached file whole and tell where its local blob is (short-circuit).</summary>
    Lease = 3,

    /// <summary>Extend leases.</summary>
    Renew = 4,

    /// <summary>Give a lease back.</summary>
    Release = 5,
}

/// <summary>Answer codes of the data port (the binary protocol's HTTP status).</summary>
internal enum WireStatus : byte
{
    Ok = 0,
    Unauthorized = 1,
    BadRequest = 2,
    NotFound = 3,
    VersionMismatch = 4,

    /// <summary>The worker could not read its source (unavailable, timed out, denied).</summary>
    SourceFailed = 5,

    /// <summary>The file is not fully cached on the worker's disk (no lease).</summary>
    NotCached = 6,
    ShuttingDown = 7,
    UnknownLease = 8,
    InternalError = 9,
}

/// <summary>Request flags.</summary>
[Flags]
internal enum RequestFlags : byte
{
    None = 0,

    /// <summary>The client runs on the worker's node: say whether the file is fully cached on disk.</summary>
    WantLocalHint = 1,
}

/// <summary>Response flags.</summary>
[Flags]
internal enum ResponseFlags : byte
{
    None = 0,

    /// <summary>Every page of the file is in one local blob of the worker (a lease would succeed).</summary>
    FullyCachedOnDisk = 1,
}

/// <summary>
/// Frame layout of the data port (little endian). Request: magic, opcode, flags, 2 reserved bytes,
/// body length (u32), 4 reserved bytes, 32-byte credential, body. Response: magic, status, flags,
/// 2 reserved bytes, payload length (u32), 4 reserved bytes, payload. One request at a time per connection.
/// </summary>
internal static class Wire
{
    public const uint Magic = 0x31434C46; // "FLC1"
    public const int CredentialSize = 32;
    public const int RequestHeaderSize = 16 + CredentialSize;
    public const int ResponseHeaderSize = 16;
    public const int MaxRequestBody = 64 * 1024;
    public const int MaxErrorPayload = 64 * 1024;

    /// <summary>The largest READ: the largest page size a cache accepts.</summary>
    public const int MaxReadCount = 64 << 20;

    public static void WriteRequestHeader(Span<byte> destination, Opcode opcode, RequestFlags flags, int bodyLength, ReadOnlySpan<byte> credential)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        destination[4] = (byte)opcode;
        destination[5] = (byte)flags;
        destination[6] = 0;
        destination[7] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], bodyLength);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], 0);
        destination.Slice(16, CredentialSize).Clear();
        credential[..Math.Min(credential.Length, CredentialSize)].CopyTo(destination[16..]);
    }

    public static void WriteResponseHeader(Span<byte> destination, WireStatus status, ResponseFlags flags, int payloadLength)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        destination[4] = (byte)status;
        destination[5] = (byte)flags;
        destination[6] = 0;
        destination[7] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], payloadLength);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], 0);
    }
}

/// <summary>A file version as it travels: mount, path, version, length and modification time.</summary>
internal readonly record struct WireFile(string Mount, UfsEntry File)
{
    public int EncodedLength => 16 + 6 + Encoding.UTF8.GetByteCount(Mount) + Encoding.UTF8.GetByteCount(File.Path) + Encoding.UTF8.GetByteCount(File.Version);

    public void Write(ref WireWriter writer)
    {
        writer.Int64(File.Length);
        writer.Int64(File.LastModified.UtcTicks);
        writer.String(Mount);
        writer.String(File.Path);
        writer.String(File.Version);
    }

    public static WireFile Read(ref WireReader reader)
    {
        var length = reader.Int64();
        var ticks = reader.Int64();
        var mount = reader.String();
        var path = reader.String();
        var version = reader.String();
        if (length < 0 || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw new FormatException("file length or time out of range");
        }

        return new WireFile(mount, new UfsEntry(path, false, length, new DateTimeOffset(ticks, TimeSpan.Zero), version));
    }
}

/// <summary>Writes little-endian fields and u16-prefixed UTF-8 strings into a span.</summary>
internal ref struct WireWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;

    public int Position { get; private set; }

    public void Int64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_destination[Position..], value);
        Position += 8;
    }

    public void UInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_destination[Position..], value);
        Position += 8;
    }

    public void Int32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_destination[Position..], value);
        Position += 4;
    }

    public void Byte(byte value)
    {
        _destination[Position] = value;
        Position += 1;
    }

    public void String(string value)
    {
        var length = Encoding.UTF8.GetBytes(value, _destination[(Position + 2)..]);
        if (length > ushort.MaxValue)
        {
            throw new ArgumentException($"\"{value[..Math.Min(value.Length, 40)]}...\" is longer than {ushort.MaxValue} bytes", nameof(value));
        }

        BinaryPrimitives.WriteUInt16LittleEndian(_destination[Position..], (ushort)length);
        Position += 2 + length;
    }
}

/// <summary>Reads what <see cref="WireWriter"/> wrote; throws <see cref="FormatException"/> past the end.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> source)
{
    private readonly ReadOnlySpan<byte> _source = source;
    private int _position;

    public readonly int Remaining => _source.Length - _position;

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public byte Byte() => Take(1)[0];

    public string String()
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
        return Encoding.UTF8.GetString(Take(length));
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new FormatException("the message ends early");
        }

        var span = _source.Slice(_position, count);
        _position += count;
        return span;
    }
}
