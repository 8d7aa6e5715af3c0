using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Fluid.Fuse.Backend;
using Fluid.Fuse.Native;
using Fluid.Fuse.Protocol;
using Fluid.Fuse.Session;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Fuse.FileSystem;

/// <summary>
/// The read-only file system: turns kernel requests into backend calls and answers them. Cheap
/// requests (INIT, FORGET, RELEASE, write attempts, xattrs) are answered on the reader thread without
/// tracking; the rest get a <see cref="RequestContext"/> with a deadline and run until their first
/// await on the reader thread, so a backend that answers at once costs no thread hop.
/// </summary>
internal sealed class FuseFileSystem : IRequestDispatcher, IDisposable
{
    /// <summary>FUSE 7.31 (Linux 5.10) and later: max_pages, NO_OPENDIR_SUPPORT, explicit READDIRPLUS.</summary>
    public const uint MinimumMinor = 31;

    private const uint DirMode = FuseConstants.SIfDir | 0x16D; // dr-xr-xr-x
    private const uint FileMode = FuseConstants.SIfReg | 0x124; // -r--r--r--
    private const uint BlockSize = 128 * 1024;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly IFuseBackend _backend;
    private readonly FuseOptions _options;
    private readonly FuseMetrics _metrics;
    private readonly ILogger _logger;
    private readonly InodeTable _inodes;
    private readonly HandleTable<OpenFile> _files = new();
    private readonly HandleTable<OpenDirectory> _directories = new();
    private readonly TaskCompletionSource<bool> _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ArrayPool<byte> _readBuffers;
    private readonly long _ttlTicks;
    private readonly ulong _ttlSeconds;
    private readonly uint _ttlNanoseconds;
    private readonly ulong _negativeSeconds;
    private readonly uint _negativeNanoseconds;
    private readonly uint _uid;
    private readonly uint _gid;
    private FuseSession _session = null!;
    private int _deviceFd = -1;
    private volatile bool _passthrough;
    private volatile bool _zeroMessageOpens;

    public FuseFileSystem(IFuseBackend backend, FsEntry rootEntry, FuseOptions options, FuseMetrics metrics, ILogger logger)
    {
        _backend = backend;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _ttlTicks = (long)(options.MetadataTtl.TotalSeconds * Stopwatch.Frequency);
        (_ttlSeconds, _ttlNanoseconds) = Split(options.MetadataTtl);
        (_negativeSeconds, _negativeNanoseconds) = Split(options.NegativeTtl);
        _uid = options.Uid ?? LibC.GetEUid();
        _gid = options.Gid ?? LibC.GetEGid();
        _inodes = new InodeTable(rootEntry, Stopwatch.GetTimestamp() + _ttlTicks);
        _readBuffers = ArrayPool<byte>.Create(options.MaxRead + FuseConstants.OutHeaderSize, 64);
    }

    /// <summary>Completes with true once INIT was answered, false if the kernel's protocol was refused.</summary>
    public Task<bool> Initialized => _initialized.Task;

    public uint NegotiatedMajor { get; private set; }

    public uint NegotiatedMinor { get; private set; }

    public bool PassthroughActive => _passthrough;

    /// <summary>True when the kernel offered FUSE_PASSTHROUGH in INIT.</summary>
    public bool PassthroughOffered { get; private set; }

    public bool ZeroMessageOpens => _zeroMessageOpens;

    public int OpenFiles => _files.Count;

    public int OpenDirectories => _directories.Count;

    public int KnownNodes => _inodes.Count;

    public void Attach(FuseSession session, int deviceFd)
    {
        _session = session;
        _deviceFd = deviceFd;
    }

