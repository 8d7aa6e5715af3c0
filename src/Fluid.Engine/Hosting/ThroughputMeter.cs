using System.Diagnostics;

namespace Fluid.Engine.Hosting;

/// <summary>Rates of two monotonic byte counters over a sliding window, sampled once a second.</summary>
internal sealed class ThroughputMeter
{
    private readonly (long Ticks, long A, long B)[] _samples;
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public ThroughputMeter(int windowSeconds = 10)
    {
        _samples = new (long, long, long)[windowSeconds + 1];
    }

    public void Sample(long a, long b)
    {
        lock (_lock)
        {
            _samples[_next] = (Stopwatch.GetTimestamp(), a, b);
            _next = (_next + 1) % _samples.Length;
            _count = Math.Min(_count + 1, _samples.Length);
        }
    }

    /// <summary>Bytes per second of each counter between the oldest sample in the window and now.</summary>
    public (double A, double B) Rates(long a, long b)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return (0, 0);
            }

            var oldest = _samples[(_next - _count + _samples.Length) % _samples.Length];
            var seconds = Stopwatch.GetElapsedTime(oldest.Ticks).TotalSeconds;
            return seconds < 0.05 ? (0, 0) : ((a - oldest.A) / seconds, (b - oldest.B) / seconds);
        }
    }
}
