namespace Fluid.Operator.Naming;

/// <summary>
/// The names, labels and paths of everything the operator creates for the runtime (and Dataset) <c>ns/name</c>,
/// following Fluid's conventions (<c>fluid.io/s-ns-name</c>, PV <c>ns-name</c>, PVC <c>name</c>).
/// </summary>
/// <param name="Namespace">The namespace of the Dataset and its runtime.</param>
/// <param name="Name">The name of the Dataset and its runtime.</param>
/// <param name="DatasetUid">The Dataset's uid, used in label keys only when <c>ns-name</c> would be too long (as Fluid does).</param>
public sealed record RuntimeNames(string Namespace, string Name, string? DatasetUid = null)
{
    /// <summary>The runtime type in Fluid's label keys (<c>fluid.io/s-fluidcache-ns-name</c>) and PV mount_type.</summary>
    public const string RuntimeType = "fluidcache";

    /// <summary>The data port of a worker (page transfer).</summary>
    public const int DataPort = 7520;

    /// <summary>The HTTP port of a worker (health, readiness, <c>/summary</c>).</summary>
    public const int HttpPort = 7521;

    /// <summary>Where the pods find the Dataset + runtime manifest.</summary>
    public const string ConfigDirectory = "/etc/fluid/config";

    /// <summary>The manifest file inside <see cref="ConfigDirectory"/>.</summary>
    public const string ConfigFile = "manifest.yaml";

    /// <summary>Where the pods find the worker token.</summary>
    public const string TokenDirectory = "/etc/fluid/token";

    /// <summary>The key of the token in the Secret and the file name in <see cref="TokenDirectory"/>.</summary>
    public const string TokenKey = "token";

    /// <summary>Where the pods find the Secrets named by the Dataset's encryptOptions (<c>/etc/fluid/secrets/&lt;secret&gt;/&lt;key&gt;</c>).</summary>
    public const string SecretsDirectory = "/etc/fluid/secrets";

    /// <summary>The host directory under which FUSE mounts appear (mounted with Bidirectional propagation).</summary>
    public const string RuntimeMountRoot = "/runtime-mnt";

    /// <summary>The CSI driver name of Fluid's PVs.</summary>
    public const string CsiDriver = "fuse.csi.fluid.io";

    /// <summary>The storage class Fluid's PVs and PVCs name.</summary>
    public const string StorageClass = "fluid";

    /// <summary>The capacity Fluid gives its PVs and PVCs when the Dataset does not say.</summary>
    public const string DefaultCapacity = "100Pi";

    private const int MaxLabelLength = 63;

    /// <summary>The worker StatefulSet and its headless Service.</summary>
    public string Workers => $"{Name}-worker";

    /// <summary>The FUSE DaemonSet.</summary>
    public string Fuse => $"{Name}-fuse";

    /// <summary>The ServiceAccount, Role and RoleBinding of the FUSE and load pods (endpointslices read access).</summary>
    public string ClientAccount => $"{Name}-fuse";

    /// <summary>The cluster-scoped PersistentVolume.</summary>
    public string PersistentVolume => $"{Namespace}-{Name}";

    /// <summary>The PersistentVolumeClaim users mount: named like the Dataset.</summary>
    public string Claim => Name;

    /// <summary>The Secret holding the worker token.</summary>
    public string TokenSecret => $"{Name}-worker-token";

    /// <summary>The ConfigMap holding the manifest the pods read.</summary>
    public string ConfigMap => $"{Name}-fluid-config";

    /// <summary>The FUSE mount point on the host (the PV's fluid_path).</summary>
    public string FuseMountPoint => $"{RuntimeMountRoot}/fluid/{Namespace}/{Name}/fuse";

    /// <summary>The membership source the FUSE and load pods are given.</summary>
    public string Membership => $"endpointslices:{Namespace}/{Workers}";

    /// <summary><c>fluid.io/s-ns-name</c>: on cache nodes, the PV and the PVC.</summary>
    public string CommonLabel => Prefixed("fluid.io/s-");

    /// <summary><c>fluid.io/s-fluidcache-ns-name</c>: on cache nodes.</summary>
    public string RuntimeLabel => Prefixed($"fluid.io/s-{RuntimeType}-");