    public void Dispatch(FuseChannel channel, ReadOnlySpan<byte> request)
    {
        var header = MemoryMarshal.Read<FuseInHeader>(request);
        var length = (int)Math.Min(header.Len, (uint)request.Length);
        var args = request[FuseConstants.InHeaderSize..length];
        var opcode = (FuseOpcode)header.Opcode;
        _metrics.CountRequest(opcode);

        switch (opcode)
        {
            case FuseOpcode.Init:
                HandleInit(channel, header, args);
                return;
            case FuseOpcode.Forget:
                Forgotten(_inodes.Forget(header.NodeId, MemoryMarshal.Read<FuseForgetIn>(args).NLookup));
                return;
            case FuseOpcode.BatchForget:
                HandleBatchForget(args);
                return;
            case FuseOpcode.Interrupt:
                if (!_session.TryInterrupt(MemoryMarshal.Read<FuseInterruptIn>(args).Unique))
                {
                    // Not (yet) in flight here: EAGAIN makes the kernel queue the interrupt again if the request is still pending.
                    _session.WriteError(channel.Fd, header.Unique, Errno.EAGAIN);
                }

                return;
            case FuseOpcode.Destroy:
                _session.WriteError(channel.Fd, header.Unique, Errno.None);
                return;

            case FuseOpcode.Write:
            case FuseOpcode.Create:
            case FuseOpcode.MkNod:
            case FuseOpcode.MkDir:
            case FuseOpcode.Unlink:
            case FuseOpcode.RmDir:
            case FuseOpcode.Rename:
            case FuseOpcode.Rename2:
            case FuseOpcode.Link:
            case FuseOpcode.Symlink:
            case FuseOpcode.SetAttr:
            case FuseOpcode.SetXAttr:
            case FuseOpcode.RemoveXAttr:
            case FuseOpcode.FAllocate:
            case FuseOpcode.CopyFileRange:
            case FuseOpcode.TmpFile:
                _session.WriteError(channel.Fd, header.Unique, Errno.EROFS);
                return;

            case FuseOpcode.Flush:
                // Nothing is ever written, so there is nothing to flush; ENOSYS tells the kernel to stop sending FLUSH.
                _session.WriteError(channel.Fd, header.Unique, Errno.ENOSYS);
                return;
            case FuseOpcode.FSync:
            case FuseOpcode.FSyncDir:
                _session.WriteError(channel.Fd, header.Unique, Errno.None);
                return;
            case FuseOpcode.GetXAttr:
            case FuseOpcode.ListXAttr:
                // Dataset files carry no extended attributes. ENOSYS makes the kernel answer EOPNOTSUPP itself from
                // now on, which spares two round trips per file of every `ls -l` (security.selinux, POSIX ACLs).
                _session.WriteError(channel.Fd, header.Unique, Errno.ENOSYS);
                return;
            case FuseOpcode.Access:
                HandleAccess(channel, header, args);
                return;
            case FuseOpcode.ReadLink:
                _session.WriteError(channel.Fd, header.Unique, Errno.EINVAL); // no symlinks are ever shown
                return;
            case FuseOpcode.Release:
                HandleRelease(channel, header, args);
                return;
            case FuseOpcode.ReleaseDir:
                HandleReleaseDir(channel, header, args);
                return;
            case FuseOpcode.OpenDir:
                HandleOpenDir(channel, header);
                return;
            case FuseOpcode.Open when _zeroMessageOpens && IsReadOnlyOpen(args):
                // FUSE_NO_OPEN_SUPPORT: from now on the kernel opens files without asking (see FuseOptions.ZeroMessageOpens).
                _session.WriteError(channel.Fd, header.Unique, Errno.ENOSYS);
                return;
            case FuseOpcode.Open when TryOpenInline(channel, header, args):
                return;

            case FuseOpcode.Lookup:
            case FuseOpcode.GetAttr:
            case FuseOpcode.Open:
            case FuseOpcode.Read:
            case FuseOpcode.ReadDir:
            case FuseOpcode.ReadDirPlus:
            case FuseOpcode.StatFs:
                _ = ProcessAsync(_session.Begin(channel, header, args));
                return;

            default:
                _session.WriteError(channel.Fd, header.Unique, Errno.ENOSYS);
                return;
        }
    }

    /// <summary>Drops kernel caches for a path whose content or existence changed (notify INVAL_INODE / INVAL_ENTRY).</summary>
    public void InvalidatePath(string path)
    {
        var node = _inodes.Peek(path);
        if (node is not null)
        {
            node.Attributes = new NodeAttributes(node.Attributes.Entry, 0);
            DropSharedFile(node);
            var inode = new FuseNotifyInvalInodeOut { Ino = node.Id, Off = 0, Len = 0 };
            _session.Notify(FuseNotifyCode.InvalidateInode, MemoryMarshal.AsBytes(new ReadOnlySpan<FuseNotifyInvalInodeOut>(in inode)));
        }

        if (path.Length == 0)
        {
            return;
        }

        var slash = path.LastIndexOf('/');
        var parent = _inodes.Peek(slash < 0 ? string.Empty : path[..slash]);
        if (parent is null)
        {
            return;
        }

        var name = Encoding.UTF8.GetBytes(slash < 0 ? path : path[(slash + 1)..]);
        var payload = new byte[Unsafe.SizeOf<FuseNotifyInvalEntryOut>() + name.Length + 1];
        MemoryMarshal.Write(payload, new FuseNotifyInvalEntryOut { Parent = parent.Id, NameLen = (uint)name.Length, Flags = 0 });
        name.CopyTo(payload.AsSpan(Unsafe.SizeOf<FuseNotifyInvalEntryOut>()));
        _session.Notify(FuseNotifyCode.InvalidateEntry, payload);
    }

    /// <summary>Releases every handle still open (after the session ended).</summary>
    public void Dispose()
    {
        foreach (var file in _files.RemoveAll())
        {
            ReleaseFile(file);
        }

        foreach (var directory in _directories.RemoveAll())
        {
            if (directory.Cursor is { Busy: false } cursor)
            {
                _ = cursor.DisposeAsync().AsTask();
            }
        }

        foreach (var node in _inodes.All())
        {
            Forgotten(node);
        }
    }

