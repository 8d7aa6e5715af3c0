using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Fluid.Fuse.Backend;
using Fluid.Fuse.Native;
using Fluid.Fuse.Protocol;
using Microsoft.Extensions.Logging;

namespace Fluid.Fuse.Session;

/// <summary>
/// The device side of a mount: reader threads (one cloned descriptor each), the pool of in-flight
/// requests, replies, notifications, and a watchdog that answers EIO to any request past its deadline
/// and adds a reader when one is stuck in a backend call, so the kernel is never left waiting.
/// </summary>
internal sealed unsafe class FuseSession : IDisposable
{
    private readonly int _sessionFd;
    private readonly IRequestDispatcher _dispatcher;
    private readonly FuseMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _bufferSize;
    private readonly int _threads;
    private readonly int _maxThreads;
    private readonly long _timeoutTicks;
    private readonly TimeSpan _timeout;
    private readonly List<FuseChannel> _channels = [];
    private readonly Stack<RequestContext> _free = new();
    private readonly List<RequestContext> _all = [];
    private readonly List<(RequestContext Context, long Ticket)> _expired = [];
    private readonly ManualResetEventSlim _stop = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _watchdog;
    private int _liveChannels;
    private volatile bool _stopping;

    public FuseSession(int sessionFd, IRequestDispatcher dispatcher, FuseMetrics metrics, ILogger logger, int bufferSize, int threads, int maxThreads, TimeSpan timeout)
    {
        _sessionFd = sessionFd;
        _dispatcher = dispatcher;
        _metrics = metrics;
        _logger = logger;
        _bufferSize = bufferSize;
        _threads = Math.Max(1, threads);
        _maxThreads = Math.Max(_threads, maxThreads);
        _timeout = timeout;
        _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Completes when every reader has stopped (the file system was unmounted or the connection aborted).</summary>
    public Task Ended => _ended.Task;

    public int ReaderCount
    {
        get
        {
            lock (_channels)
            {
                return _channels.Count;
            }
        }
    }

    public void Start()
    {
        for (var i = 0; i < _threads; i++)
        {
            AddChannel();
        }

        _watchdog = new Thread(WatchdogLoop) { IsBackground = true, Name = "fuse-watchdog" };
        _watchdog.Start();
    }

    /// <summary>Takes a pooled context for a request that needs tracking (deadline, interrupt, async work).</summary>
    public RequestContext Begin(FuseChannel channel, in FuseInHeader header, ReadOnlySpan<byte> arguments)
    {
        RequestContext? context;
        lock (_free)
        {
            if (!_free.TryPop(out context))
            {
                context = new RequestContext();
                _all.Add(context);
            }
        }

        context.Start(channel, header, arguments, Stopwatch.GetTimestamp() + _timeoutTicks);
        return context;
    }

    /// <summary>Returns a context once its handler has finished (whoever answered it).</summary>
    public void End(RequestContext context)
    {
        context.Reset();
        lock (_free)
        {
            _free.Push(context);
        }
    }

    public bool ReplyError(RequestContext context, Errno error)
    {
        if (!context.TryClaim())
        {
            return false;
        }

        return WriteError(context.Channel.Fd, context.Unique, error);
    }

    public bool Reply<T>(RequestContext context, in T payload)
        where T : unmanaged
    {
        if (!context.TryClaim())
        {
            return false;
        }

        return Write(context.Channel.Fd, context.Unique, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in payload)));
    }

    /// <summary>Replies with <paramref name="buffer"/>[16..16+length]; the first 16 bytes are overwritten with the header.</summary>
    public bool ReplyBuffer(RequestContext context, byte[] buffer, int length)
    {
        if (!context.TryClaim())
        {
            return false;
        }

        return WriteWithHeaderRoom(context.Channel.Fd, context.Unique, buffer, length);
    }

    /// <summary>Answers a request that was handled inline and never tracked.</summary>
    public bool WriteError(int fd, ulong unique, Errno error)
    {
        // ENOSYS answers are protocol negotiation (the kernel stops asking), EAGAIN re-queues an interrupt: not failures.
        if (error is not (Errno.None or Errno.ENOSYS or Errno.EAGAIN))
        {
            _metrics.CountError();
        }

        var header = new FuseOutHeader { Len = FuseConstants.OutHeaderSize, Error = -(int)error, Unique = unique };
        return WriteChecked(fd, (byte*)&header, FuseConstants.OutHeaderSize);
    }

    public bool Write(int fd, ulong unique, ReadOnlySpan<byte> payload)
    {
        var header = new FuseOutHeader { Len = (uint)(FuseConstants.OutHeaderSize + payload.Length), Error = 0, Unique = unique };
        fixed (byte* p = payload)
        {
            var iov = stackalloc IoVec[2];
            iov[0] = new IoVec { Base = (nint)(&header), Length = FuseConstants.OutHeaderSize };
            iov[1] = new IoVec { Base = (nint)p, Length = payload.Length };
            var n = LibC.WriteV(fd, iov, payload.Length == 0 ? 1 : 2);
            return CheckWrite(n);
        }
    }

    public bool WriteWithHeaderRoom(int fd, ulong unique, byte[] buffer, int length)
    {
        var total = FuseConstants.OutHeaderSize + length;
        MemoryMarshal.Write(buffer, new FuseOutHeader { Len = (uint)total, Error = 0, Unique = unique });
        fixed (byte* p = buffer)
        {
            return WriteChecked(fd, p, total);
        }
    }

    /// <summary>Sends an unsolicited notification (unique 0, code in the error field); returns the errno.</summary>
    public int Notify(FuseNotifyCode code, ReadOnlySpan<byte> payload)
    {
        var header = new FuseOutHeader { Len = (uint)(FuseConstants.OutHeaderSize + payload.Length), Error = (int)code, Unique = 0 };
        fixed (byte* p = payload)
        {
            var iov = stackalloc IoVec[2];
            iov[0] = new IoVec { Base = (nint)(&header), Length = FuseConstants.OutHeaderSize };
            iov[1] = new IoVec { Base = (nint)p, Length = payload.Length };
            return LibC.WriteV(_sessionFd, iov, 2) < 0 ? LibC.LastError : 0;
        }
    }

    /// <summary>Answers EINTR to the in-flight request <paramref name="unique"/> and cancels its work.</summary>
    public bool TryInterrupt(ulong unique)
    {
        RequestContext? target = null;
        long ticket = 0;
        lock (_free)
        {
            foreach (var context in _all)
            {
                var t = context.Ticket;
                if (RequestContext.IsInFlight(t) && context.Unique == unique)
                {
                    target = context;
                    ticket = t;
                    break;
                }
            }
        }

        if (target is null)
        {
            return false;
        }

        var channel = target.Channel;
        if (!target.TryClaim(ticket))
        {
            return false;
        }

        target.Interrupted = true;
        WriteError(channel.Fd, unique, Errno.EINTR);
        target.CancelWork();
        _metrics.CountInterrupt();
        return true;
    }

    public void Stop()
    {
        _stopping = true;
        _stop.Set();
    }

    public void Dispose()
    {
        Stop();
        List<FuseChannel> channels;
        lock (_channels)
        {
            channels = [.. _channels];
        }

        foreach (var channel in channels)
        {
            channel.Thread?.Join(TimeSpan.FromSeconds(2));
        }

        _watchdog?.Join(TimeSpan.FromSeconds(2));
        foreach (var channel in channels)
        {
            // A reader still blocked in read() keeps its own reference to the file; closing is safe.
            if (channel.OwnsFd)
            {
                LibC.Close(channel.Fd);
            }
        }

        _stop.Dispose();
    }

    private void AddChannel()
    {
        FuseChannel channel;
        lock (_channels)
        {
            var index = _channels.Count;
            var fd = index == 0 ? _sessionFd : CloneDevice();
            channel = new FuseChannel(index, fd < 0 ? _sessionFd : fd, ownsFd: index != 0 && fd >= 0);
            _channels.Add(channel);
            Interlocked.Increment(ref _liveChannels);
        }

        var thread = new Thread(() => ReaderLoop(channel)) { IsBackground = true, Name = $"fuse-reader-{channel.Index}" };
        channel.Thread = thread;
        thread.Start();
    }

    private int CloneDevice()
    {
        var fd = LibC.Open("/dev/fuse", LibC.ORdWr | LibC.OCloExec);
        if (fd < 0)
        {
            return -1;
        }

        var session = (uint)_sessionFd;
        if (LibC.IoCtl(fd, LibC.FuseDevIocClone, &session) != 0)
        {
            Log.CloneFailed(_logger, LibC.ErrorText(LibC.LastError));
            LibC.Close(fd);
            return -1;
        }

        return fd;
    }

    private void ReaderLoop(FuseChannel channel)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(_bufferSize, pinned: true);
        try
        {
            fixed (byte* p = buffer)
            {
                while (!_stopping)
                {
                    var n = LibC.Read(channel.Fd, p, _bufferSize);
                    if (n < 0)
                    {
                        var errno = LibC.LastError;
                        if (errno is LibC.EINTR or LibC.EAGAIN or LibC.ENOENT)
                        {
                            continue; // ENOENT: the request was interrupted before we read it
                        }

                        if (errno is not (LibC.ENODEV or LibC.ECONNABORTED))
                        {
                            Log.ReadFailed(_logger, channel.Index, LibC.ErrorText(errno));
                        }

                        break;
                    }

                    if (n < FuseConstants.InHeaderSize)
                    {
                        continue;
                    }

                    channel.BusySince = Stopwatch.GetTimestamp();
                    try
                    {
                        _dispatcher.Dispatch(channel, new ReadOnlySpan<byte>(p, (int)n));
                    }
#pragma warning disable CA1031 // a reader thread must survive any handler bug; the request is answered by the watchdog
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        Log.DispatchFailed(_logger, ex);
                    }

                    channel.BusySince = 0;
                }
            }
        }
        finally
        {
            channel.Exited = true;
            if (Interlocked.Decrement(ref _liveChannels) == 0)
            {
                _ended.TrySetResult();
            }
        }
    }

    private void WatchdogLoop()
    {
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(_timeout.TotalMilliseconds / 10, 20, 500));
        while (!_stop.Wait(interval))
        {
            var now = Stopwatch.GetTimestamp();
            _expired.Clear();
            lock (_free)
            {
                foreach (var context in _all)
                {
                    var ticket = context.Ticket;
                    if (RequestContext.IsInFlight(ticket) && context.Deadline < now)
                    {
                        _expired.Add((context, ticket));
                    }
                }
            }

            foreach (var (context, ticket) in _expired)
            {
                var unique = context.Unique;
                var channel = context.Channel;
                var opcode = context.Opcode;
                if (context.TryClaim(ticket))
                {
                    WriteError(channel.Fd, unique, Errno.EIO);
                    context.CancelWork();
                    _metrics.CountTimeout();
                    Log.RequestTimedOut(_logger, opcode, unique, _timeout.TotalSeconds);
                }
            }

            ReplaceStuckReaders(now);
        }
    }

    /// <summary>A reader stuck in a synchronous backend call past the timeout no longer counts; start another.</summary>
    private void ReplaceStuckReaders(long now)
    {
        int healthy = 0, total;
        lock (_channels)
        {
            total = _channels.Count;
            foreach (var channel in _channels)
            {
                var busy = channel.BusySince;
                if (!channel.Exited && (busy == 0 || now - busy < _timeoutTicks))
                {
                    healthy++;
                }
            }
        }

        if (!_stopping && healthy < _threads && total < _maxThreads && Volatile.Read(ref _liveChannels) > 0)
        {
            Log.ReaderAdded(_logger, total - healthy);
            AddChannel();
        }
    }

    private bool WriteChecked(int fd, byte* data, int length) => CheckWrite(LibC.Write(fd, data, length));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool CheckWrite(nint result)
    {
        if (result >= 0)
        {
            return true;
        }

        var errno = LibC.LastError;
        // ENOENT: the kernel gave up on the request (interrupted or aborted); nothing waits for the answer.
        if (errno != LibC.ENOENT && errno != LibC.ENODEV)
        {
            Log.WriteFailed(_logger, LibC.ErrorText(errno));
        }

        return false;
    }
}
