using Microsoft.Extensions.Logging;

namespace Fluid.Engine;

/// <summary>Source-generated log messages of the engine (event ids 5000-5099). Secrets never reach them.</summary>
internal static partial class Log
{
    [LoggerMessage(5001, LogLevel.Warning, "{Operation} {Path} failed with {Errno} ({Suppressed} similar failures not logged): {Reason}")]
    public static partial void RequestFailed(ILogger logger, string operation, string path, string errno, long suppressed, string reason);

    [LoggerMessage(5002, LogLevel.Information, "Dataset {Dataset}: {Files} files, {Bytes} bytes at the source (walked in {Seconds:0.0} s)")]
    public static partial void TotalsComputed(ILogger logger, string dataset, long files, long bytes, double seconds);

    [LoggerMessage(5003, LogLevel.Warning, "Dataset {Dataset}: walking the source for ufsTotal and fileNum failed: {Reason}")]
    public static partial void TotalsFailed(ILogger logger, string dataset, string reason);

    [LoggerMessage(5004, LogLevel.Warning, "Removed the stale control socket {Socket} (left by a process that is gone)")]
    public static partial void StaleSocketRemoved(ILogger logger, string socket);

    [LoggerMessage(5005, LogLevel.Warning, "Cleared the stale mount {MountPoint} left by process {Pid} that is gone")]
    public static partial void StaleMountCleared(ILogger logger, string mountPoint, int pid);

    [LoggerMessage(5016, LogLevel.Warning, "Load asks for {Replicas} replicas, but this dataset has one cache in this process (no workers): one copy is loaded")]
    public static partial void OneCopyOnly(ILogger logger, int replicas);

    [LoggerMessage(5006, LogLevel.Information, "Load of {Paths} started")]
    public static partial void LoadStarted(ILogger logger, string paths);

    [LoggerMessage(5007, LogLevel.Information, "Load of {Paths} finished: {Files} files, {Bytes} bytes ({Fetched} fetched from the source), {Failed} failed, in {Seconds:0.0} s")]
    public static partial void LoadFinished(ILogger logger, string paths, long files, long bytes, long fetched, long failed, double seconds);

    [LoggerMessage(5008, LogLevel.Information, "Load of {Paths} cancelled")]
    public static partial void LoadCancelled(ILogger logger, string paths);

    [LoggerMessage(5009, LogLevel.Warning, "Control request {Request} failed")]
    public static partial void ControlRequestFailed(ILogger logger, string request, Exception exception);

    [LoggerMessage(5010, LogLevel.Information, "Dataset {Dataset}: shutting down ({Reason})")]
    public static partial void ShuttingDown(ILogger logger, string dataset, string reason);

    [LoggerMessage(5011, LogLevel.Warning, "Dataset {Dataset}: {Step} failed during shutdown")]
    public static partial void ShutdownStepFailed(ILogger logger, string dataset, string step, Exception exception);

    [LoggerMessage(5012, LogLevel.Debug, "Told the kernel to forget {Path} (new version at the source)")]
    public static partial void Invalidated(ILogger logger, string path);

    [LoggerMessage(5013, LogLevel.Information, "Started cache {Worker} (pid {Pid}, data port {Port})")]
    public static partial void WorkerStarted(ILogger logger, string worker, int pid, int port);

    [LoggerMessage(5014, LogLevel.Warning, "Cache {Worker} exited with code {Code}; starting it again in {Seconds:0.#} s (log: {Log})")]
    public static partial void WorkerExited(ILogger logger, string worker, int code, double seconds, string log);

    [LoggerMessage(5015, LogLevel.Error, "Cache {Worker} could not be started again: {Reason}")]
    public static partial void WorkerRestartFailed(ILogger logger, string worker, string reason);
}