    private static (ulong Seconds, uint Nanoseconds) Split(TimeSpan span)
    {
        var ticks = Math.Max(0, span.Ticks);
        return ((ulong)(ticks / TimeSpan.TicksPerSecond), (uint)(ticks % TimeSpan.TicksPerSecond * 100));
    }

    private static bool IsReadOnlyOpen(ReadOnlySpan<byte> args)
    {
        var flags = MemoryMarshal.Read<FuseOpenIn>(args).Flags;
        return (flags & FuseConstants.OAccMode) == FuseConstants.ORdOnly && (flags & FuseConstants.OTrunc) == 0;
    }

    private void HandleInit(FuseChannel channel, in FuseInHeader header, ReadOnlySpan<byte> args)
    {
        var major = MemoryMarshal.Read<uint>(args);
        var minor = MemoryMarshal.Read<uint>(args[4..]);
        var init = new FuseInitOut { Major = FuseConstants.KernelVersion, Minor = FuseConstants.KernelMinorVersion };
        if (major > FuseConstants.KernelVersion)
        {
            // Protocol rule: answer with our major only and wait for the kernel to retry INIT with it.
            _session.Write(channel.Fd, header.Unique, MemoryMarshal.AsBytes(new ReadOnlySpan<FuseInitOut>(in init)));
            return;
        }

        if (major < FuseConstants.KernelVersion || minor < MinimumMinor)
        {
            Log.UnsupportedProtocol(_logger, major, minor, MinimumMinor);
            _session.WriteError(channel.Fd, header.Unique, Errno.EINVAL);
            _initialized.TrySetResult(false);
            return;
        }

        var kernelReadahead = MemoryMarshal.Read<uint>(args[8..]);
        ulong offered = MemoryMarshal.Read<uint>(args[12..]);
        if ((offered & FuseConstants.InitExt) != 0 && args.Length >= 20)
        {
            offered |= (ulong)MemoryMarshal.Read<uint>(args[16..]) << 32;
        }

        var wanted = FuseConstants.AsyncRead | FuseConstants.AutoInvalData | FuseConstants.DoReaddirplus |
            FuseConstants.ReaddirplusAuto | FuseConstants.ParallelDirops | FuseConstants.MaxPages |
            FuseConstants.AbortError | FuseConstants.InitExt | FuseConstants.NoExportSupport;
        if (_options.Passthrough == PassthroughMode.Auto)
        {
            wanted |= FuseConstants.Passthrough;
        }

        PassthroughOffered = (offered & FuseConstants.Passthrough) != 0;
        var granted = wanted & offered;
        _passthrough = (granted & FuseConstants.Passthrough) != 0;
        _zeroMessageOpens = _options.ZeroMessageOpens && !_passthrough && (offered & FuseConstants.NoOpenSupport) != 0;

        init.Minor = Math.Min(minor, FuseConstants.KernelMinorVersion);
        init.MaxReadahead = kernelReadahead; // the kernel only ever lowers its window to ours; raised later through sysfs
        init.Flags = (uint)granted;
        init.Flags2 = (uint)(granted >> 32);
        init.MaxBackground = 64;
        init.CongestionThreshold = 48;
        init.MaxWrite = (uint)_options.MaxRead;
        init.TimeGran = 1;
        init.MaxPages = (ushort)(_options.MaxRead / 4096);
        // Backing files live on ordinary file systems (stack depth 0), so one level of stacking suffices.
        init.MaxStackDepth = _passthrough ? 1u : 0u;
        NegotiatedMajor = init.Major;
        NegotiatedMinor = init.Minor;
        _session.Write(channel.Fd, header.Unique, MemoryMarshal.AsBytes(new ReadOnlySpan<FuseInitOut>(in init)));
        _initialized.TrySetResult(true);
    }

    private void HandleBatchForget(ReadOnlySpan<byte> args)
    {
        var count = MemoryMarshal.Read<FuseBatchForgetIn>(args).Count;
        var items = MemoryMarshal.Cast<byte, FuseForgetOne>(args[Unsafe.SizeOf<FuseBatchForgetIn>()..]);
        for (var i = 0; i < count && i < items.Length; i++)
        {
            Forgotten(_inodes.Forget(items[i].NodeId, items[i].NLookup));
        }
    }

    private static void Forgotten(Node? node)
    {
        if (node is null)
        {
            return;
        }

        Task<FsResult<IFuseFile>>? shared;
        lock (node)
        {
            shared = node.SharedFile;
            node.SharedFile = null;
        }

        if (shared is { IsCompletedSuccessfully: true } && shared.Result.IsSuccess)
        {
            shared.Result.Value.Dispose();
        }
    }

    private void HandleAccess(FuseChannel channel, in FuseInHeader header, ReadOnlySpan<byte> args)
    {
        var mask = MemoryMarshal.Read<FuseAccessIn>(args).Mask;
        var error = !_inodes.TryGet(header.NodeId, out _) ? Errno.ESTALE
            : (mask & FuseConstants.WOk) != 0 ? Errno.EROFS
            : Errno.None;
        _session.WriteError(channel.Fd, header.Unique, error);
    }

