using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Fluid.Fuse.Backend;
using Fluid.Fuse.Protocol;

namespace Fluid.Fuse.FileSystem;

/// <summary>Attributes of a node as last seen from the backend; replaced as a whole so readers never see a torn update.</summary>
internal sealed class NodeAttributes(FsEntry entry, long expires)
{
    public FsEntry Entry { get; } = entry;

    /// <summary>Stopwatch timestamp after which the backend is asked again.</summary>
    public long Expires { get; } = expires;
}

/// <summary>
/// A file or directory the kernel holds a reference to. Node ids are never reused within a mount, so
/// the generation is constant; the inode number shown to users is a hash of the path, stable across mounts.
/// </summary>
internal sealed class Node
{
    private NodeAttributes _attributes;

    public Node(ulong id, string path, ulong pathHash, NodeAttributes attributes)
    {
        Id = id;
        Path = path;
        PathHash = pathHash;
        Ino = id == FuseConstants.RootId ? FuseConstants.RootId : InodeTable.InoFromHash(pathHash);
        _attributes = attributes;
    }

    public ulong Id { get; }

    public string Path { get; }

    /// <summary>FNV-1a state after hashing the path; children continue from it without building strings.</summary>
    public ulong PathHash { get; }

    public ulong Ino { get; }

    public NodeAttributes Attributes
    {
        get => Volatile.Read(ref _attributes);
        set => Volatile.Write(ref _attributes, value);
    }

    public bool IsDirectory => Attributes.Entry.IsDirectory;

    /// <summary>Kernel lookup references; guarded by the table lock.</summary>
    public long Lookups { get; set; }

    // Open-file bookkeeping, guarded by lock (this): an inode is either in passthrough or in cached mode
    // in the kernel at any one time, and all passthrough opens must share one backing id.
    public int CachedOpens { get; set; }

    public int PassthroughOpens { get; set; }

    public int BackingId { get; set; }

    /// <summary>Version of the content when the kernel last opened this node (decides FOPEN_KEEP_CACHE).</summary>
    public string? OpenedVersion { get; set; }

    /// <summary>With zero-message opens the kernel reads by node; one backend handle per node serves them.</summary>
    public Task<FsResult<IFuseFile>>? SharedFile { get; set; }
}

/// <summary>Node id ↔ path, with kernel lookup counts (LOOKUP/READDIRPLUS add, FORGET subtracts).</summary>
internal sealed class InodeTable
{
    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    private readonly ConcurrentDictionary<ulong, Node> _byId = new();
    private readonly Dictionary<string, Node> _byPath = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private ulong _nextId = FuseConstants.RootId + 1;

    public InodeTable(FsEntry rootEntry, long expires)
    {
        Root = new Node(FuseConstants.RootId, string.Empty, FnvOffset, new NodeAttributes(rootEntry, expires)) { Lookups = 1 };
        _byId[Root.Id] = Root;
        _byPath[Root.Path] = Root;
    }

    public Node Root { get; }

    public int Count => _byId.Count;

    public bool TryGet(ulong id, out Node node) => _byId.TryGetValue(id, out node!);

    /// <summary>The node currently bound to <paramref name="path"/>, without taking a reference.</summary>
    public Node? Peek(string path)
    {
        lock (_lock)
        {
            return _byPath.GetValueOrDefault(path);
        }
    }

    /// <summary>
    /// Binds <paramref name="path"/> to a node carrying <paramref name="entry"/> and adds one kernel reference.
    /// A path whose kind changed (file ↔ directory) gets a new node: the kernel cannot change an inode's type.
    /// </summary>
    public Node Remember(string path, ulong pathHash, FsEntry entry, long expires)
    {
        var attributes = new NodeAttributes(entry, expires);
        lock (_lock)
        {
            if (_byPath.TryGetValue(path, out var existing) && existing.IsDirectory == entry.IsDirectory)
            {
                existing.Attributes = attributes;
                existing.Lookups++;
                return existing;
            }

            var node = new Node(_nextId++, path, pathHash, attributes) { Lookups = 1 };
            _byId[node.Id] = node;
            _byPath[path] = node;
            return node;
        }
    }

    /// <summary>Drops <paramref name="count"/> kernel references; returns the node when it was removed.</summary>
    public Node? Forget(ulong id, ulong count)
    {
        if (id == FuseConstants.RootId)
        {
            return null;
        }

        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var node))
            {
                return null;
            }

            node.Lookups -= (long)count;
            if (node.Lookups > 0)
            {
                return null;
            }

            _byId.TryRemove(id, out _);
            if (_byPath.TryGetValue(node.Path, out var bound) && ReferenceEquals(bound, node))
            {
                _byPath.Remove(node.Path);
            }

            return node;
        }
    }

    /// <summary>Every node still known (for shutdown).</summary>
    public IEnumerable<Node> All() => _byId.Values;

    /// <summary>Continues the FNV-1a hash of a parent path with "/name" (or "name" under the root).</summary>
    public static ulong ChildHash(Node parent, ReadOnlySpan<char> name)
    {
        var hash = parent.PathHash;
        if (parent.Path.Length != 0)
        {
            hash = Step(hash, '/');
        }

        foreach (var c in name)
        {
            hash = Step(hash, c);
        }

        return hash;
    }

    public static ulong InoFromHash(ulong hash) => hash <= FuseConstants.RootId ? hash + 2 : hash;

    public static string ChildPath(Node parent, string name) => parent.Path.Length == 0 ? name : string.Concat(parent.Path, "/", name);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ulong hash, char c)
    {
        hash = (hash ^ (byte)c) * FnvPrime;
        return (hash ^ (byte)(c >> 8)) * FnvPrime;
    }
}
