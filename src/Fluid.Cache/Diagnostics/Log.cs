using Microsoft.Extensions.Logging;

namespace Fluid.Cache.Diagnostics;

/// <summary>Source-generated log messages of the cache (event ids 3100-3199).</summary>
internal static partial class Log
{
    [LoggerMessage(3101, LogLevel.Information, "Cache {Dataset}: recovered {Pages} pages ({Bytes} bytes) from {Store}, dropped {Corrupt} damaged pages")]
    public static partial void Recovered(ILogger logger, string dataset, long pages, long bytes, string store, long corrupt);

    [LoggerMessage(3102, LogLevel.Warning, "Cache {Dataset}: page {Index} of {Path} in {Store} failed its checksum; dropped and re-read from the source")]
    public static partial void CorruptPage(ILogger logger, string dataset, int index, string path, string store);

    [LoggerMessage(3103, LogLevel.Warning, "Cache {Dataset}: could not write a page of {Path} to {Store}; it stays uncached there")]
    public static partial void DiskWriteFailed(ILogger logger, string dataset, string path, string store, Exception exception);

    [LoggerMessage(3104, LogLevel.Information, "Cache {Dataset}: metadata refresh of {Path} failed, serving the cached entry: {Reason}")]
    public static partial void ServingStaleMetadata(ILogger logger, string dataset, string path, string reason);

    [LoggerMessage(3105, LogLevel.Information, "Cache {Dataset}: {Path} changed at the source (version {OldVersion} -> {NewVersion}); dropping the old pages")]
    public static partial void VersionChanged(ILogger logger, string dataset, string path, string oldVersion, string newVersion);

    [LoggerMessage(3106, LogLevel.Debug, "Cache {Dataset}: readahead of {Path} page {Index} failed: {Reason}")]
    public static partial void ReadaheadFailed(ILogger logger, string dataset, string path, int index, string reason);

    [LoggerMessage(3107, LogLevel.Warning, "Cache {Dataset}: background eviction failed")]
    public static partial void EvictionFailed(ILogger logger, string dataset, Exception exception);
}
