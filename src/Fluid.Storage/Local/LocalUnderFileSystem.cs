using System.Globalization;
using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using Fluid.Storage.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Storage.Local;

/// <summary>
/// A directory on this machine (<c>local://</c>, or a mounted claim for <c>pvc://</c>). Every path is
/// resolved with realpath and must stay inside the real root: a symlink that leaves the root, dangles
/// or loops is treated as absent (not listed, stat returns null, read fails with NotFound), and so
/// are sockets, FIFOs and devices. Reads verify that the opened file is inside the root and that its
/// version (size, nanosecond mtime, inode) is unchanged before and after the read.
/// </summary>
internal sealed class LocalUnderFileSystem : IUnderFileSystem
{
    private static readonly EnumerationOptions ListingOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private readonly string _root;
    private readonly UfsCallRunner _runner;
    private readonly ILogger _logger;
    private string? _realRoot;

    public LocalUnderFileSystem(string root, string displayName, UfsCallRunner runner, ILogger logger)
    {
        _root = root;
        DisplayName = displayName;
        _runner = runner;
        _logger = logger;
    }

    public string DisplayName { get; }

    /// <summary>The configured root directory.</summary>
    public string Root => _root;

    /// <summary>Classifies exceptions of local file calls (used by the call runner).</summary>
    public static UfsAttemptException? Classify(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => new UfsAttemptException(UfsErrorKind.NotFound, "no such file or directory", transient: false, ex),
        UnauthorizedAccessException => new UfsAttemptException(UfsErrorKind.PermissionDenied, "permission denied", transient: false, ex),
        IOException io => new UfsAttemptException(UfsErrorKind.Unavailable, io.Message, transient: false, ex),
        _ => null,
    };

    /// <summary>The version token of a local file: size, mtime in nanoseconds and inode, in hex.</summary>
    public static string VersionOf(in LinuxNative.StatxBuffer stat) =>
        string.Create(CultureInfo.InvariantCulture, $"{stat.Size:x}-{stat.MtimeSeconds:x}.{stat.MtimeNanoseconds:x}-{stat.Inode:x}");

