using System.Runtime.CompilerServices;
using Fluid.Fuse.Backend;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Fuse.Tests.Support;

/// <summary>What the fault backend does to a call that matches its path filter.</summary>
public enum Fault
{
    None,

    /// <summary>Never answers until released (honours cancellation, like a stuck network call).</summary>
    Hang,

    /// <summary>Answers EIO.</summary>
    Fail,

    /// <summary>Answers after <see cref="FaultBackend.Delay"/>.</summary>
    Slow,
}

/// <summary>Wraps a backend and injects hangs, EIO and delays into stat, list, open and read for chosen paths.</summary>
public sealed class FaultBackend(IFuseBackend inner) : IFuseBackend
{
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _hangingCalls;

    public Fault Fault { get; set; }

    /// <summary>Which paths are affected; all when null.</summary>
    public Func<string, bool>? Affects { get; set; }

    /// <summary>Which operations are affected ("stat", "list", "open", "read"); all when null.</summary>
    public ISet<string>? Operations { get; set; }

    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(200);

    public FsCapacity? Capacity { get; set; }

    /// <summary>Calls currently hanging.</summary>
    public int HangingCalls => Volatile.Read(ref _hangingCalls);

    /// <summary>Lets every hanging call go on and stops injecting faults.</summary>
    public void Heal()
    {
        Fault = Fault.None;
        Interlocked.Exchange(ref _release, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async ValueTask<FsResult<FsEntry>> StatAsync(string path, CancellationToken cancellationToken)
    {
        if (await InjectAsync("stat", path, cancellationToken) is { } error)
        {
            return error;
        }

        return await inner.StatAsync(path, cancellationToken);
    }

    public async IAsyncEnumerable<FsEntry> ListAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (await InjectAsync("list", path, cancellationToken) is { } error)
        {
            throw new FsException(error, $"injected {error}");
        }

        await foreach (var entry in inner.ListAsync(path, cancellationToken))
        {
            yield return entry;
        }
    }

    public async ValueTask<FsResult<IFuseFile>> OpenAsync(string path, CancellationToken cancellationToken)
    {
        if (await InjectAsync("open", path, cancellationToken) is { } error)
        {
            return error;
        }

        var opened = await inner.OpenAsync(path, cancellationToken);
        return opened.IsSuccess ? FsResult<IFuseFile>.Ok(new FaultFile(this, path, opened.Value)) : opened;
    }

    public async ValueTask<FsResult<FsCapacity>> StatFsAsync(CancellationToken cancellationToken)
    {
        if (await InjectAsync("statfs", string.Empty, cancellationToken) is { } error)
        {
            return error;
        }

        return Capacity is { } capacity ? capacity : await inner.StatFsAsync(cancellationToken);
    }

    private async ValueTask<Errno?> InjectAsync(string operation, string path, CancellationToken cancellationToken)
    {
        var fault = Fault;
        if (fault == Fault.None || (Affects is not null && !Affects(path)) || (Operations is not null && !Operations.Contains(operation)))
        {
            return null;
        }

        switch (fault)
        {
            case Fault.Fail:
                return Errno.EIO;
            case Fault.Slow:
                await Task.Delay(Delay, cancellationToken);
                return null;
            case Fault.Hang:
                Interlocked.Increment(ref _hangingCalls);
                try
                {
                    await Volatile.Read(ref _release).Task.WaitAsync(cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref _hangingCalls);
                }

                return null;
            default:
                return null;
        }
    }

    private sealed class FaultFile(FaultBackend owner, string path, IFuseFile inner) : IFuseFile
    {
        public SafeFileHandle? BackingFile => inner.BackingFile;

        public async ValueTask<FsResult<int>> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (await owner.InjectAsync("read", path, cancellationToken) is { } error)
            {
                return error;
            }

            return await inner.ReadAsync(offset, buffer, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }
}
