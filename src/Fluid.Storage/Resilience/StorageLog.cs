using Microsoft.Extensions.Logging;

namespace Fluid.Storage.Resilience;

/// <summary>Source-generated log messages of the storage layer (event ids 3000-3099).</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "{Mount}: {Operation} \"{Path}\" failed (attempt {Attempt} of {Attempts}), retrying in {DelayMs} ms: {Error}")]
    public static partial void RetryingCall(ILogger logger, string mount, string operation, string path, int attempt, int attempts, long delayMs, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "{Mount}: \"{Path}\" is a symbolic link that leaves the mount root or loops; it is treated as absent")]
    public static partial void SymlinkOutsideRoot(ILogger logger, string mount, string path);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "{Mount}: skipped listing entry \"{Name}\" in \"{Path}\": {Reason}")]
    public static partial void SkippedEntry(ILogger logger, string mount, string path, string name, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "{Mount}: created under file system ({Scheme})")]
    public static partial void Created(ILogger logger, string mount, string scheme);
}