    /// <summary><c>fluid.io/f-ns-name</c>: nodes where the FUSE DaemonSet runs.</summary>
    public string FuseLabel => Prefixed("fluid.io/f-");

    /// <summary><c>fluid.io/s-h-fluidcache-m-ns-name</c>: memory cache capacity on a node.</summary>
    public string MemoryCapacityLabel => Prefixed($"fluid.io/s-h-{RuntimeType}-m-");

    /// <summary><c>fluid.io/s-h-fluidcache-d-ns-name</c>: disk cache capacity on a node.</summary>
    public string DiskCapacityLabel => Prefixed($"fluid.io/s-h-{RuntimeType}-d-");

    /// <summary><c>fluid.io/s-h-fluidcache-t-ns-name</c>: total cache capacity on a node.</summary>
    public string TotalCapacityLabel => Prefixed($"fluid.io/s-h-{RuntimeType}-t-");

    /// <summary>The value of <c>fluid.io/dataset-id</c>: <c>ns-name</c>, or the Dataset uid when that is too long.</summary>
    public string DatasetId => $"{Namespace}-{Name}".Length < MaxLabelLength || string.IsNullOrEmpty(DatasetUid) ? $"{Namespace}-{Name}" : DatasetUid;

    /// <summary>Labels every pod of the runtime's workers carries (and the StatefulSet selects on).</summary>
    public IReadOnlyDictionary<string, string> WorkerSelector => new Dictionary<string, string>
    {
        [FluidLabels.App] = RuntimeType,
        [FluidLabels.Role] = FluidLabels.WorkerRole,
        [FluidLabels.Release] = Name,
    };

    /// <summary>Labels every FUSE pod carries (and the DaemonSet selects on).</summary>
    public IReadOnlyDictionary<string, string> FuseSelector => new Dictionary<string, string>
    {
        [FluidLabels.App] = RuntimeType,
        [FluidLabels.Role] = FluidLabels.FuseRole,
        [FluidLabels.Release] = Name,
    };

    /// <summary>The worker selector as a label selector string (the runtime's status.selector, for the scale subresource).</summary>
    public string WorkerSelectorString => string.Join(",", WorkerSelector.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    private string Prefixed(string prefix)
    {
        // Fluid falls back to the Dataset uid when the key would exceed the 63-character label limit.
        var full = $"{prefix}{Namespace}-{Name}";
        return full.Length < MaxLabelLength || string.IsNullOrEmpty(DatasetUid) ? full : prefix + DatasetUid;
    }
}

/// <summary>Label and annotation keys the operator writes.</summary>
public static class FluidLabels
{
    /// <summary>Fluid's label naming a Dataset's id (<c>ns-name</c>) on the objects made for it.</summary>
    public const string DatasetId = "fluid.io/dataset-id";

    /// <summary>Fluid's node label counting the Datasets cached on the node.</summary>
    public const string DatasetNum = "fluid.io/dataset-num";

    /// <summary>On worker pods: the Dataset's placement, used for exclusive anti-affinity.</summary>
    public const string DatasetPlacement = "fluid.io/dataset-placement";

    /// <summary>Component labels, as Fluid's charts set them.</summary>
    public const string App = "app";

    public const string Role = "role";

    public const string Release = "release";

    public const string WorkerRole = RuntimeNames.RuntimeType + "-worker";

    public const string FuseRole = RuntimeNames.RuntimeType + "-fuse";

    /// <summary>Fluid's role label value of data load pods.</summary>
    public const string DataLoadRole = "dataload-pod";

    /// <summary>Fluid's annotation on the PVs and PVCs it creates.</summary>
    public const string CreatedBy = "CreatedBy";

    /// <summary>The value of <see cref="CreatedBy"/>.</summary>
    public const string CreatedByFluid = "fluid";

    /// <summary>The hash of the desired state last applied to an object.</summary>
    public const string AppliedHash = "data.fluid.io/applied-hash";

    /// <summary>The runtime a cleanup job or load job belongs to.</summary>
    public const string Runtime = "data.fluid.io/runtime";
}
