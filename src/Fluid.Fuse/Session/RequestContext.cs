using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Fluid.Fuse.Protocol;

namespace Fluid.Fuse.Session;

/// <summary>
/// One kernel request in flight: a copy of its arguments (the reader thread's buffer is reused at once),
/// its deadline and a cancellation source. Pooled; exactly one party answers it (the handler, the
/// timeout watchdog or an interrupt), decided by a compare-and-swap on a ticket that also carries a
/// generation, so a context reused for a new request can never be answered for the old one.
/// </summary>
internal sealed class RequestContext
{
    private const long Idle = 0;
    private const long InFlight = 1;
    private const long Answered = 2;
    private const long StateMask = 3;

    private byte[] _input = new byte[512];
    private CancellationTokenSource _cancellation = new();
    private long _ticket;

    public FuseChannel Channel { get; private set; } = null!;

    public ulong Unique { get; private set; }

    public FuseOpcode Opcode { get; private set; }

    public ulong NodeId { get; private set; }

    public int InputLength { get; private set; }

    /// <summary>Stopwatch timestamp after which the watchdog answers EIO.</summary>
    public long Deadline { get; private set; }

    public bool Interrupted { get; set; }

    public CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>Generation and state in one value; pass it back to <see cref="TryClaim(long)"/>.</summary>
    public long Ticket => Volatile.Read(ref _ticket);

    public static bool IsInFlight(long ticket) => (ticket & StateMask) == InFlight;

    public ReadOnlySpan<byte> Input => _input.AsSpan(0, InputLength);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Read<T>(int offset = 0)
        where T : unmanaged => MemoryMarshal.Read<T>(Input[offset..]);

    public void Start(FuseChannel channel, in FuseInHeader header, ReadOnlySpan<byte> arguments, long deadline)
    {
        if (_input.Length < arguments.Length)
        {
            _input = new byte[Math.Max(arguments.Length, _input.Length * 2)];
        }

        arguments.CopyTo(_input);
        InputLength = arguments.Length;
        Channel = channel;
        Unique = header.Unique;
        Opcode = (FuseOpcode)header.Opcode;
        NodeId = header.NodeId;
        Deadline = deadline;
        Interrupted = false;
        var generation = (Volatile.Read(ref _ticket) >> 2) + 1;
        Volatile.Write(ref _ticket, (generation << 2) | InFlight);
    }

    /// <summary>Claims the right to answer; false when the watchdog or an interrupt already did.</summary>
    public bool TryClaim() => TryClaim(Volatile.Read(ref _ticket));

    /// <summary>Claims the request seen as <paramref name="observed"/>; fails if it was answered or reused since.</summary>
    public bool TryClaim(long observed) =>
        IsInFlight(observed) && Interlocked.CompareExchange(ref _ticket, (observed & ~StateMask) | Answered, observed) == observed;

    /// <summary>Cancels the work of a request that was answered by someone else (timeout or interrupt).</summary>
    public void CancelWork()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException)
        {
            // A callback registered by a backend threw; the request is already answered.
        }
    }

    /// <summary>Readies the context for reuse once its handler has finished.</summary>
    public void Reset()
    {
        if (!_cancellation.TryReset())
        {
            _cancellation.Dispose();
            _cancellation = new CancellationTokenSource();
        }

        Volatile.Write(ref _ticket, Volatile.Read(ref _ticket) & ~StateMask);
    }
}