    public Task<UfsEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        ThrowIfInvalid(path, "stat");
        return _runner.RunAsync(
            "stat",
            path,
            (Self: this, Path: path),
            static (s, token) => Task.Run(() => s.Self.StatCore(s.Path), token).WaitAsync(token),
            cancellationToken);
    }

    public async IAsyncEnumerable<UfsEntry> ListAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfInvalid(path, "list");
        var directory = await _runner.RunAsync(
            "list",
            path,
            (Self: this, Path: path),
            static (s, token) => Task.Run(() => s.Self.OpenDirectory(s.Path), token).WaitAsync(token),
            cancellationToken).ConfigureAwait(false);

        using var enumerator = directory.GetEnumerator();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!MoveNext(enumerator, path))
            {
                yield break;
            }

            var child = enumerator.Current;
            var entry = StatChild(path, directory.RealPath, child);
            if (entry is not null)
            {
                yield return entry;
            }
        }
    }

    public ValueTask<int> ReadAsync(UfsEntry file, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ThrowIfInvalid(file.Path, "read");
        if (file.IsDirectory)
        {
            throw _runner.Error(UfsErrorKind.IsADirectory, "read", file.Path, "is a directory");
        }

        return new ValueTask<int>(_runner.RunAsync(
            "read",
            file.Path,
            (Self: this, File: file, Offset: offset, Buffer: buffer),
            static (s, token) => s.Self.ReadCoreAsync(s.File, s.Offset, s.Buffer, token),
            cancellationToken));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<int> ReadCoreAsync(UfsEntry file, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        // Opening can block on a hung network file system, so it runs on the pool and the attempt can
        // time out; the data read itself is never abandoned because it writes into the caller's buffer.
        var open = Task.Run(() => OpenVerified(file), cancellationToken);
        SafeFileHandle handle;
        try
        {
            handle = await open.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The open may still finish later: close what it opens.
            _ = open.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }

        using (handle)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, CancellationToken.None).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            CheckVersion(handle, file, "changed while it was read");
            return total;
        }
    }

    private SafeFileHandle OpenVerified(UfsEntry file)
    {
        var resolved = Resolve(file.Path) ?? throw new UfsAttemptException(UfsErrorKind.NotFound, "no such file", transient: false);
        if (resolved.Stat.IsDirectory)
        {
            throw new UfsAttemptException(UfsErrorKind.IsADirectory, "is a directory", transient: false);
        }

        var handle = File.OpenHandle(resolved.RealPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            // realpath and open are two steps: make sure a symlink swapped in between did not lead us out.
            var opened = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
            if (opened is not null && !IsInsideRoot(StripDeleted(opened), RealRoot()))
            {
                StorageLog.SymlinkOutsideRoot(_logger, _runner.MountLabel, file.Path);
                throw new UfsAttemptException(UfsErrorKind.NotFound, "no such file", transient: false);
            }

            CheckVersion(handle, file, "changed since it was listed");
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static string StripDeleted(string target) =>
        target.EndsWith(" (deleted)", StringComparison.Ordinal) ? target[..^10] : target;

    private static void CheckVersion(SafeFileHandle handle, UfsEntry file, string what)
    {
        var errno = LinuxNative.StatHandle(handle, out var stat);
        if (errno != 0)
        {
            throw new UfsAttemptException(UfsErrorKind.Unavailable, $"fstat failed: {LinuxNative.Describe(errno)}", transient: false);
        }

        var version = VersionOf(stat);
        if (!string.Equals(version, file.Version, StringComparison.Ordinal))
        {
            throw new UfsAttemptException(UfsErrorKind.VersionMismatch, $"the file {what} (version {file.Version}, now {version})", transient: false);
        }
    }

    private UfsEntry? StatCore(string path)
    {
        var resolved = Resolve(path);
        return resolved is null ? null : ToEntry(path, resolved.Stat);
    }

    private DirectoryListing OpenDirectory(string path)
    {
        var resolved = Resolve(path) ?? throw new UfsAttemptException(UfsErrorKind.NotFound, "no such directory", transient: false);
        if (!resolved.Stat.IsDirectory)
        {
            throw new UfsAttemptException(UfsErrorKind.NotADirectory, "not a directory", transient: false);
        }

        // The enumerable opens the directory lazily; creating it here keeps the open on the timed path.
        var enumerable = new FileSystemEnumerable<ChildName>(
            resolved.RealPath,
            static (ref FileSystemEntry entry) => new ChildName(entry.FileName.ToString(), (entry.Attributes & FileAttributes.ReparsePoint) != 0),
            ListingOptions);
        return new DirectoryListing(resolved.RealPath, enumerable);
    }

    private bool MoveNext(IEnumerator<ChildName> enumerator, string path)
    {
        try
        {
            return enumerator.MoveNext();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var failure = Classify(ex)!;
            throw _runner.Error(failure.Kind, "list", path, failure.Message, ex);
        }
    }

    private UfsEntry? StatChild(string directory, string realDirectory, ChildName child)
    {
        if (!UfsPath.IsValidName(child.Name) || child.Name.Contains('\uFFFD', StringComparison.Ordinal))
        {
            // Not representable as a mount-relative path (e.g. a name that is not valid UTF-8).
            StorageLog.SkippedEntry(_logger, _runner.MountLabel, directory, child.Name, "the name is not valid UTF-8");
            return null;
        }

        var childPath = UfsPath.Combine(directory, child.Name);
        var childReal = string.Concat(realDirectory, realDirectory.EndsWith('/') ? string.Empty : "/", child.Name);
        if (child.IsLink)
        {
            var resolved = ResolveReal(childReal, childPath);
            return resolved is null ? null : ToEntry(childPath, resolved.Stat);
        }

        var errno = LinuxNative.StatNoFollow(childReal, out var stat);
        if (errno != 0 || stat.IsSymlink || !(stat.IsDirectory || stat.IsRegularFile))
        {
            // Removed since the directory was read, or a special file (socket, FIFO, device).
            return null;
        }

        return ToEntry(childPath, stat);
    }

    private Resolved? Resolve(string path) =>
        ResolveReal(path.Length == 0 ? _root : string.Concat(_root, _root.EndsWith('/') ? string.Empty : "/", path), path);

    private Resolved? ResolveReal(string fullPath, string path)
    {
        // Checked first so a missing mount root is reported as such, not as a missing file.
        var realRoot = RealRoot();
        var errno = LinuxNative.RealPath(fullPath, out var real);
        switch (errno)
        {
            case 0:
                break;
            case LinuxNative.ENOENT or LinuxNative.ENOTDIR:
                return null;
            case LinuxNative.ELOOP:
                StorageLog.SymlinkOutsideRoot(_logger, _runner.MountLabel, path);
                return null;
            case LinuxNative.EACCES:
                throw new UfsAttemptException(UfsErrorKind.PermissionDenied, "permission denied", transient: false);
            case LinuxNative.ENAMETOOLONG:
                throw new UfsAttemptException(UfsErrorKind.InvalidPath, "the path is too long", transient: false);
            default:
                throw new UfsAttemptException(UfsErrorKind.Unavailable, LinuxNative.Describe(errno), transient: errno is LinuxNative.EIO or LinuxNative.ESTALE);
        }

        if (!IsInsideRoot(real, realRoot))
        {
            StorageLog.SymlinkOutsideRoot(_logger, _runner.MountLabel, path);
            return null;
        }

        errno = LinuxNative.StatNoFollow(real, out var stat);
        if (errno != 0 || stat.IsSymlink || !(stat.IsDirectory || stat.IsRegularFile))
        {
            return null;
        }

        return new Resolved(real, stat);
    }

    private string RealRoot()
    {
        if (_realRoot is { } cached)
        {
            return cached;
        }

        var errno = LinuxNative.RealPath(_root, out var real);
        if (errno != 0 || LinuxNative.StatNoFollow(real, out var stat) != 0 || !stat.IsDirectory)
        {
            var reason = errno != 0 ? LinuxNative.Describe(errno) : "not a directory";
            throw new UfsAttemptException(UfsErrorKind.Unavailable, $"the mount root {_root} is not available: {reason}", transient: false);
        }

        _realRoot = real;
        return real;
    }

    private static bool IsInsideRoot(string real, string realRoot) =>
        realRoot == "/"
        || string.Equals(real, realRoot, StringComparison.Ordinal)
        || (real.Length > realRoot.Length && real.StartsWith(realRoot, StringComparison.Ordinal) && real[realRoot.Length] == '/');

    private static UfsEntry ToEntry(string path, in LinuxNative.StatxBuffer stat)
    {
        var modified = DateTimeOffset.FromUnixTimeSeconds(stat.MtimeSeconds).AddTicks(stat.MtimeNanoseconds / 100);
        return new UfsEntry(path, stat.IsDirectory, stat.IsDirectory ? 0 : (long)stat.Size, modified, VersionOf(stat));
    }

    private void ThrowIfInvalid(string path, string operation)
    {
        if (UfsPath.Validate(path) is { } problem)
        {
            throw _runner.Error(UfsErrorKind.InvalidPath, operation, path ?? string.Empty, problem);
        }
    }

    private sealed record Resolved(string RealPath, LinuxNative.StatxBuffer Stat);

    private readonly record struct ChildName(string Name, bool IsLink);

    private sealed class DirectoryListing(string realPath, FileSystemEnumerable<ChildName> entries)
    {
        public string RealPath { get; } = realPath;

        public IEnumerator<ChildName> GetEnumerator() => entries.GetEnumerator();
    }
}
