using Microsoft.Extensions.Logging;

namespace Fluid.Cache.Cluster.Diagnostics;

/// <summary>Source-generated log messages of the cluster roles (event ids 3200-3299). Tokens are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(3201, LogLevel.Information, "Worker {WorkerId} of {Dataset} ready: data {DataEndpoint}, http {HttpEndpoint}, node {NodeName}")]
    public static partial void WorkerReady(ILogger logger, string workerId, string dataset, string dataEndpoint, string httpEndpoint, string nodeName);

    [LoggerMessage(3202, LogLevel.Information, "Worker {WorkerId} stopping: {Connections} connections, waiting up to {GraceSeconds} s for requests in flight")]
    public static partial void WorkerStopping(ILogger logger, string workerId, int connections, double graceSeconds);

    [LoggerMessage(3203, LogLevel.Warning, "Refused a request on the {Port} port from {Remote}: {Reason} credential")]
    public static partial void AuthRefused(ILogger logger, string port, string remote, string reason);

    [LoggerMessage(3204, LogLevel.Debug, "Connection from {Remote} ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, string remote, string reason);

    [LoggerMessage(3205, LogLevel.Warning, "Bad request from {Remote}: {Reason}")]
    public static partial void BadRequest(ILogger logger, string remote, string reason);

    [LoggerMessage(3206, LogLevel.Error, "Request {Opcode} failed unexpectedly")]
    public static partial void RequestFailed(ILogger logger, string opcode, Exception exception);

    [LoggerMessage(3210, LogLevel.Warning, "Worker {WorkerId} ({Endpoint}) marked down for {BackoffMs} ms: {Reason}")]
    public static partial void WorkerDown(ILogger logger, string workerId, string endpoint, long backoffMs, string reason);

    [LoggerMessage(3211, LogLevel.Information, "Worker {WorkerId} ({Endpoint}) answers again; back in the ring")]
    public static partial void WorkerRejoined(ILogger logger, string workerId, string endpoint);

    [LoggerMessage(3212, LogLevel.Information, "Short-circuit reads from worker {WorkerId} are off: {Reason}")]
    public static partial void ShortCircuitRefused(ILogger logger, string workerId, string reason);

    [LoggerMessage(3213, LogLevel.Warning, "Load batch of {Files} files on worker {WorkerId} failed: {Reason}")]
    public static partial void LoadBatchFailed(ILogger logger, string workerId, int files, string reason);

    [LoggerMessage(3214, LogLevel.Information, "Membership changed: {Count} workers ({Workers})")]
    public static partial void MembershipChanged(ILogger logger, int count, string workers);

    [LoggerMessage(3215, LogLevel.Warning, "Worker at {Endpoint} says it is {ActualId} of {ActualDataset}, not {ExpectedId} of {ExpectedDataset}")]
    public static partial void WorkerIdentityMismatch(ILogger logger, string endpoint, string actualId, string actualDataset, string expectedId, string expectedDataset);

    [LoggerMessage(3216, LogLevel.Information, "Worker {WorkerId}: the sources hold {Files} files, {Bytes} bytes")]
    public static partial void TotalsComputed(ILogger logger, string workerId, long files, long bytes);

    [LoggerMessage(3217, LogLevel.Warning, "Worker {WorkerId}: walking the sources for ufsTotal and fileNum failed: {Reason}")]
    public static partial void TotalsFailed(ILogger logger, string workerId, string reason);
}