    private void HandleOpenDir(FuseChannel channel, in FuseInHeader header)
    {
        if (!_inodes.TryGet(header.NodeId, out var node))
        {
            _session.WriteError(channel.Fd, header.Unique, Errno.ESTALE);
            return;
        }

        if (!node.IsDirectory)
        {
            _session.WriteError(channel.Fd, header.Unique, Errno.ENOTDIR);
            return;
        }

        var handle = _directories.Add(new OpenDirectory(node));
        // Listings of a dataset version do not change: let the kernel cache them across opens.
        var open = new FuseOpenOut { Fh = handle, OpenFlags = FuseConstants.FOpenCacheDir | FuseConstants.FOpenKeepCache };
        if (!_session.Write(channel.Fd, header.Unique, MemoryMarshal.AsBytes(new ReadOnlySpan<FuseOpenOut>(in open))))
        {
            _directories.Remove(handle);
        }
    }

    private void HandleRelease(FuseChannel channel, in FuseInHeader header, ReadOnlySpan<byte> args)
    {
        var release = MemoryMarshal.Read<FuseReleaseIn>(args);
        if (_files.Remove(release.Fh) is { } file)
        {
            ReleaseFile(file);
        }

        _session.WriteError(channel.Fd, header.Unique, Errno.None);
    }

    private void HandleReleaseDir(FuseChannel channel, in FuseInHeader header, ReadOnlySpan<byte> args)
    {
        var release = MemoryMarshal.Read<FuseReleaseIn>(args);
        if (_directories.Remove(release.Fh) is { } directory)
        {
            DirectoryCursor? idle = null;
            lock (directory)
            {
                if (directory.Cursor is { Busy: false } cursor)
                {
                    idle = cursor;
                }
                else
                {
                    directory.Cursor?.Lifetime.Cancel();
                }

                directory.Cursor = null;
            }

            if (idle is not null)
            {
                _ = DisposeQuietlyAsync(idle);
            }
        }

        _session.WriteError(channel.Fd, header.Unique, Errno.None);
    }

    private static async Task DisposeQuietlyAsync(DirectoryCursor cursor)
    {
        try
        {
            await cursor.DisposeAsync();
        }
#pragma warning disable CA1031 // a backend failing to close a listing must not take anything else down
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private unsafe void ReleaseFile(OpenFile file)
    {
        var node = file.Node;
        lock (node)
        {
            if (file.Passthrough)
            {
                if (--node.PassthroughOpens == 0 && node.BackingId > 0)
                {
                    var id = node.BackingId;
                    node.BackingId = 0;
                    LibC.IoCtl(_deviceFd, LibC.FuseDevIocBackingClose, &id);
                }
            }
            else
            {
                node.CachedOpens--;
            }
        }

        file.File?.Dispose();
    }

    private async Task ProcessAsync(RequestContext context)
    {
        try
        {
            var task = context.Opcode switch
            {
                FuseOpcode.Lookup => LookupAsync(context),
                FuseOpcode.GetAttr => GetAttrAsync(context),
                FuseOpcode.Open => OpenAsync(context),
                FuseOpcode.Read => ReadAsync(context),
                FuseOpcode.ReadDir => ReadDirAsync(context, plus: false),
                FuseOpcode.ReadDirPlus => ReadDirAsync(context, plus: true),
                FuseOpcode.StatFs => StatFsAsync(context),
                _ => ReplyErrorAsync(context, Errno.ENOSYS),
            };
            await task;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // Already answered (EIO on timeout, EINTR on interrupt).
        }
        catch (FsException ex)
        {
            _session.ReplyError(context, ex.Error);
        }
#pragma warning disable CA1031 // any backend failure becomes EIO for this one request
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.HandlerFailed(_logger, context.Opcode, ex);
            _session.ReplyError(context, Errno.EIO);
        }
        finally
        {
            _session.End(context);
        }
    }

