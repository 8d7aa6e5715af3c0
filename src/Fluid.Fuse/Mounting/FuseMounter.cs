using System.Diagnostics;
using System.Globalization;
using Fluid.Fuse.Native;
using Microsoft.Extensions.Logging;

namespace Fluid.Fuse.Mounting;

/// <summary>
/// Attaches a /dev/fuse session to a directory (mount(2) as root, fusermount3 otherwise), detaches it,
/// and clears mounts left behind by a process that died without unmounting.
/// </summary>
internal static unsafe class FuseMounter
{
    public const string FileSystemType = "fuse.fluid";
    private const string Fusermount = "fusermount3";

    public static bool IsRoot => LibC.GetEUid() == 0;

    public static MountMethod Resolve(MountMethod method) => method == MountMethod.Auto ? (IsRoot ? MountMethod.Syscall : MountMethod.Fusermount) : method;

    /// <summary>
    /// A FUSE mount at <paramref name="mountPoint"/> whose server is gone answers ENOTCONN (or nothing at
    /// all); such a mount is detached with a message. A live fluid mount, or any other file system mounted
    /// there, is an error: we never mount over something that works.
    /// </summary>
    public static void ClearStaleMount(string mountPoint, ILogger logger)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var stacked = MountTable.At(mountPoint);
            if (stacked.Count == 0)
            {
                return;
            }

            var top = stacked[^1];
            var errno = Probe(mountPoint, TimeSpan.FromSeconds(2));
            var isFuse = top.FileSystemType == "fuse" || top.FileSystemType.StartsWith("fuse.", StringComparison.Ordinal);
            if (isFuse && (errno == LibC.ENOTCONN || errno == -1))
            {
                var reason = errno == -1 ? "its server does not answer" : "its server is gone (ENOTCONN)";
                Detach(mountPoint);
                Log.StaleMountCleared(logger, mountPoint, top.FileSystemType, reason);
                continue;
            }

            if (errno == 0 && top.FileSystemType == FileSystemType)
            {
                throw new InvalidOperationException(
                    $"'{mountPoint}' is already mounted by a running fluid process ({top.Source}); unmount it first (umount '{mountPoint}').");
            }

