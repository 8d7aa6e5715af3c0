using System.Net.Sockets;
using System.Text.Json;

namespace Fluid.Engine.Control;

/// <summary>What a running engine writes next to its control socket: who runs it and where it is mounted.</summary>
public sealed record DaemonState(string Id, string Name, string Namespace, int Pid, string? MountPoint, string Socket, DateTimeOffset StartedAt);

/// <summary>
/// The directory of control sockets, one per running dataset: <c>/run/fluid</c> for root, else
/// <c>$XDG_RUNTIME_DIR/fluid</c> (or <c>/tmp/fluid-&lt;uid&gt;</c>), overridden by <c>FLUID_RUN_DIR</c>.
/// It is created with mode 0700, so only its owner can reach the sockets in it.
/// </summary>
public sealed class RunDirectory
{
    public RunDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>The run directory this process uses by default.</summary>
    public static RunDirectory Default => new(DefaultPath());

    public static string DefaultPath()
    {
        if (Environment.GetEnvironmentVariable("FLUID_RUN_DIR") is { Length: > 0 } overridden)
        {
            return overridden;
        }

        if (Environment.IsPrivilegedProcess)
        {
            return "/run/fluid";
        }

        return Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime
            ? Path.Combine(runtime, "fluid")
            : Path.Combine(Path.GetTempPath(), $"fluid-{Environment.UserName}");
    }

    /// <summary>The control socket of a dataset ("name" or "namespace/name").</summary>
    public string SocketPath(string id) => Path.Combine(Root, FileName(id) + ".sock");

    /// <summary>The state file of a dataset.</summary>
    public string StatePath(string id) => Path.Combine(Root, FileName(id) + ".json");

    /// <summary>The directory of a dataset's local cache workers (token file, logs) under <c>fluid up --workers</c>.</summary>
    public string WorkersPath(string id) => Path.Combine(Root, FileName(id) + ".workers");

    public void Create()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the engine's run directory needs Unix file modes");
        }

        Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The datasets with a state file here, running or stale, sorted by id.</summary>
    public IReadOnlyList<DaemonState> List()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        var states = new List<DaemonState>();
        foreach (var file in Directory.EnumerateFiles(Root, "*.json"))
        {
            if (ReadState(file) is { } state)
            {
                states.Add(state);
            }
        }

        return [.. states.OrderBy(s => s.Id, StringComparer.Ordinal)];
    }

    public DaemonState? ReadState(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ControlJson.Default.DaemonState);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    public void WriteState(DaemonState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var path = StatePath(state.Id);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(state, ControlJson.Default.DaemonState));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A client for a running dataset.</summary>
    /// <exception cref="ControlException">No engine of that name listens here.</exception>
    public ControlClient Connect(string id)
    {
        var socket = SocketPath(id);
        if (!IsListening(socket))
        {
            throw new ControlException(File.Exists(socket)
                ? $"dataset {id} is not running (its engine is gone; the next `fluid up` clears {socket})"
                : $"dataset {id} is not up (no control socket {socket}); start it with `fluid up -f FILE`");
        }

        return new ControlClient(socket);
    }

    /// <summary>True when something accepts connections on the socket (a live engine).</summary>
    public static bool IsListening(string socketPath)
    {
        if (!File.Exists(socketPath))
        {
            return false;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>True when a process with this id exists.</summary>
    public static bool ProcessExists(int pid) => pid > 0 && Directory.Exists($"/proc/{pid}");

    private static string FileName(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var (ns, name) = Configuration.DatasetId.Parse(id);
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name is "." or ".." || ns is "." or "..")
        {
            throw new ArgumentException($"\"{id}\" is not a dataset name (write NAME or NAMESPACE/NAME)", nameof(id));
        }

        return ns == Configuration.DatasetId.DefaultNamespace ? name : ns + "." + name;
    }
}
