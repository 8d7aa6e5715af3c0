using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Diagnostics;

/// <summary>Source-generated log messages of the operator; event ids are stable (2000-2399).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Dataset {Namespace}/{Name}: phase {Phase}")]
    public static partial void DatasetPhase(ILogger logger, string @namespace, string name, string phase);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Dataset {Namespace}/{Name}: deletion waits for pod(s) {Pods} using its PVC")]
    public static partial void DatasetInUse(ILogger logger, string @namespace, string name, string pods);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Dataset {Namespace}/{Name}: finalizer removed")]
    public static partial void DatasetReleased(ILogger logger, string @namespace, string name);

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Runtime {Namespace}/{Name}: workers {Phase} ({Ready}/{Desired} ready)")]
    public static partial void RuntimeStatus(ILogger logger, string @namespace, string name, string phase, int ready, int desired);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Runtime {Namespace}/{Name}: not set up: {Reason}")]
    public static partial void RuntimeBlocked(ILogger logger, string @namespace, string name, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Runtime {Namespace}/{Name}: clean-up finished, finalizer removed")]
    public static partial void RuntimeCleanedUp(ILogger logger, string @namespace, string name);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Debug, Message = "Runtime {Namespace}/{Name}: {Answered} of {Asked} workers answered /summary")]
    public static partial void WorkerSummaries(ILogger logger, string @namespace, string name, int answered, int asked);

    [LoggerMessage(EventId = 2200, Level = LogLevel.Information, Message = "DataLoad {Namespace}/{Name}: phase {Phase}")]
    public static partial void DataLoadPhase(ILogger logger, string @namespace, string name, string phase);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "DataLoad {Namespace}/{Name}: deleted {Ttl}s after it finished (ttlSecondsAfterFinished)")]
    public static partial void DataLoadExpired(ILogger logger, string @namespace, string name, int ttl);

    [LoggerMessage(EventId = 2300, Level = LogLevel.Information, Message = "Operator: informers synced; controllers {State}")]
    public static partial void OperatorState(ILogger logger, string state);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "Operator: health endpoint request failed")]
    public static partial void HealthRequestFailed(ILogger logger, Exception exception);
}