            throw new InvalidOperationException(
                $"'{mountPoint}' is already a mount point ({top.FileSystemType} from {top.Source}); choose an empty directory.");
        }

        throw new InvalidOperationException($"'{mountPoint}': could not clear the stale mounts stacked there.");
    }

    /// <summary>Mounts and returns the session descriptor.</summary>
    public static int Mount(string mountPoint, FuseOptions options, MountMethod method)
    {
        return method == MountMethod.Fusermount ? MountWithFusermount(mountPoint, options) : MountWithSyscall(mountPoint, options);
    }

    /// <summary>Unmounts; a busy mount is detached lazily so the call never blocks. Returns an error text or null.</summary>
    public static string? Unmount(string mountPoint, MountMethod method)
    {
        if (method == MountMethod.Fusermount && !IsRoot)
        {
            return RunFusermount("-u", "-z", "--", mountPoint);
        }

        if (LibC.Umount2(mountPoint, 0) == 0)
        {
            return null;
        }

        var errno = LibC.LastError;
        if (errno == LibC.EINVAL)
        {
            return null; // not mounted (any more)
        }

        if (errno == LibC.EBUSY && LibC.Umount2(mountPoint, LibC.MntDetach) == 0)
        {
            return null;
        }

        return LibC.ErrorText(LibC.LastError);
    }

    /// <summary>Raises the kernel readahead window of the mount (the fuse bdi starts at 128 KiB) so cold reads come in 1 MiB requests.</summary>
    public static void TuneReadAhead(string mountPoint, int readAheadKb, ILogger logger)
    {
        if (readAheadKb <= 0 || !IsRoot)
        {
            return;
        }

        var mount = MountTable.At(mountPoint).LastOrDefault(m => m.FileSystemType == FileSystemType);
        if (mount is null)
        {
            return;
        }

        var path = $"/sys/class/bdi/{mount.Device}/read_ahead_kb";
        try
        {
            File.WriteAllText(path, readAheadKb.ToString(CultureInfo.InvariantCulture));
            Log.ReadAheadSet(logger, mount.Device, readAheadKb, "ok");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.ReadAheadSet(logger, mount.Device, readAheadKb, ex.Message);
        }
    }

    private static void Detach(string mountPoint)
    {
        if (!IsRoot)
        {
            var error = RunFusermount("-u", "-z", "--", mountPoint);
            if (error is not null)
            {
                throw new IOException($"Cannot clear the stale mount at '{mountPoint}': {error}");
            }

            return;
        }

        if (LibC.Umount2(mountPoint, LibC.MntDetach) != 0)
        {
            throw new IOException($"Cannot clear the stale mount at '{mountPoint}': {LibC.ErrorText(LibC.LastError)}");
        }
    }

    /// <summary>stat(2) the path on a separate thread: a hung FUSE server would block the caller forever. -1 on timeout.</summary>
    private static int Probe(string path, TimeSpan timeout)
    {
        var result = -1;
        var thread = new Thread(() =>
        {
            StatxBuffer buffer;
            // AT_STATX_FORCE_SYNC: cached attributes of a dead mount would otherwise still answer.
            result = LibC.Statx(-100, path, LibC.AtStatxForceSync, LibC.StatxBasicStats, &buffer) == 0 ? 0 : LibC.LastError;
        })
        { IsBackground = true, Name = "fuse-stale-probe" };
        thread.Start();
        return thread.Join(timeout) ? result : -1;
    }

    private static string MountData(int fd, FuseOptions options) =>
        string.Create(CultureInfo.InvariantCulture, $"fd={fd},rootmode=40000,user_id={LibC.GetEUid()},group_id={LibC.GetEGid()},default_permissions{(options.AllowOther ? ",allow_other" : string.Empty)}");

    private static int MountWithSyscall(string mountPoint, FuseOptions options)
    {
        var fd = LibC.Open("/dev/fuse", LibC.ORdWr | LibC.OCloExec);
        if (fd < 0)
        {
            throw new IOException($"Cannot open /dev/fuse: {LibC.ErrorText(LibC.LastError)} (is the fuse kernel module loaded?)");
        }

        var flags = LibC.MsNoSuid | LibC.MsNoDev | (options.KernelReadOnly ? LibC.MsRdOnly : 0);
        if (LibC.Mount(options.SourceName, mountPoint, FileSystemType, flags, MountData(fd, options)) != 0)
        {
            var error = LibC.ErrorText(LibC.LastError);
            LibC.Close(fd);
            throw new IOException($"mount(2) of '{mountPoint}' failed: {error}");
        }

        return fd;
    }

    private static int MountWithFusermount(string mountPoint, FuseOptions options)
    {
        const int AfUnix = 1, SockStream = 1;
        var sockets = stackalloc int[2];
        if (LibC.SocketPair(AfUnix, SockStream, 0, sockets) != 0)
        {
            throw new IOException($"socketpair failed: {LibC.ErrorText(LibC.LastError)}");
        }

        try
        {
            var mountOptions = $"{(options.KernelReadOnly ? "ro" : "rw")},nosuid,nodev,default_permissions,subtype=fluid,fsname={options.SourceName}" +
                (options.AllowOther ? ",allow_other" : string.Empty);
            var start = new ProcessStartInfo(Fusermount)
            {
                UseShellExecute = false,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            start.ArgumentList.Add("-o");
            start.ArgumentList.Add(mountOptions);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(mountPoint);
            // fusermount3 mounts, then sends the /dev/fuse descriptor back over this socket (SCM_RIGHTS).
            start.Environment["_FUSE_COMMFD"] = sockets[1].ToString(CultureInfo.InvariantCulture);

            using var process = StartTool(start);
            LibC.Close(sockets[1]);
            sockets[1] = -1;
            var fd = ReceiveDescriptor(sockets[0]);
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 || fd < 0)
            {
                if (fd >= 0)
                {
                    LibC.Close(fd);
                }

                throw new IOException($"fusermount3 could not mount '{mountPoint}' (exit {process.ExitCode}): {stderr.Trim()}");
            }

            return fd;
        }
        finally
        {
            LibC.Close(sockets[0]);
            if (sockets[1] >= 0)
            {
                LibC.Close(sockets[1]);
            }
        }
    }

    private static int ReceiveDescriptor(int socket)
    {
        const int SolSocket = 1, ScmRights = 1, ControlSize = 24; // CMSG_SPACE(sizeof(int))
        byte data;
        var control = stackalloc byte[ControlSize];
        var iov = new IoVec { Base = (nint)(&data), Length = 1 };
        var message = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = ControlSize };
        nint received;
        do
        {
            received = LibC.RecvMsg(socket, &message, 0);
        }
        while (received < 0 && LibC.LastError == LibC.EINTR);

        if (received <= 0 || message.ControlLen < 20)
        {
            return -1;
        }

        var level = *(int*)(control + 8);
        var type = *(int*)(control + 12);
        return level == SolSocket && type == ScmRights ? *(int*)(control + 16) : -1;
    }

    private static string? RunFusermount(params string[] arguments)
    {
        var start = new ProcessStartInfo(Fusermount) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = StartTool(start);
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(10_000))
        {
            process.Kill();
            return "fusermount3 did not finish within 10 s";
        }

        return process.ExitCode == 0 ? null : $"fusermount3 exited with {process.ExitCode}: {stderr.Trim()}";
    }

    private static Process StartTool(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new IOException($"Could not start {start.FileName}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new IOException($"{start.FileName} is needed to mount without root but could not be started ({ex.Message}); install it with: apt-get install -y fuse3", ex);
        }
    }
}
