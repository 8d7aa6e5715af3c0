using System.Runtime.CompilerServices;
using Fluid.Cache;
using Fluid.Fuse.Backend;
using Fluid.Storage;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Engine.FileSystem;

/// <summary>
/// One open file of the cache backend: reads one version of the file through the cache (a hit completes
/// synchronously without allocating), and owns the leased local file offered for passthrough, if any.
/// </summary>
internal sealed class CacheFuseFile : IFuseFile
{
    /// <summary>
    /// After a failed readahead the kernel at once retries the same page on its own; when the source timed
    /// out, that retry gets the same error within this window instead of waiting a second full timeout.
    /// </summary>
    private const long FailureMemoMilliseconds = 1000;

    private readonly CacheFuseBackend _backend;
    private readonly DatasetEntry _entry;
    private long _failedPage = -1;
    private long _failedAt;
    private SafeFileHandle? _backing;
    private LocalFileLease? _lease;

    public CacheFuseFile(CacheFuseBackend backend, DatasetEntry entry, SafeFileHandle? backing, LocalFileLease? lease)
    {
        _backend = backend;
        _entry = entry;
        _backing = backing;
        _lease = lease;
    }

    public SafeFileHandle? BackingFile => _backing;

    public ValueTask<FsResult<int>> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _failedPage) == offset / _backend.Cache.PageSize &&
            Environment.TickCount64 - Volatile.Read(ref _failedAt) < FailureMemoMilliseconds)
        {
            return new(FsResult<int>.Fail(Errno.EIO));
        }

        try
        {
            var read = _backend.Cache.ReadAsync(_entry, offset, buffer, cancellationToken);
            return read.IsCompletedSuccessfully ? new(FsResult<int>.Ok(read.Result)) : ReadSlowAsync(read, offset);
        }
        catch (Exception ex)
        {
            return new(Fail(ex, offset));
        }
    }

    public void Dispose()
    {
        // The kernel holds its own reference to a registered backing file; ours and the lease go now.
        Interlocked.Exchange(ref _backing, null)?.Dispose();
        Interlocked.Exchange(ref _lease, null)?.Dispose();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FsResult<int>> ReadSlowAsync(ValueTask<int> read, long offset)
    {
        try
        {
            return await read;
        }
        catch (Exception ex)
        {
            return Fail(ex, offset);
        }
    }

    private FsResult<int> Fail(Exception exception, long offset)
    {
        if (exception is UfsException { Kind: UfsErrorKind.VersionMismatch })
        {
            _backend.OnStale(_entry);
        }

        var errno = _backend.Report(exception, "read", _backend.Namespace.ToDatasetPath(_entry.Path));
        if (exception is UfsException { Kind: UfsErrorKind.Timeout })
        {
            Volatile.Write(ref _failedAt, Environment.TickCount64);
            Volatile.Write(ref _failedPage, offset / _backend.Cache.PageSize);
        }

        return FsResult<int>.Fail(errno);
    }
}
