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
    private readonly CacheFuseBackend _backend;
    private readonly DatasetEntry _entry;
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
        try
        {
            var read = _backend.Cache.ReadAsync(_entry, offset, buffer, cancellationToken);
            return read.IsCompletedSuccessfully ? new(FsResult<int>.Ok(read.Result)) : ReadSlowAsync(read);
        }
        catch (Exception ex)
        {
            return new(Fail(ex));
        }
    }

    public void Dispose()
    {
        // The kernel holds its own reference to a registered backing file; ours and the lease go now.
        Interlocked.Exchange(ref _backing, null)?.Dispose();
        Interlocked.Exchange(ref _lease, null)?.Dispose();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FsResult<int>> ReadSlowAsync(ValueTask<int> read)
    {
        try
        {
            return await read;
        }
        catch (Exception ex)
        {
            return Fail(ex);
        }
    }

    private FsResult<int> Fail(Exception exception)
    {
        if (exception is UfsException { Kind: UfsErrorKind.VersionMismatch })
        {
            _backend.OnStale(_entry);
        }

        return FsResult<int>.Fail(_backend.Report(exception, "read", _backend.Namespace.ToDatasetPath(_entry.Path)));
    }
}
