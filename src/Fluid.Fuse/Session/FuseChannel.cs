namespace Fluid.Fuse.Session;

/// <summary>
/// One reader thread and the device descriptor it reads from (a FUSE_DEV_IOC_CLONE of the session
/// descriptor, or the session descriptor itself). Replies must go to the descriptor the request came from.
/// </summary>
internal sealed class FuseChannel(int index, int fd, bool ownsFd)
{
    private long _busySince;

    public int Index { get; } = index;

    public int Fd { get; } = fd;

    public bool OwnsFd { get; } = ownsFd;

    public Thread? Thread { get; set; }

    public bool Exited { get; set; }

    /// <summary>Stopwatch timestamp since which the thread has been dispatching one request; 0 when waiting.</summary>
    public long BusySince
    {
        get => Volatile.Read(ref _busySince);
        set => Volatile.Write(ref _busySince, value);
    }
}

/// <summary>Receives every request a reader thread reads from the device.</summary>
internal interface IRequestDispatcher
{
    /// <summary>Handles or starts handling one request; must not keep a reference to <paramref name="request"/>.</summary>
    void Dispatch(FuseChannel channel, ReadOnlySpan<byte> request);
}
