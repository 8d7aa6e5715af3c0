using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Fluid.Cache.Cluster.Ring;

/// <summary>
/// An immutable consistent-hash ring: every worker owns <see cref="VirtualNodes"/> points of the
/// 64-bit XxHash3 space, and a key belongs to the worker of the first point at or after it. Every
/// client that knows the same worker ids computes the same owners, without asking anyone.
/// </summary>
public sealed class HashRing
{
    /// <summary>
    /// Points per worker, chosen by <c>bench/cluster ring</c> (docs/cluster.md): over 200 random
    /// clusters of each size from 3 to 64 workers, the largest deviation of a worker's share from the
    /// mean was 14.9% with 1,024 points, 8.0% with 2,048 and 7.6% with 4,096 (p99 5.7%), inside the
    /// ±10% target with a margin. A ring of 64 workers then holds 262,144 points (3 MB).
    /// </summary>
    public const int DefaultVirtualNodes = 4096;

    private readonly ulong[] _points;
    private readonly int[] _owners;
    private readonly string[] _workers;

    /// <summary>Builds the ring of <paramref name="workers"/> (duplicates ignored; order does not matter).</summary>
    public HashRing(IEnumerable<string> workers, int virtualNodes = DefaultVirtualNodes)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodes, 1);
        _workers = [.. workers.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        foreach (var id in _workers)
        {
            ArgumentException.ThrowIfNullOrEmpty(id, nameof(workers));
        }

        VirtualNodes = virtualNodes;
        var count = _workers.Length * virtualNodes;
        var entries = new (ulong Point, int Owner)[count];
        var buffer = new byte[1024];
        for (var w = 0; w < _workers.Length; w++)
        {
            var idLength = Encoding.UTF8.GetBytes(_workers[w], buffer);
            buffer[idLength] = (byte)'#';
            for (var v = 0; v < virtualNodes; v++)
            {
                BitConverter.TryWriteBytes(buffer.AsSpan(idLength + 1), v);
                entries[(w * virtualNodes) + v] = (XxHash3.HashToUInt64(buffer.AsSpan(0, idLength + 5)), w);
            }
        }

        // Ties (practically never) go to the smaller worker index, so every client agrees.
        Array.Sort(entries, static (a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Owner.CompareTo(b.Owner));
        _points = new ulong[count];
        _owners = new int[count];
        for (var i = 0; i < count; i++)
        {
            _points[i] = entries[i].Point;
            _owners[i] = entries[i].Owner;
        }
    }

    /// <summary>A ring without workers: every lookup finds none.</summary>
    public static HashRing Empty { get; } = new([], 1);

    /// <summary>The worker ids, sorted ordinally; owner indexes refer to this list.</summary>
    public IReadOnlyList<string> Workers => _workers;

    public int Count => _workers.Length;

    public int VirtualNodes { get; }

    /// <summary>The index of the worker owning <paramref name="key"/>, or -1 when the ring is empty.</summary>
    public int OwnerOf(ulong key) => _points.Length == 0 ? -1 : _owners[FirstAtOrAfter(key)];

    /// <summary>
    /// Writes the distinct workers met walking clockwise from <paramref name="key"/> (the owner first,
    /// then the worker that takes the key when the owner is gone, and so on) and returns how many.
    /// </summary>
    public int Successors(ulong key, Span<int> destination)
    {
        if (_points.Length == 0 || destination.IsEmpty)
        {
            return 0;
        }

        var wanted = Math.Min(destination.Length, _workers.Length);
        var found = 0;
        var position = FirstAtOrAfter(key);
        for (var step = 0; step < _points.Length && found < wanted; step++)
        {
            var owner = _owners[position];
            if (!destination[..found].Contains(owner))
            {
                destination[found++] = owner;
            }

            position = position + 1 == _points.Length ? 0 : position + 1;
        }

        return found;
    }

    /// <summary>The exact fraction of the hash space each worker owns (by index).</summary>
    public double[] Shares()
    {
        var shares = new double[_workers.Length];
        if (_points.Length == 0)
        {
            return shares;
        }

        const double Space = 18446744073709551616.0;
        for (var i = 0; i < _points.Length; i++)
        {
            // Point i owns (previous point, point i]; the first point also owns the wrap-around arc.
            var previous = i == 0 ? _points[^1] : _points[i - 1];
            var arc = unchecked(_points[i] - previous);
            shares[_owners[i]] += (_points.Length == 1 ? Space : (double)arc) / Space;
        }

        return shares;
    }

    /// <summary>The XxHash3 of a key's bytes; what <see cref="OwnerOf"/> expects.</summary>
    public static ulong HashKey(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key);

    /// <summary>Hashes a string key (UTF-8) without allocating for keys up to 512 bytes.</summary>
    public static ulong HashKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(key, buffer);
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

    private int FirstAtOrAfter(ulong key)
    {
        var index = Array.BinarySearch(_points, key);
        if (index < 0)
        {
            index = ~index;
        }

        // Equal points: take the first of them, so the tie rule above holds.
        while (index > 0 && index < _points.Length && _points[index - 1] == key)
        {
            index--;
        }

        return index == _points.Length ? 0 : index;
    }
}
