using System.Runtime.InteropServices;
using Fluid.Fuse.Backend;
using Fluid.Fuse.FileSystem;
using Fluid.Fuse.Mounting;
using Fluid.Fuse.Session;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Fuse;

/// <summary>
/// A read-only FUSE mount of an <see cref="IFuseBackend"/>, speaking the kernel protocol on /dev/fuse
/// directly. Disposing it unmounts; <see cref="WaitForShutdownAsync"/> also unmounts on SIGINT/SIGTERM.
/// </summary>
public sealed class FuseMount : IAsyncDisposable
{
    private readonly FuseFileSystem _fileSystem;
    private readonly FuseSession _session;
    private readonly int _sessionFd;
    private readonly MountMethod _method;
    private readonly ILogger _logger;
    private readonly EventHandler _onProcessExit;
    private int _unmounted;

    private FuseMount(string mountPoint, FuseFileSystem fileSystem, FuseSession session, int sessionFd, MountMethod method, FuseMetrics metrics, ILogger logger)
    {
        MountPoint = mountPoint;
        _fileSystem = fileSystem;
        _session = session;
        _sessionFd = sessionFd;
        _method = method;
        Metrics = metrics;
        _logger = logger;
        _onProcessExit = (_, _) => Unmount();
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
    }

    /// <summary>Absolute path of the mount point.</summary>
    public string MountPoint { get; }

    public FuseMetrics Metrics { get; }

    /// <summary>The negotiated protocol version, e.g. "7.40".</summary>
    public string ProtocolVersion => $"{_fileSystem.NegotiatedMajor}.{_fileSystem.NegotiatedMinor}";

    /// <summary>True when the kernel accepted FUSE passthrough and backing files can be registered.</summary>
    public bool PassthroughActive => _fileSystem.PassthroughActive;

    /// <summary>True when the kernel offered passthrough (Linux ≥ 6.9 built with FUSE passthrough).</summary>
    public bool KernelOffersPassthrough => _fileSystem.PassthroughOffered;

    /// <summary>True when files are opened without OPEN/RELEASE round trips.</summary>
    public bool ZeroMessageOpens => _fileSystem.ZeroMessageOpens;

    public int ReaderThreads => _session.ReaderCount;

    /// <summary>Files the kernel currently holds open through OPEN.</summary>
    public int OpenFiles => _fileSystem.OpenFiles;

    /// <summary>Nodes the kernel currently holds a reference to (including the root).</summary>
    public int KnownNodes => _fileSystem.KnownNodes;

    /// <summary>Completes when the session ends: after unmount, or when the mount was removed from outside.</summary>
    public Task Completion => _session.Ended;

    /// <summary>
    /// Mounts <paramref name="backend"/> at <paramref name="mountPoint"/> (an existing directory). A stale
    /// FUSE mount left there by a process that died is cleared first, with a warning.
    /// </summary>
    public static async Task<FuseMount> MountAsync(IFuseBackend backend, string mountPoint, FuseOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentException.ThrowIfNullOrEmpty(mountPoint);
        options ??= new FuseOptions();
        logger ??= NullLogger.Instance;
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid FUSE options: " + string.Join(" ", problems), nameof(options));
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The FUSE file system needs Linux.");
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        var method = FuseMounter.Resolve(options.MountMethod);
        FuseMounter.ClearStaleMount(full, logger);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Mount point '{full}' does not exist or is not a directory.");
        }

        var root = await backend.StatAsync(string.Empty, cancellationToken);
        if (!root.IsSuccess || !root.Value.IsDirectory)
        {
            throw new IOException($"The backend's root is not a readable directory ({(root.IsSuccess ? "not a directory" : root.Error.ToString())}).");
        }

        var metrics = new FuseMetrics(full);
        var fileSystem = new FuseFileSystem(backend, root.Value, options, metrics, logger);
        int fd;
        try
        {
            fd = FuseMounter.Mount(full, options, method);
        }
        catch
        {
            metrics.Dispose();
            throw;
        }

        // The kernel refuses a read buffer smaller than max_write plus the request headers.
        var bufferSize = Math.Max(options.MaxRead + 4096, FuseProtocolLimits.MinReadBuffer);
        var session = new FuseSession(fd, fileSystem, metrics, logger, bufferSize, options.ReaderThreads, options.MaxReaderThreads, options.RequestTimeout);
        fileSystem.Attach(session, fd);
        session.Start();
        var mount = new FuseMount(full, fileSystem, session, fd, method, metrics, logger);

        bool initialized;
        try
        {
            initialized = await fileSystem.Initialized.WaitAsync(TimeSpan.FromSeconds(15), cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            initialized = false;
        }

        if (!initialized)
        {
            await mount.DisposeAsync();
            throw new IOException($"The kernel did not complete FUSE INIT for '{full}' (see the log for the protocol version).");
        }

        FuseMounter.TuneReadAhead(full, options.ReadAheadKb, logger);
        Log.Mounted(logger, options.SourceName, full, fileSystem.NegotiatedMajor, fileSystem.NegotiatedMinor, session.ReaderCount,
            fileSystem.PassthroughActive ? "on" : "off", fileSystem.ZeroMessageOpens ? "on" : "off");
        return mount;
    }

    /// <summary>
    /// Tells the kernel to forget what it cached about <paramref name="path"/> (its pages, attributes and
    /// name), e.g. after the dataset was refreshed. Safe to call from any thread outside a request.
    /// </summary>
    public void Invalidate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _fileSystem.InvalidatePath(path.Trim('/'));
    }

    /// <summary>
    /// Serves until SIGINT, SIGTERM or SIGHUP arrives, <paramref name="cancellationToken"/> is cancelled or
    /// the mount is removed from outside; then unmounts cleanly.
    /// </summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we exit on our own once unmounted
            stop.Cancel();
        }

        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
        using (PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal))
        {
            try
            {
                await Completion.WaitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Asked to stop.
            }
        }

        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!Unmount())
        {
            return;
        }

        try
        {
            await Completion.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // Lazily detached while still in use: keep serving its last users; clean up when they leave.
            _ = Completion.ContinueWith(_ => Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return;
        }

        Release();
    }

    private bool Unmount()
    {
        if (Interlocked.Exchange(ref _unmounted, 1) != 0)
        {
            return false;
        }

        AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        if (FuseMounter.Unmount(MountPoint, _method) is { } error)
        {
            Log.UnmountFailed(_logger, MountPoint, error);
        }

        return true;
    }

    /// <summary>Runs once every reader has stopped: nothing can reply on the descriptors any more.</summary>
    private void Release()
    {
        _session.Dispose();
        Native.LibC.Close(_sessionFd);
        _fileSystem.Dispose();
        Metrics.Dispose();
        Log.Unmounted(_logger, MountPoint);
    }
}

/// <summary>Limits the kernel imposes on the session.</summary>
internal static class FuseProtocolLimits
{
    public const int MinReadBuffer = Protocol.FuseConstants.MinReadBuffer + 4096;
}
