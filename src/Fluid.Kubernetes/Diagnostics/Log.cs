using Microsoft.Extensions.Logging;

namespace Fluid.Kubernetes.Diagnostics;

/// <summary>Source-generated log messages of the Kubernetes layer; event ids are stable (1000-1399).</summary>
internal static partial class Log
{
    // Informers: 1000-1099.
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Informer {Resource}: listed {Count} objects at resourceVersion {ResourceVersion} ({Pages} pages)")]
    public static partial void Listed(ILogger logger, string resource, int count, string resourceVersion, int pages);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Informer {Resource}: watching from resourceVersion {ResourceVersion}")]
    public static partial void Watching(ILogger logger, string resource, string resourceVersion);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Informer {Resource}: resourceVersion {ResourceVersion} is gone (410); relisting")]
    public static partial void Expired(ILogger logger, string resource, string resourceVersion);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Informer {Resource}: watch silent for {Silence}; restarting it")]
    public static partial void WatchdogFired(ILogger logger, string resource, TimeSpan silence);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Informer {Resource}: list or watch failed; retrying in {Delay}")]
    public static partial void ListWatchFailed(ILogger logger, Exception exception, string resource, TimeSpan delay);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Informer {Resource}: watch ended; resuming from resourceVersion {ResourceVersion}")]
    public static partial void WatchEnded(ILogger logger, string resource, string resourceVersion);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Informer {Resource}: watch error {Code} {Reason}: {Message}")]
    public static partial void WatchError(ILogger logger, string resource, int code, string? reason, string? message);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "Informer {Resource}: an event handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string resource);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Informer {Resource}: synthetic delete of {Key}, which vanished between lists")]
    public static partial void SyntheticDelete(ILogger logger, string resource, string key);

    // Controllers and queues: 1100-1199.
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Controller {Controller}: started {Workers} workers")]
    public static partial void ControllerStarted(ILogger logger, string controller, int workers);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Controller {Controller}: stopped")]
    public static partial void ControllerStopped(ILogger logger, string controller);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Controller {Controller}: reconcile of {Key} failed (attempt {Attempt}); retrying with backoff")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception, string controller, string key, int attempt);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Controller {Controller}: reconciled {Key} in {Elapsed}")]
    public static partial void Reconciled(ILogger logger, string controller, string key, TimeSpan elapsed);

    // Leader election: 1200-1299.
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Lease {Lease}: {Identity} became leader")]
    public static partial void LeadershipAcquired(ILogger logger, string lease, string identity);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Lease {Lease}: {Identity} lost leadership ({Why})")]
    public static partial void LeadershipLost(ILogger logger, string lease, string identity, string why);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Lease {Lease}: {Identity} released the lease")]
    public static partial void LeaseReleased(ILogger logger, string lease, string identity);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Debug, Message = "Lease {Lease}: held by {Holder}")]
    public static partial void LeaseHeldBy(ILogger logger, string lease, string? holder);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Lease {Lease}: acquire or renew failed")]
    public static partial void LeaseAttemptFailed(ILogger logger, Exception exception, string lease);

    // Object helpers: 1300-1399.
    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug, Message = "{Resource} {Key}: write conflicted (attempt {Attempt}); re-reading")]
    public static partial void WriteConflict(ILogger logger, string resource, string key, int attempt);
}