    private ValueTask ReplyErrorAsync(RequestContext context, Errno error)
    {
        _session.ReplyError(context, error);
        return default;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask LookupAsync(RequestContext context)
    {
        if (!_inodes.TryGet(context.NodeId, out var parent))
        {
            _session.ReplyError(context, Errno.ESTALE);
            return;
        }

        if (!parent.IsDirectory)
        {
            _session.ReplyError(context, Errno.ENOTDIR);
            return;
        }

        var nameBytes = context.Input;
        var end = nameBytes.IndexOf((byte)0);
        nameBytes = end < 0 ? nameBytes : nameBytes[..end];
        if (nameBytes.Length > 255)
        {
            _session.ReplyError(context, Errno.ENAMETOOLONG);
            return;
        }

        if (nameBytes.Length == 0 || nameBytes is [(byte)'.'] || nameBytes is [(byte)'.', (byte)'.'] || nameBytes.Contains((byte)'/'))
        {
            _session.ReplyError(context, Errno.ENOENT);
            return;
        }

        string name;
        try
        {
            name = StrictUtf8.GetString(nameBytes);
        }
        catch (DecoderFallbackException)
        {
            _session.ReplyError(context, Errno.ENOENT);
            return;
        }

        var path = InodeTable.ChildPath(parent, name);
        var now = Stopwatch.GetTimestamp();
        var existing = _inodes.Peek(path);
        FsEntry entry;
        if (existing is not null && existing.Attributes.Expires > now)
        {
            entry = existing.Attributes.Entry;
        }
        else
        {
            var stat = await _backend.StatAsync(path, context.CancellationToken);
            if (stat.Error == Errno.ENOENT)
            {
                ReplyNegative(context);
                return;
            }

            if (!stat.IsSuccess)
            {
                _session.ReplyError(context, stat.Error);
                return;
            }

            entry = stat.Value with { Name = name };
        }

        var previousVersion = existing?.Attributes.Entry.Version;
        var node = _inodes.Remember(path, InodeTable.ChildHash(parent, name), entry, now + _ttlTicks);
        if (ReferenceEquals(node, existing) && previousVersion != entry.Version)
        {
            DropSharedFile(node);
        }

        if (!ReplyEntry(context, node))
        {
            _inodes.Forget(node.Id, 1);
        }
    }

    private void ReplyNegative(RequestContext context)
    {
        if (_options.NegativeTtl <= TimeSpan.Zero)
        {
            _session.ReplyError(context, Errno.ENOENT);
            return;
        }

        // Node id 0 with a timeout: the kernel caches the absence (a negative dentry) for that long.
        var entry = new FuseEntryOut { NodeId = 0, EntryValid = _negativeSeconds, EntryValidNsec = _negativeNanoseconds };
        _session.Reply(context, entry);
    }

    private bool ReplyEntry(RequestContext context, Node node)
    {
        var entry = new FuseEntryOut();
        FillEntry(ref entry, node);
        return _session.Reply(context, entry);
    }

    private void FillEntry(ref FuseEntryOut entry, Node node)
    {
        entry.NodeId = node.Id;
        entry.Generation = 1;
        entry.EntryValid = _ttlSeconds;
        entry.EntryValidNsec = _ttlNanoseconds;
        entry.AttrValid = _ttlSeconds;
        entry.AttrValidNsec = _ttlNanoseconds;
        FillAttr(ref entry.Attr, node);
    }

    private void FillAttr(ref FuseAttr attr, Node node)
    {
        var entry = node.Attributes.Entry;
        var ticks = Math.Max(0, entry.LastModified.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks);
        var seconds = (ulong)(ticks / TimeSpan.TicksPerSecond);
        var nanoseconds = (uint)(ticks % TimeSpan.TicksPerSecond * 100);
        attr.Ino = node.Ino;
        attr.Size = entry.IsDirectory ? 0 : (ulong)entry.Length;
        attr.Blocks = (attr.Size + 511) / 512;
        attr.ATime = attr.MTime = attr.CTime = seconds;
        attr.ATimeNsec = attr.MTimeNsec = attr.CTimeNsec = nanoseconds;
        attr.Mode = entry.IsDirectory ? DirMode : FileMode;
        attr.NLink = entry.IsDirectory ? 2u : 1u;
        attr.Uid = _uid;
        attr.Gid = _gid;
        attr.BlkSize = BlockSize;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask GetAttrAsync(RequestContext context)
    {
        if (!_inodes.TryGet(context.NodeId, out var node))
        {
            _session.ReplyError(context, Errno.ESTALE);
            return;
        }

        var now = Stopwatch.GetTimestamp();
        if (node.Attributes.Expires <= now)
        {
            var stat = await _backend.StatAsync(node.Path, context.CancellationToken);
            if (!stat.IsSuccess)
            {
                _session.ReplyError(context, stat.Error);
                return;
            }

            if (stat.Value.IsDirectory != node.IsDirectory)
            {
                _session.ReplyError(context, Errno.ESTALE); // the kernel drops the inode and looks the name up again
                return;
            }

            var previous = node.Attributes.Entry.Version;
            node.Attributes = new NodeAttributes(stat.Value with { Name = node.Attributes.Entry.Name }, now + _ttlTicks);
            if (previous != stat.Value.Version)
            {
                DropSharedFile(node);
            }
        }

        var attr = new FuseAttrOut { AttrValid = _ttlSeconds, AttrValidNsec = _ttlNanoseconds };
        FillAttr(ref attr.Attr, node);
        _session.Reply(context, attr);
    }

    /// <summary>
    /// Answers OPEN on the reader thread when the backend is not needed: write attempts, unknown nodes,
    /// directories, and files that will not use passthrough (their reads share the node's handle).
    /// Returns false for passthrough candidates, which need the backend's backing file.
    /// </summary>
    private bool TryOpenInline(FuseChannel channel, in FuseInHeader header, ReadOnlySpan<byte> args)
    {
        Node? node = null;
        var error = !IsReadOnlyOpen(args) ? Errno.EROFS
            : !_inodes.TryGet(header.NodeId, out node) ? Errno.ESTALE
            : node.IsDirectory ? Errno.EISDIR
            : Errno.None;
        if (error != Errno.None)
        {
            _session.WriteError(channel.Fd, header.Unique, error);
            return true;
        }

        if (IsPassthroughCandidate(node!))
        {
            return false;
        }

        var (openFile, reply) = PrepareOpen(node!, null);
        if (!_session.Write(channel.Fd, header.Unique, MemoryMarshal.AsBytes(new ReadOnlySpan<FuseOpenOut>(in reply))))
        {
            UndoOpen(reply.Fh, openFile);
            return true;
        }

        _metrics.CountCachedOpen();
        return true;
    }

    private bool IsPassthroughCandidate(Node node) => _passthrough && node.Attributes.Entry.Length >= _options.PassthroughMinSize;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask OpenAsync(RequestContext context)
    {
        if (!_inodes.TryGet(context.NodeId, out var node))
        {
            _session.ReplyError(context, Errno.ESTALE);
            return;
        }

        // A passthrough candidate: the backend says whether a local backing file exists.
        var opened = await _backend.OpenAsync(node.Path, context.CancellationToken);
        if (!opened.IsSuccess)
        {
            _session.ReplyError(context, opened.Error);
            return;
        }

        var (openFile, reply) = PrepareOpen(node, opened.Value);
        if (!_session.Reply(context, reply))
        {
            // The kernel never saw the handle (timed out or interrupted), so it will never release it.
            UndoOpen(reply.Fh, openFile);
            return;
        }

        if (openFile.Passthrough)
        {
            _metrics.CountPassthroughOpen();
        }
        else
        {
            _metrics.CountCachedOpen();
        }
    }

    /// <summary>Registers an open (passthrough when <paramref name="file"/> has a usable backing file) and builds its reply.</summary>
    private (OpenFile File, FuseOpenOut Reply) PrepareOpen(Node node, IFuseFile? file)
    {
        var entry = node.Attributes.Entry;
        var backing = file?.BackingFile;
        var wantPassthrough = _passthrough && backing is { IsInvalid: false, IsClosed: false };
        var passthrough = false;
        var backingId = 0;
        bool keepCache;
        lock (node)
        {
            // Pages cached for the same version are still right; a new version must be read afresh.
            keepCache = node.OpenedVersion is null || entry.Version is null || node.OpenedVersion == entry.Version;
            node.OpenedVersion = entry.Version;
            if (wantPassthrough)
            {
                if (node.CachedOpens > 0)
                {
                    // The kernel refuses passthrough on an inode that is open in cached mode (ETXTBSY).
                    _metrics.CountPassthroughFallback();
                    Log.PassthroughFallback(_logger, node.Path, "open in cached mode");
                }
                else if (node.PassthroughOpens > 0)
                {
                    passthrough = true; // all opens of an inode must share one backing file
                    backingId = node.BackingId;
                }
                else
                {
                    backingId = RegisterBackingFile(backing!);
                    if (backingId > 0)
                    {
                        node.BackingId = backingId;
                        passthrough = true;
                    }
                    else
                    {
                        _metrics.CountPassthroughFallback();
                        Log.PassthroughFallback(_logger, node.Path, "backing registration failed");
                    }
                }
            }
            else if (node.PassthroughOpens > 0)
            {
                // Cached mode is refused while the inode is in passthrough mode; keep it there.
                passthrough = true;
                backingId = node.BackingId;
            }

            if (passthrough)
            {
                node.PassthroughOpens++;
            }
            else
            {
                node.CachedOpens++;
            }
        }

        var openFile = new OpenFile(node, file, passthrough);
        var handle = _files.Add(openFile);
        var flags = FuseConstants.FOpenNoFlush | (passthrough ? FuseConstants.FOpenPassthrough : keepCache ? FuseConstants.FOpenKeepCache : 0);
        return (openFile, new FuseOpenOut { Fh = handle, OpenFlags = flags, BackingId = passthrough ? backingId : 0 });
    }

    private void UndoOpen(ulong handle, OpenFile file)
    {
        _files.Remove(handle);
        ReleaseFile(file);
    }

    private unsafe int RegisterBackingFile(SafeFileHandle backing)
    {
        var added = false;
        try
        {
            backing.DangerousAddRef(ref added);
            var map = new FuseBackingMap { Fd = (int)backing.DangerousGetHandle() };
            var id = LibC.IoCtl(_deviceFd, LibC.FuseDevIocBackingOpen, &map);
            if (id > 0)
            {
                return id;
            }

            var errno = LibC.LastError;
            if (errno is 1 or 95 or 25)
            {
                // EPERM (no CAP_SYS_ADMIN), EOPNOTSUPP, ENOTTY (kernel without the ioctl): stop trying for this mount.
                _passthrough = false;
                Log.PassthroughDisabled(_logger, LibC.ErrorText(errno));
            }

            return -1;
        }
        finally
        {
            if (added)
            {
                backing.DangerousRelease();
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadAsync(RequestContext context)
    {
        var read = context.Read<FuseReadIn>();
        IFuseFile? file = null;
        if (read.Fh != 0)
        {
            if (_files.Get(read.Fh) is not { } open)
            {
                _session.ReplyError(context, Errno.EBADF);
                return;
            }

            file = open.File;
        }

        if (file is null)
        {
            // Zero-message opens (and opens without their own handle): one backend handle per node serves reads.
            if (!_inodes.TryGet(context.NodeId, out var node))
            {
                _session.ReplyError(context, Errno.ESTALE);
                return;
            }

            if (node.IsDirectory)
            {
                _session.ReplyError(context, Errno.EISDIR);
                return;
            }

            var shared = SharedFile(node);
            var opened = shared.IsCompleted ? shared.Result : await shared;
            if (!opened.IsSuccess)
            {
                _session.ReplyError(context, opened.Error);
                return;
            }

            file = opened.Value;
        }

        var size = (int)Math.Min(read.Size, (uint)_options.MaxRead);
        var buffer = _readBuffers.Rent(FuseConstants.OutHeaderSize + size);
        try
        {
            var result = await file.ReadAsync((long)read.Offset, buffer.AsMemory(FuseConstants.OutHeaderSize, size), context.CancellationToken);
            if (!result.IsSuccess)
            {
                _session.ReplyError(context, result.Error);
                return;
            }

            _metrics.CountRead(result.Value);
            _session.ReplyBuffer(context, buffer, result.Value);
        }
        finally
        {
            _readBuffers.Return(buffer);
        }
    }

    /// <summary>
    /// The content changed: the next read opens the new version. The old handle is disposed once reads
    /// that may still use it are past their deadline.
    /// </summary>
    private void DropSharedFile(Node node)
    {
        Task<FsResult<IFuseFile>>? shared;
        lock (node)
        {
            shared = node.SharedFile;
            node.SharedFile = null;
        }

        if (shared is not null)
        {
            _ = DisposeLaterAsync(shared, _options.RequestTimeout);
        }
    }

    private static async Task DisposeLaterAsync(Task<FsResult<IFuseFile>> shared, TimeSpan delay)
    {
        var result = await shared;
        await Task.Delay(delay);
        if (result.IsSuccess)
        {
            result.Value.Dispose();
        }
    }

    private Task<FsResult<IFuseFile>> SharedFile(Node node)
    {
        lock (node)
        {
            var task = node.SharedFile;
            if (task is null || (task.IsCompleted && !task.Result.IsSuccess))
            {
                task = OpenSharedAsync(node.Path);
                node.SharedFile = task;
            }

            return task;
        }
    }

    private async Task<FsResult<IFuseFile>> OpenSharedAsync(string path)
    {
        // Shared by every reader of the node, so bounded by its own timeout rather than one request's token.
        using var timeout = new CancellationTokenSource(_options.RequestTimeout);
        try
        {
            return await _backend.OpenAsync(path, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return FsResult<IFuseFile>.Fail(Errno.EIO);
        }
        catch (FsException ex)
        {
            return FsResult<IFuseFile>.Fail(ex.Error);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask StatFsAsync(RequestContext context)
    {
        var result = await _backend.StatFsAsync(context.CancellationToken);
        if (!result.IsSuccess)
        {
            _session.ReplyError(context, result.Error);
            return;
        }

        const uint Unit = 4096;
        var capacity = Math.Max(0, result.Value.CapacityBytes);
        var free = Math.Max(0, capacity - Math.Max(0, result.Value.UsedBytes));
        var statfs = new FuseKStatFs
        {
            Blocks = (ulong)capacity / Unit,
            BFree = (ulong)free / Unit,
            BAvail = (ulong)free / Unit,
            Files = (ulong)Math.Max(0, result.Value.Files),
            FFree = 0,
            BSize = Unit,
            FrSize = Unit,
            NameLen = 255,
        };
        _session.Reply(context, statfs);
    }

    private async ValueTask ReadDirAsync(RequestContext context, bool plus)
    {
        var request = context.Read<FuseReadIn>();
        if (_directories.Get(request.Fh) is not { } directory)
        {
            _session.ReplyError(context, Errno.EBADF);
            return;
        }

        DirectoryCursor cursor;
        DirectoryCursor? stale = null;
        lock (directory)
        {
            var current = directory.Cursor;
            if (current is { Busy: false } && !current.Lifetime.IsCancellationRequested && (long)request.Offset >= current.Position && current.Error == Errno.None)
            {
                cursor = current;
            }
            else
            {
                // First call, a rewind, or the previous request on this handle hung or failed: list afresh.
                if (current is { Busy: false })
                {
                    stale = current;
                }
                else
                {
                    current?.Lifetime.Cancel();
                }

                cursor = new DirectoryCursor(_backend, directory.Node.Path);
                directory.Cursor = cursor;
            }

            cursor.Busy = true;
        }

        if (stale is not null)
        {
            await DisposeQuietlyAsync(stale);
        }

        var size = (int)Math.Min(request.Size, (uint)_options.MaxRead);
        var buffer = ArrayPool<byte>.Shared.Rent(FuseConstants.OutHeaderSize + size);
        var registration = context.CancellationToken.Register(static state => ((DirectoryCursor)state!).Lifetime.Cancel(), cursor);
        try
        {
            var used = 0;
            try
            {
                used = await FillDirectoryAsync(directory.Node, cursor, (long)request.Offset, buffer, size, plus);
            }
            catch (FsException ex) when (!context.CancellationToken.IsCancellationRequested)
            {
                cursor.Error = ex.Error;
                if (used == 0 && cursor.FilledBytes == 0)
                {
                    _session.ReplyError(context, ex.Error);
                    return;
                }

                used = cursor.FilledBytes; // answer what fits; the error is reported on the next call
            }

            _session.ReplyBuffer(context, buffer, used);
        }
        finally
        {
            await registration.DisposeAsync();
            ArrayPool<byte>.Shared.Return(buffer);
            bool replaced;
            lock (directory)
            {
                cursor.Busy = false;
                replaced = !ReferenceEquals(directory.Cursor, cursor);
            }

            if (replaced)
            {
                await DisposeQuietlyAsync(cursor);
            }
        }
    }

    private async ValueTask<int> FillDirectoryAsync(Node directory, DirectoryCursor cursor, long offset, byte[] buffer, int size, bool plus)
    {
        cursor.FilledBytes = 0;
        while (cursor.Position < offset)
        {
            if (cursor.Position >= 2 && !cursor.HasPending && !await NextEntryAsync(cursor))
            {
                return 0;
            }

            cursor.HasPending = false;
            cursor.Position++;
        }

        var used = 0;
        while (true)
        {
            string name;
            var type = FuseConstants.DtDir;
            ulong ino;
            Node? child = null;
            if (cursor.Position == 0)
            {
                name = ".";
                ino = directory.Ino;
            }
            else if (cursor.Position == 1)
            {
                name = "..";
                ino = FuseConstants.RootId;
            }
            else
            {
                if (!cursor.HasPending && !await NextEntryAsync(cursor))
                {
                    break;
                }

                var entry = cursor.Pending;
                name = entry.Name;
                if (!IsValidName(name))
                {
                    cursor.HasPending = false;
                    cursor.Position++;
                    continue;
                }

                type = entry.IsDirectory ? FuseConstants.DtDir : FuseConstants.DtReg;
                ino = 0;
            }

            var nameLength = Encoding.UTF8.GetByteCount(name);
            var record = FuseConstants.Align8((plus ? FuseConstants.EntryOutSize : 0) + FuseConstants.DirentHeaderSize + nameLength);
            if (used + record > size)
            {
                break;
            }

            var span = buffer.AsSpan(FuseConstants.OutHeaderSize + used, record);
            span.Clear();
            if (cursor.Position >= 2)
            {
                var hash = InodeTable.ChildHash(directory, name);
                if (plus)
                {
                    // Each entry handed out with attributes is a kernel lookup reference.
                    child = _inodes.Remember(InodeTable.ChildPath(directory, name), hash, cursor.Pending, Stopwatch.GetTimestamp() + _ttlTicks);
                    ino = child.Ino;
                }
                else
                {
                    ino = InodeTable.InoFromHash(hash);
                }
            }

            var direntOffset = 0;
            if (plus)
            {
                var entryOut = default(FuseEntryOut);
                if (child is not null)
                {
                    FillEntry(ref entryOut, child);
                }

                MemoryMarshal.Write(span, in entryOut);
                direntOffset = FuseConstants.EntryOutSize;
            }

            var dirent = new FuseDirent { Ino = ino, Off = (ulong)(cursor.Position + 1), NameLen = (uint)nameLength, Type = type };
            MemoryMarshal.Write(span[direntOffset..], in dirent);
            Encoding.UTF8.GetBytes(name, span[(direntOffset + FuseConstants.DirentHeaderSize)..]);
            used += record;
            cursor.FilledBytes = used;
            cursor.HasPending = false;
            cursor.Position++;
        }

        return used;
    }

    private static async ValueTask<bool> NextEntryAsync(DirectoryCursor cursor)
    {
        if (cursor.Ended)
        {
            return false;
        }

        if (!await cursor.Enumerator.MoveNextAsync())
        {
            cursor.Ended = true;
            return false;
        }

        cursor.Pending = cursor.Enumerator.Current;
        cursor.HasPending = true;
        return true;
    }

    private static bool IsValidName(string name) =>
        name.Length != 0 && name != "." && name != ".." && !name.Contains('/', StringComparison.Ordinal) &&
        !name.Contains('\0', StringComparison.Ordinal) && Encoding.UTF8.GetByteCount(name) <= 255;
}
