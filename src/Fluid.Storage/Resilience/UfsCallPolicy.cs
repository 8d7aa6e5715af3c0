using Fluid.Storage.Mounts;

namespace Fluid.Storage.Resilience;

/// <summary>
/// How long one attempt of an under file system call may take and how often a transient failure
/// (timeout, connection refused or reset, HTTP 5xx, S3 throttling) is retried.
/// </summary>
public sealed record UfsCallPolicy
{
    /// <summary>The defaults: 30 s per attempt, 3 retries, backoff from 100 ms doubling up to 5 s.</summary>
    public static UfsCallPolicy Default { get; } = new();

    /// <summary>Upper bound for one attempt (request and response body together).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt; 0 disables retrying.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>Backoff before the first retry; doubles for each further retry.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound of one backoff.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Reads <c>timeout</c>, <c>retries</c>, <c>retry-base-delay</c> and <c>retry-max-delay</c> from a mount's options.</summary>
    public static UfsCallPolicy FromOptions(MountOptionReader reader, UfsCallPolicy defaults) => defaults with
    {
        Timeout = reader.GetDuration(defaults.Timeout, "timeout"),
        Retries = reader.GetInt(defaults.Retries, 0, 20, "retries"),
        BaseDelay = reader.GetDuration(defaults.BaseDelay, "retry-base-delay"),
        MaxDelay = reader.GetDuration(defaults.MaxDelay, "retry-max-delay"),
    };

    /// <summary>
    /// The backoff before retry number <paramref name="retry"/> (1-based): exponential, capped, with
    /// "equal jitter" (half fixed, half random) so retries from many clients spread out but still grow.
    /// </summary>
    public TimeSpan BackoffFor(int retry)
    {
        var exponent = Math.Min(retry - 1, 30);
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }
}
