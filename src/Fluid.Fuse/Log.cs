using Fluid.Fuse.Protocol;
using Microsoft.Extensions.Logging;

namespace Fluid.Fuse;

/// <summary>Source-generated log messages of the FUSE file system (event ids 4000-4099).</summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Information, "Mounted {Source} at {MountPoint} (FUSE {Major}.{Minor}, {Readers} readers, passthrough {Passthrough}, zero-message opens {ZeroMessageOpens})")]
    public static partial void Mounted(ILogger logger, string source, string mountPoint, uint major, uint minor, int readers, string passthrough, string zeroMessageOpens);

    [LoggerMessage(4001, LogLevel.Information, "Unmounted {MountPoint}")]
    public static partial void Unmounted(ILogger logger, string mountPoint);

    [LoggerMessage(4002, LogLevel.Warning, "Cleared a stale FUSE mount ({FileSystemType}) at {MountPoint}: {Reason}")]
    public static partial void StaleMountCleared(ILogger logger, string mountPoint, string fileSystemType, string reason);

    [LoggerMessage(4003, LogLevel.Warning, "Request {Opcode} #{Unique} did not finish within {TimeoutSeconds}s; answered EIO")]
    public static partial void RequestTimedOut(ILogger logger, FuseOpcode opcode, ulong unique, double timeoutSeconds);

    [LoggerMessage(4004, LogLevel.Warning, "A reader is stuck in a backend call; {Stuck} stuck, starting another reader")]
    public static partial void ReaderAdded(ILogger logger, int stuck);

    [LoggerMessage(4005, LogLevel.Warning, "FUSE_DEV_IOC_CLONE failed ({Error}); readers share the session descriptor")]
    public static partial void CloneFailed(ILogger logger, string error);

    [LoggerMessage(4006, LogLevel.Error, "Reading /dev/fuse failed on reader {Reader}: {Error}")]
    public static partial void ReadFailed(ILogger logger, int reader, string error);

    [LoggerMessage(4007, LogLevel.Error, "Dispatching a FUSE request failed")]
    public static partial void DispatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(4008, LogLevel.Warning, "Writing a FUSE reply failed: {Error}")]
    public static partial void WriteFailed(ILogger logger, string error);

    [LoggerMessage(4009, LogLevel.Error, "Request {Opcode} failed in the backend")]
    public static partial void HandlerFailed(ILogger logger, FuseOpcode opcode, Exception exception);

    [LoggerMessage(4010, LogLevel.Warning, "FUSE passthrough disabled: FUSE_DEV_IOC_BACKING_OPEN failed with {Error}")]
    public static partial void PassthroughDisabled(ILogger logger, string error);

    [LoggerMessage(4011, LogLevel.Debug, "Passthrough not used for {Path}: {Reason}")]
    public static partial void PassthroughFallback(ILogger logger, string path, string reason);

    [LoggerMessage(4012, LogLevel.Debug, "Set read_ahead_kb of {Bdi} to {ReadAheadKb}: {Result}")]
    public static partial void ReadAheadSet(ILogger logger, string bdi, int readAheadKb, string result);

    [LoggerMessage(4013, LogLevel.Error, "The kernel speaks FUSE {Major}.{Minor}; this file system needs 7.{MinimumMinor} or later")]
    public static partial void UnsupportedProtocol(ILogger logger, uint major, uint minor, uint minimumMinor);

    [LoggerMessage(4014, LogLevel.Warning, "Unmounting {MountPoint} failed: {Error}")]
    public static partial void UnmountFailed(ILogger logger, string mountPoint, string error);
}
