using System.Buffers;

namespace Fluid.Cache.Reading;

/// <summary>
/// One fetch of one page from the source, shared by every reader that wants the page meanwhile
/// (single-flight). The page bytes live in a pooled buffer returned to the pool when the fetch
/// and every reader that joined it have let go.
/// </summary>
internal sealed class PageFlight
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _buffer;
    private int _length;
    private int _refs;
    private volatile bool _abandoned;

    public PageFlight(int initialRefs)
    {
        _refs = initialRefs;
    }

    public Task Completion => _completion.Task;

    /// <summary>The page bytes; valid only after <see cref="Completion"/> succeeded and while a reference is held.</summary>
    public ReadOnlySpan<byte> Data => _buffer.AsSpan(0, _length);

    public bool TryAddRef()
    {
        var refs = Volatile.Read(ref _refs);
        while (refs > 0)
        {
            var seen = Interlocked.CompareExchange(ref _refs, refs + 1, refs);
            if (seen == refs)
            {
                return true;
            }

            refs = seen;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0 && _buffer is { } buffer && !_abandoned)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Attach(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>A source call timed out and may still write into the buffer later: never pool it.</summary>
    public void Abandon() => _abandoned = true;

    public void Succeed() => _completion.TrySetResult();

    public void Fail(Exception error) => _completion.TrySetException(error);
}
