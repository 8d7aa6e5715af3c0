namespace Fluid.Kubernetes.Queues;

/// <summary>Decides how long a failed item waits before it is retried.</summary>
/// <typeparam name="T">The item type.</typeparam>
public interface IRateLimiter<in T>
{
    /// <summary>Records one more failure of <paramref name="item"/> and returns how long it should wait.</summary>
    TimeSpan When(T item);

    /// <summary>Forgets the item's failures (after it succeeded).</summary>
    void Forget(T item);

    /// <summary>How many failures of the item are on record.</summary>
    int NumRequeues(T item);
}

/// <summary>Per-item exponential backoff: <c>baseDelay * 2^(failures-1)</c>, capped at <c>maxDelay</c>.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class ExponentialBackoffRateLimiter<T>(TimeSpan baseDelay, TimeSpan maxDelay) : IRateLimiter<T>
    where T : notnull
{
    private readonly Lock _gate = new();
    private readonly Dictionary<T, int> _failures = [];

    /// <inheritdoc />
    public TimeSpan When(T item)
    {
        int failures;
        lock (_gate)
        {
            failures = _failures.GetValueOrDefault(item);
            _failures[item] = failures + 1;
        }

        // 2^failures overflows long before any sane cap; clamp the exponent first.
        double delay = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 62));
        return delay >= maxDelay.TotalMilliseconds ? maxDelay : TimeSpan.FromMilliseconds(delay);
    }

    /// <inheritdoc />
    public void Forget(T item)
    {
        lock (_gate)
        {
            _failures.Remove(item);
        }
    }

    /// <inheritdoc />
    public int NumRequeues(T item)
    {
        lock (_gate)
        {
            return _failures.GetValueOrDefault(item);
        }
    }
}

/// <summary>
/// An overall token bucket shared by all items: <c>burst</c> retries go at once, then <c>ratePerSecond</c>.
/// Each call reserves a token, so a busy bucket hands out increasing delays.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class TokenBucketRateLimiter<T> : IRateLimiter<T>
{
    private readonly Lock _gate = new();
    private readonly double _ratePerSecond;
    private readonly double _burst;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    /// <summary>Creates a full bucket.</summary>
    public TokenBucketRateLimiter(double ratePerSecond, int burst, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _ratePerSecond = ratePerSecond;
        _burst = burst;
        _tokens = burst;
        _time = time ?? TimeProvider.System;
        _last = _time.GetTimestamp();
    }

    /// <inheritdoc />
    public TimeSpan When(T item)
    {
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * _ratePerSecond));
            _last = now;
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _ratePerSecond);
        }
    }

    /// <inheritdoc />
    public void Forget(T item)
    {
    }

    /// <inheritdoc />
    public int NumRequeues(T item) => 0;
}

/// <summary>Combines limiters: the delay is the longest any of them asks for.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class MaxOfRateLimiter<T>(params IRateLimiter<T>[] limiters) : IRateLimiter<T>
{
    /// <inheritdoc />
    public TimeSpan When(T item)
    {
        var longest = TimeSpan.Zero;
        foreach (var limiter in limiters)
        {
            var delay = limiter.When(item);
            if (delay > longest)
            {
                longest = delay;
            }
        }

        return longest;
    }

    /// <inheritdoc />
    public void Forget(T item)
    {
        foreach (var limiter in limiters)
        {
            limiter.Forget(item);
        }
    }

    /// <inheritdoc />
    public int NumRequeues(T item) => limiters.Max(l => l.NumRequeues(item));
}

/// <summary>Ready-made rate limiters.</summary>
public static class RateLimiters
{
    /// <summary>
    /// The usual controller limiter: per-item backoff from 5 ms doubling up to 5 minutes, under an overall
    /// bucket of 10 retries per second with a burst of 100.
    /// </summary>
    public static IRateLimiter<T> Default<T>(TimeProvider? time = null)
        where T : notnull =>
        new MaxOfRateLimiter<T>(
            new ExponentialBackoffRateLimiter<T>(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5)),
            new TokenBucketRateLimiter<T>(10, 100, time));
}
