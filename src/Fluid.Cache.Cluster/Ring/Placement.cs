using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Fluid.Cache.Cluster.Ring;

/// <summary>
/// How files map to ring keys: a file up to <see cref="SegmentThreshold"/> is one key (owned whole,
/// so a fully cached file is one local blob on one worker); a larger file is cut into segments of
/// <see cref="SegmentSize"/>, each its own key, so one 100 GB file spreads over every worker.
/// </summary>
public sealed record PlacementOptions
{
    /// <summary>Default cut-off: files up to 256 MiB are owned whole.</summary>
    public const long DefaultSegmentThreshold = 256L << 20;

    /// <summary>Default segment of a larger file: 64 MiB (a 100 GB file makes 1,600 segments).</summary>
    public const long DefaultSegmentSize = 64L << 20;

    public long SegmentThreshold { get; init; } = DefaultSegmentThreshold;

    public long SegmentSize { get; init; } = DefaultSegmentSize;

    /// <summary>Every problem, each naming its field; empty when valid. Segments must be whole pages.</summary>
    public IReadOnlyList<string> Validate(int pageSize)
    {
        var errors = new List<string>();
        if (SegmentSize < pageSize || SegmentSize % pageSize != 0)
        {
            errors.Add($"segmentSize: {SegmentSize} is not a positive multiple of the page size ({pageSize})");
        }

        if (SegmentThreshold < 0)
        {
            errors.Add($"segmentThreshold: {SegmentThreshold} is negative");
        }

        return errors;
    }

    /// <summary>The segment of the byte at <paramref name="offset"/>, or -1 when the file is owned whole.</summary>
    public long SegmentOf(long fileLength, long offset) => fileLength > SegmentThreshold ? offset / SegmentSize : -1;

    /// <summary>
    /// The ring key of the byte at <paramref name="offset"/> of a file: XxHash3 of
    /// <c>mount \0 path</c>, plus <c>\0</c> and the segment number (8 bytes, little endian) for segmented files.
    /// The version is not part of it, so a new version of a file stays on the same worker.
    /// </summary>
    public ulong KeyOf(string mount, string path, long fileLength, long offset)
    {
        ArgumentNullException.ThrowIfNull(mount);
        ArgumentNullException.ThrowIfNull(path);
        var segment = SegmentOf(fileLength, offset);
        var max = Encoding.UTF8.GetMaxByteCount(mount.Length + path.Length) + 10;
        byte[]? rented = null;
        var buffer = max <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(mount, buffer);
            buffer[length++] = 0;
            length += Encoding.UTF8.GetBytes(path, buffer[length..]);
            if (segment >= 0)
            {
                buffer[length++] = 0;
                BinaryPrimitives.WriteInt64LittleEndian(buffer[length..], segment);
                length += 8;
            }

            return XxHash3.HashToUInt64(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
