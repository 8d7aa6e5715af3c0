using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Csi;

/// <summary>The CSI plugin's log messages (volume ids and paths only; secrets and volume contexts are never logged).</summary>
internal static partial class CsiLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "CSI plugin {Driver} serving on {Socket} for node {Node}")]
    public static partial void Serving(ILogger logger, string driver, string socket, string node);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Publishing volume {VolumeId}: labelled node {Node} {Label}=true, waiting for the FUSE mount at {FluidPath}")]
    public static partial void Labelled(ILogger logger, string volumeId, string node, string label, string fluidPath);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Published volume {VolumeId}: {FluidPath} bound at {TargetPath} ({Mode})")]
    public static partial void Published(ILogger logger, string volumeId, string fluidPath, string targetPath, string mode);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Volume {VolumeId} already published at {TargetPath}")]
    public static partial void AlreadyPublished(ILogger logger, string volumeId, string targetPath);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Unpublished volume {VolumeId} from {TargetPath}")]
    public static partial void Unpublished(ILogger logger, string volumeId, string targetPath);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Unmounting {TargetPath} failed ({Error}); detaching it lazily")]
    public static partial void LazyUnmount(ILogger logger, string targetPath, string error);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Volume {VolumeId}: {Call} failed: {Status} {Detail}")]
    public static partial void Failed(ILogger logger, string volumeId, string call, string status, string detail);
}
