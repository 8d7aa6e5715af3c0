using Fluid.Fuse.Backend;

namespace Fluid.Fuse.FileSystem;

/// <summary>
/// File handles given to the kernel (fh). Slot index + 1 is the handle; lookups are lock-free because
/// the kernel never uses a handle after RELEASE, and adds/removes are rare next to reads.
/// </summary>
internal sealed class HandleTable<T>
    where T : class
{
    private readonly Lock _lock = new();
    private readonly Stack<int> _freeSlots = new();
    private T?[] _slots = new T?[64];
    private int _used;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _used - _freeSlots.Count;
            }
        }
    }

    public ulong Add(T item)
    {
        lock (_lock)
        {
            if (!_freeSlots.TryPop(out var slot))
            {
                if (_used == _slots.Length)
                {
                    var grown = new T?[_slots.Length * 2];
                    Array.Copy(_slots, grown, _slots.Length);
                    Volatile.Write(ref _slots, grown);
                }

                slot = _used++;
            }

            _slots[slot] = item;
            return (ulong)slot + 1;
        }
    }

    public T? Get(ulong handle)
    {
        var slots = Volatile.Read(ref _slots);
        return handle == 0 || handle > (ulong)slots.Length ? null : Volatile.Read(ref slots[(int)(handle - 1)]);
    }

    public T? Remove(ulong handle)
    {
        lock (_lock)
        {
            if (handle == 0 || handle > (ulong)_used)
            {
                return null;
            }

            var slot = (int)(handle - 1);
            var item = _slots[slot];
            if (item is not null)
            {
                _slots[slot] = null;
                _freeSlots.Push(slot);
            }

            return item;
        }
    }

    public List<T> RemoveAll()
    {
        lock (_lock)
        {
            var items = new List<T>();
            for (var i = 0; i < _used; i++)
            {
                if (_slots[i] is { } item)
                {
                    items.Add(item);
                    _slots[i] = null;
                }
            }

            _freeSlots.Clear();
            _used = 0;
            return items;
        }
    }
}

/// <summary>A file the kernel opened through OPEN.</summary>
internal sealed class OpenFile(Node node, IFuseFile? file, bool passthrough)
{
    public Node Node { get; } = node;

    /// <summary>The backend handle opened for this open (passthrough candidates), or null: reads then use the node's shared handle.</summary>
    public IFuseFile? File { get; } = file;

    public bool Passthrough { get; } = passthrough;
}

/// <summary>
/// A directory the kernel opened. Its listing is a stream: the cursor keeps one enumerator, the
/// position (the READDIR offset cookie: index of the next entry, "." and ".." being 0 and 1) and at
/// most one entry that did not fit in the previous reply.
/// </summary>
internal sealed class OpenDirectory(Node node)
{
    public Node Node { get; } = node;

    public DirectoryCursor? Cursor { get; set; }
}

/// <summary>Resumable position in a streamed directory listing.</summary>
internal sealed class DirectoryCursor : IAsyncDisposable
{
    public DirectoryCursor(IFuseBackend backend, string path)
    {
        Lifetime = new CancellationTokenSource();
        Enumerator = backend.ListAsync(path, Lifetime.Token).GetAsyncEnumerator(Lifetime.Token);
    }

    public CancellationTokenSource Lifetime { get; }

    public IAsyncEnumerator<FsEntry> Enumerator { get; }

    public long Position { get; set; }

    public bool HasPending { get; set; }

    public FsEntry Pending { get; set; }

    public bool Ended { get; set; }

    /// <summary>Set while a READDIR works on this cursor (guarded by the directory's lock); a request that finds it set starts a fresh cursor.</summary>
    public bool Busy { get; set; }

    /// <summary>A listing failure met after some entries were already answered; reported by the next call.</summary>
    public Fluid.Fuse.Backend.Errno Error { get; set; }

    /// <summary>Bytes of the reply being built (kept so a failure mid-way can still answer what fits).</summary>
    public int FilledBytes { get; set; }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Enumerator.DisposeAsync();
        }
        finally
        {
            Lifetime.Dispose();
        }
    }
}
