namespace Fluid.Operator.Csi;

/// <summary>Settings of the CSI node plugin (<c>fluid csi</c>).</summary>
public sealed record CsiOptions
{
    /// <summary>The CSI driver name of Fluid's PersistentVolumes.</summary>
    public const string DriverName = Naming.RuntimeNames.CsiDriver;

    /// <summary>The default root under which FUSE mounts may lie (<c>/runtime-mnt/fluid/&lt;ns&gt;/&lt;name&gt;/fuse</c>).</summary>
    public const string DefaultMountRoot = Naming.RuntimeNames.RuntimeMountRoot + "/fluid";

    /// <summary>The Unix socket the gRPC server listens on (a path, not a <c>unix://</c> URL).</summary>
    public required string SocketPath { get; init; }

    /// <summary>The name of the Kubernetes node this plugin runs on (NodeGetInfo's node_id, the node it labels).</summary>
    public required string NodeId { get; init; }

    /// <summary>The only directory tree a volume's fluid_path may lie under.</summary>
    public string MountRoot { get; init; } = DefaultMountRoot;

    /// <summary>How long NodePublishVolume waits for the FUSE mount to appear at fluid_path.</summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often NodePublishVolume looks for the FUSE mount while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>GetPluginInfo's vendor_version: the fluid build's version.</summary>
    public string VendorVersion { get; init; } = "unknown";

    /// <summary>Parses <c>unix:///csi/csi.sock</c> (or a plain absolute path) into the socket path; null when it is neither.</summary>
    public static string? ParseEndpoint(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var path = endpoint.StartsWith("unix://", StringComparison.Ordinal) ? endpoint["unix://".Length..] : endpoint;
        return path.Length > 1 && path[0] == '/' ? path : null;
    }
}
