using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Fluid.Fuse.Native;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Fuse.Backend;

/// <summary>
/// Serves a local directory read-only. Every path is resolved by the kernel with openat2(RESOLVE_BENEATH)
/// relative to the root, so neither ".." nor a symlink can reach outside it; symlinks that stay inside
/// are followed, others are hidden. Only regular files and directories are shown.
/// </summary>
public sealed class DirectoryBackend : IFuseBackend, IDisposable
{
    private const ulong Resolve = LibC.ResolveBeneath | LibC.ResolveNoMagicLinks;
    private const int ONonBlock = 0x800;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly int _rootFd;
    private int _disposed;

    public DirectoryBackend(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        if (!Directory.Exists(Root))
        {
            throw new DirectoryNotFoundException($"DirectoryBackend: source directory '{Root}' does not exist.");
        }

        _rootFd = LibC.Open(Root, LibC.OPath | LibC.ODirectory | LibC.OCloExec);
        if (_rootFd < 0)
        {
            throw new IOException($"DirectoryBackend: cannot open '{Root}': {LibC.ErrorText(LibC.LastError)}");
        }
    }

    /// <summary>The absolute path of the served directory.</summary>
    public string Root { get; }

    public ValueTask<FsResult<FsEntry>> StatAsync(string path, CancellationToken cancellationToken)
    {
        var error = ValidatePath(path);
        if (error != Errno.None)
        {
            return new(FsResult<FsEntry>.Fail(error));
        }

        var fd = OpenBeneath(path, LibC.OPath | LibC.OCloExec);
        if (fd < 0)
        {
            return new(FsResult<FsEntry>.Fail(MapOpenError(-fd)));
        }

        try
        {
            return new(StatFd(fd, NameOf(path)));
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    public IAsyncEnumerable<FsEntry> ListAsync(string path, CancellationToken cancellationToken) => new Listing(this, path);

    public ValueTask<FsResult<IFuseFile>> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var error = ValidatePath(path);
        if (error != Errno.None)
        {
            return new(FsResult<IFuseFile>.Fail(error));
        }

        // O_NONBLOCK so a FIFO planted in the source can never block a reader thread; regular files ignore it.
        var fd = OpenBeneath(path, LibC.ORdOnly | LibC.OCloExec | ONonBlock);
        if (fd < 0)
        {
            return new(FsResult<IFuseFile>.Fail(MapOpenError(-fd)));
        }

        var stat = StatFd(fd, string.Empty);
        if (!stat.IsSuccess || stat.Value.IsDirectory)
        {
            LibC.Close(fd);
            return new(FsResult<IFuseFile>.Fail(stat.IsSuccess ? Errno.EISDIR : stat.Error));
        }

        return new(FsResult<IFuseFile>.Ok(new LocalFile(new SafeFileHandle(fd, ownsHandle: true))));
    }

    public unsafe ValueTask<FsResult<FsCapacity>> StatFsAsync(CancellationToken cancellationToken)
    {
        StatVfsBuffer buffer;
        if (LibC.FStatVfs(_rootFd, &buffer) != 0)
        {
            return new(FsResult<FsCapacity>.Fail(Errno.EIO));
        }

        var unit = (long)(buffer.FrSize != 0 ? buffer.FrSize : buffer.BSize);
        var capacity = (long)buffer.Blocks * unit;
        var used = (long)(buffer.Blocks - buffer.BFree) * unit;
        return new(FsResult<FsCapacity>.Ok(new FsCapacity(capacity, used, (long)(buffer.Files - buffer.FFree))));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            LibC.Close(_rootFd);
        }
    }

    /// <summary>Rejects anything but a clean relative path: no "." or ".." segments, no empty segments, no NUL.</summary>
    internal static Errno ValidatePath(string path)
    {
        if (path.Length == 0)
        {
            return Errno.None;
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return Errno.EINVAL;
        }

        var start = 0;
        while (start <= path.Length)
        {
            var end = path.IndexOf('/', start);
            if (end < 0)
            {
                end = path.Length;
            }

            var segment = path.AsSpan(start, end - start);
            if (segment.Length == 0 || segment is "." || segment is "..")
            {
                return Errno.ENOENT;
            }

            if (Encoding.UTF8.GetByteCount(segment) > 255)
            {
                return Errno.ENAMETOOLONG;
            }

            start = end + 1;
        }

        return Errno.None;
    }

    private static string NameOf(string path) => path.Length == 0 ? string.Empty : path[(path.LastIndexOf('/') + 1)..];

    private unsafe int OpenBeneath(string path, int flags)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var relative = path.Length == 0 ? "." : path;
        var byteCount = Encoding.UTF8.GetByteCount(relative) + 1;
        byte[]? rented = null;
        var bytes = byteCount <= 1024 ? stackalloc byte[byteCount] : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        try
        {
            var written = Encoding.UTF8.GetBytes(relative, bytes);
            bytes[written] = 0;
            fixed (byte* p = bytes)
            {
                int fd;
                do
                {
                    fd = LibC.OpenAt2(_rootFd, p, (ulong)flags, Resolve);
                }
                while (fd == -LibC.EAGAIN || fd == -LibC.EINTR);
                return fd;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static Errno MapOpenError(int errno) => errno switch
    {
        2 => Errno.ENOENT,
        20 => Errno.ENOTDIR,
        13 or 1 => Errno.EACCES,
        36 => Errno.ENAMETOOLONG,
        // EXDEV: the path would leave the root; ELOOP: symlink loop or a symlink to outside. Both look absent.
        18 or 40 => Errno.ENOENT,
        _ => Errno.EIO,
    };

    private static unsafe FsResult<FsEntry> StatFd(int fd, string name)
    {
        StatxBuffer stat;
        byte empty = 0;
        if (LibC.Statx(fd, &empty, LibC.AtEmptyPath, LibC.StatxBasicStats, &stat) != 0)
        {
            return FsResult<FsEntry>.Fail(Errno.EIO);
        }

        return ToEntry(name, in stat);
    }

    private static FsResult<FsEntry> ToEntry(string name, in StatxBuffer stat)
    {
        var type = stat.Mode & 0xF000;
        FsEntryKind kind;
        if (type == 0x4000)
        {
            kind = FsEntryKind.Directory;
        }
        else if (type == 0x8000)
        {
            kind = FsEntryKind.File;
        }
        else
        {
            // Devices, sockets and FIFOs are not dataset content.
            return FsResult<FsEntry>.Fail(Errno.ENOENT);
        }

        var modified = DateTimeOffset.FromUnixTimeSeconds(stat.MTime.Seconds).AddTicks(stat.MTime.Nanoseconds / 100);
        var length = kind == FsEntryKind.File ? (long)stat.Size : 0;
        var version = kind == FsEntryKind.File
            ? string.Create(null, stackalloc char[64], $"{length}-{stat.MTime.Seconds}.{stat.MTime.Nanoseconds}")
            : null;
        return FsResult<FsEntry>.Ok(new FsEntry(name, kind, length, modified, version));
    }

    /// <summary>A regular file opened beneath the root; its descriptor doubles as the passthrough backing file.</summary>
    private sealed class LocalFile(SafeFileHandle handle) : IFuseFile
    {
        public SafeFileHandle? BackingFile => handle;

        public ValueTask<FsResult<int>> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            try
            {
                // A local pread completes at once; answering synchronously spares a thread-pool hop.
                var total = 0;
                while (total < buffer.Length)
                {
                    var n = RandomAccess.Read(handle, buffer.Span[total..], offset + total);
                    if (n == 0)
                    {
                        break;
                    }

                    total += n;
                }

                return new(FsResult<int>.Ok(total));
            }
            catch (IOException)
            {
                return new(FsResult<int>.Fail(Errno.EIO));
            }
            catch (ObjectDisposedException)
            {
                return new(FsResult<int>.Fail(Errno.EBADF));
            }
        }

        public void Dispose() => handle.Dispose();
    }

    /// <summary>Streams a directory with getdents64: one small buffer, nothing materialised.</summary>
    private sealed class Listing(DirectoryBackend owner, string path) : IAsyncEnumerable<FsEntry>
    {
        public IAsyncEnumerator<FsEntry> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            new Enumerator(owner, path, cancellationToken);
    }

    private sealed class Enumerator : IAsyncEnumerator<FsEntry>
    {
        private const int BufferSize = 32 * 1024;
        private readonly DirectoryBackend _owner;
        private readonly string _path;
        private readonly CancellationToken _cancellationToken;
        private byte[]? _buffer;
        private int _fd = -1;
        private int _filled;
        private int _position;
        private bool _finished;

        public Enumerator(DirectoryBackend owner, string path, CancellationToken cancellationToken)
        {
            _owner = owner;
            _path = path;
            _cancellationToken = cancellationToken;
        }

        public FsEntry Current { get; private set; }

        public ValueTask<bool> MoveNextAsync()
        {
            if (_finished)
            {
                return new(false);
            }

            if (_fd < 0)
            {
                var error = ValidatePath(_path);
                if (error != Errno.None)
                {
                    throw new FsException(error, $"list '{_path}': {error}");
                }

                var fd = _owner.OpenBeneath(_path, LibC.ORdOnly | LibC.ODirectory | LibC.OCloExec);
                if (fd < 0)
                {
                    var mapped = MapOpenError(-fd);
                    throw new FsException(mapped, $"list '{_path}': {mapped}");
                }

                _fd = fd;
                _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            }

            while (true)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (_position >= _filled && !Fill())
                {
                    _finished = true;
                    return new(false);
                }

                if (TryTakeRecord(out var entry))
                {
                    Current = entry;
                    return new(true);
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            if (_fd >= 0)
            {
                LibC.Close(_fd);
                _fd = -1;
            }

            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }

            return ValueTask.CompletedTask;
        }

        private unsafe bool Fill()
        {
            fixed (byte* p = _buffer)
            {
                nint n;
                do
                {
                    n = LibC.GetDents64(_fd, p, BufferSize);
                }
                while (n < 0 && LibC.LastError == LibC.EINTR);

                if (n < 0)
                {
                    throw new FsException(Errno.EIO, $"list '{_path}': {LibC.ErrorText(LibC.LastError)}");
                }

                _filled = (int)n;
                _position = 0;
                return n > 0;
            }
        }

        private unsafe bool TryTakeRecord(out FsEntry entry)
        {
            entry = default;
            var record = _buffer.AsSpan(_position, _filled - _position);
            var reclen = MemoryMarshal.Read<ushort>(record[16..]);
            var type = record[18];
            var nameBytes = record[19..reclen];
            nameBytes = nameBytes[..nameBytes.IndexOf((byte)0)];
            _position += reclen;

            if (nameBytes is [(byte)'.'] || nameBytes is [(byte)'.', (byte)'.'])
            {
                return false;
            }

            string name;
            try
            {
                name = StrictUtf8.GetString(nameBytes);
            }
            catch (DecoderFallbackException)
            {
                return false; // a name that cannot round-trip through a string could never be opened again
            }

            const byte DtDir = 4, DtReg = 8;
            StatxBuffer stat;
            int rc;
            if (type is DtDir or DtReg)
            {
                Span<byte> z = stackalloc byte[nameBytes.Length + 1];
                nameBytes.CopyTo(z);
                z[^1] = 0;
                fixed (byte* pz = z)
                {
                    rc = LibC.Statx(_fd, pz, LibC.AtSymlinkNoFollow, LibC.StatxBasicStats, &stat);
                }
            }
            else
            {
                // Symlinks (and unknown types) are resolved from the root so that escapes are refused by the kernel.
                var childPath = _path.Length == 0 ? name : string.Concat(_path, "/", name);
                var fd = _owner.OpenBeneath(childPath, LibC.OPath | LibC.OCloExec);
                if (fd < 0)
                {
                    return false;
                }

                byte empty = 0;
                rc = LibC.Statx(fd, &empty, LibC.AtEmptyPath, LibC.StatxBasicStats, &stat);
                LibC.Close(fd);
            }

            if (rc != 0)
            {
                return false;
            }

            var result = ToEntry(name, in stat);
            if (!result.IsSuccess)
            {
                return false;
            }

            entry = result.Value;
            return true;
        }
    }
}
