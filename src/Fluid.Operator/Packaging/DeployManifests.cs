using System.Text;
using k8s;
using k8s.Models;

namespace Fluid.Operator.Packaging;

/// <summary>Settings of the controller's deployment manifests (the Helm chart's values, with the same defaults).</summary>
public sealed record DeploySettings
{
    public string Namespace { get; init; } = "fluid-system";

    public string Image { get; init; } = "fluid";

    public string Tag { get; init; } = "0.1.0";

    public string PullPolicy { get; init; } = "IfNotPresent";

    public int Replicas { get; init; } = 2;

    public int MetricsPort { get; init; } = 8080;

    /// <summary>Whether the CSI node plugin (driver <c>fuse.csi.fluid.io</c>) is deployed.</summary>
    public bool CsiEnabled { get; init; } = true;

    /// <summary>The node-driver-registrar sidecar that registers the plugin's socket with kubelet.</summary>
    public string CsiRegistrarImage { get; init; } = "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.13.0";

    /// <summary>kubelet's root directory on the nodes.</summary>
    public string KubeletDir { get; init; } = "/var/lib/kubelet";

    /// <summary>Seconds NodePublishVolume waits for a runtime's FUSE mount.</summary>
    public int CsiPublishTimeoutSeconds { get; init; } = 60;
}

/// <summary>
/// The controller's deployment as Kubernetes objects: its ServiceAccount, the least-rights ClusterRole and Lease Role
/// with their bindings, a Deployment of two replicas with leader election, and the CSI node plugin (DaemonSet,
/// CSIDriver, its RBAC). <c>fluid controller manifests</c>
/// writes them to deploy/manifests/fluid.yaml; the Helm chart renders the same objects from its default values.
/// </summary>
public static class DeployManifests
{
    public const string Name = "fluid-controller";

    /// <summary>The name of the CSI node plugin's DaemonSet, ServiceAccount and ClusterRole.</summary>
    public const string CsiName = "fluid-csi-nodeplugin";

    /// <summary>Every object, in apply order.</summary>
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects(DeploySettings? settings = null)
    {
        var s = settings ?? new DeploySettings();
        var labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "fluid", ["app.kubernetes.io/component"] = "controller" };
        return
        [
            new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = Meta(s.Namespace, labels) },
            new V1ClusterRole { ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "ClusterRole", Metadata = Meta(null, labels), Rules = ClusterRules() },
            new V1ClusterRoleBinding
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "ClusterRoleBinding",
                Metadata = Meta(null, labels),
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = Name },
                Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = Name, NamespaceProperty = s.Namespace }],
            },
            new V1Role
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "Role",
                Metadata = Meta(s.Namespace, labels),
                // Leader election: one Lease in the controller's namespace.
                Rules = [new V1PolicyRule { ApiGroups = ["coordination.k8s.io"], Resources = ["leases"], Verbs = ["get", "create", "update"] }],
            },
            new V1RoleBinding
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "RoleBinding",
                Metadata = Meta(s.Namespace, labels),
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = Name },
                Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = Name, NamespaceProperty = s.Namespace }],
            },
            Deployment(s, labels),
            .. s.CsiEnabled ? CsiObjects(s) : [],
        ];
    }

    /// <summary>
    /// The CSI node plugin: its ServiceAccount and node-labelling ClusterRole with binding, the CSIDriver object and
    /// the DaemonSet of <c>fluid csi</c> with the node-driver-registrar sidecar.
    /// </summary>
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> CsiObjects(DeploySettings? settings = null)
    {
        var s = settings ?? new DeploySettings();
        var labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "fluid", ["app.kubernetes.io/component"] = "csi" };
        V1ObjectMeta CsiMeta(string? ns) => new() { Name = CsiName, NamespaceProperty = ns, Labels = labels };
        return
        [
            new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = CsiMeta(s.Namespace) },
            new V1ClusterRole
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "ClusterRole",
                Metadata = CsiMeta(null),
                // NodePublishVolume sets the runtime's FUSE label on its own node.
                Rules = [Rule("", ["nodes"], "get", "patch")],
            },
            new V1ClusterRoleBinding
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "ClusterRoleBinding",
                Metadata = CsiMeta(null),
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = CsiName },
                Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = CsiName, NamespaceProperty = s.Namespace }],
            },
            new V1CSIDriver
            {
                ApiVersion = "storage.k8s.io/v1",
                Kind = "CSIDriver",
                Metadata = new V1ObjectMeta { Name = Naming.RuntimeNames.CsiDriver, Labels = labels },
                Spec = new V1CSIDriverSpec { AttachRequired = false, PodInfoOnMount = true, VolumeLifecycleModes = ["Persistent"] },
            },
            CsiDaemonSet(s, labels),
        ];
    }

    /// <summary>The objects as one multi-document YAML file.</summary>
    public static string ToYaml(DeploySettings? settings = null)
    {
        var text = new StringBuilder("# Generated by `./fluid controller manifests`; the Helm chart deploy/charts/fluid renders the same objects.\n");
        foreach (var obj in Objects(settings))
        {
            text.Append("---\n").Append(KubernetesYaml.Serialize(obj).TrimEnd('\n')).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The ClusterRole's rules: only the verbs the controllers use, resource by resource.</summary>
    public static List<V1PolicyRule> ClusterRules() =>
    [
        Rule("data.fluid.io", ["datasets", "fluidcacheruntimes"], "get", "list", "watch", "update"),
        Rule("data.fluid.io", ["dataloads"], "get", "list", "watch", "update", "delete"),
        Rule("data.fluid.io", ["datasets/status", "fluidcacheruntimes/status", "dataloads/status"], "get", "update"),
        Rule("", ["pods"], "get", "list", "watch"),
        Rule("", ["nodes"], "get", "list", "watch", "patch"),
        Rule("", ["persistentvolumes", "persistentvolumeclaims", "services", "configmaps", "serviceaccounts"], "get", "create", "update", "delete"),
        // Secrets: only the worker tokens the controller creates and reads; no list or watch of every Secret.
        Rule("", ["secrets"], "get", "create", "update", "delete"),
        Rule("", ["events"], "get", "create", "update"),
        Rule("apps", ["statefulsets", "daemonsets"], "get", "list", "watch", "create", "update", "delete"),
        Rule("batch", ["jobs", "cronjobs"], "get", "list", "watch", "create", "update", "delete"),
        Rule("rbac.authorization.k8s.io", ["roles", "rolebindings"], "get", "create", "update", "delete"),
        // Held so that the controller may grant it to the FUSE and load pods' Role (RBAC forbids granting more than one has).
        Rule("discovery.k8s.io", ["endpointslices"], "get", "list", "watch"),
    ];

    private static V1Deployment Deployment(DeploySettings s, Dictionary<string, string> labels) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = Meta(s.Namespace, labels),
        Spec = new V1DeploymentSpec
        {
            Replicas = s.Replicas,
            Selector = new V1LabelSelector { MatchLabels = labels },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = labels },
                Spec = new V1PodSpec
                {
                    ServiceAccountName = Name,
                    SecurityContext = new V1PodSecurityContext { RunAsNonRoot = true, RunAsUser = 65532, RunAsGroup = 65532 },
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "controller",
                            Image = $"{s.Image}:{s.Tag}",
                            ImagePullPolicy = s.PullPolicy,
                            Args =
                            [
                                "controller",
                                "--leader-elect",
                                "--leader-elect-namespace", s.Namespace,
                                "--leader-elect-name", Name,
                                "--metrics-address", $"0.0.0.0:{s.MetricsPort}",
                                "--image", s.Image,
                                "--image-tag", s.Tag,
                                "--image-pull-policy", s.PullPolicy,
                            ],
                            Env = [new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } }],
                            Ports = [new V1ContainerPort { Name = "metrics", ContainerPort = s.MetricsPort, Protocol = "TCP" }],
                            LivenessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/healthz", Port = "metrics" }, PeriodSeconds = 10 },
                            ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/readyz", Port = "metrics" }, PeriodSeconds = 5 },
                            Resources = new V1ResourceRequirements
                            {
                                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("128Mi") },
                                Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("512Mi") },
                            },
                            SecurityContext = new V1SecurityContext { AllowPrivilegeEscalation = false, ReadOnlyRootFilesystem = true, Capabilities = new V1Capabilities { Drop = ["ALL"] } },
                        },
                    ],
                },
            },
        },
    };

    private static V1DaemonSet CsiDaemonSet(DeploySettings s, Dictionary<string, string> labels)
    {
        var pluginDir = $"{s.KubeletDir}/plugins/{Naming.RuntimeNames.CsiDriver}";
        return new()
        {
            ApiVersion = "apps/v1",
            Kind = "DaemonSet",
            Metadata = new V1ObjectMeta { Name = CsiName, NamespaceProperty = s.Namespace, Labels = labels },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = CsiName,
                        // Every node may run pods that mount a Fluid PVC.
                        Tolerations = [new V1Toleration { OperatorProperty = "Exists" }],
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "node-driver-registrar",
                                Image = s.CsiRegistrarImage,
                                ImagePullPolicy = s.PullPolicy,
                                Args = ["--csi-address=/csi/csi.sock", $"--kubelet-registration-path={pluginDir}/csi.sock"],
                                VolumeMounts =
                                [
                                    new V1VolumeMount { Name = "plugin-dir", MountPath = "/csi" },
                                    new V1VolumeMount { Name = "registration-dir", MountPath = "/registration" },
                                ],
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("10m"), ["memory"] = new("20Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi") },
                                },
                            },
                            new V1Container
                            {
                                Name = "plugin",
                                Image = $"{s.Image}:{s.Tag}",
                                ImagePullPolicy = s.PullPolicy,
                                Args =
                                [
                                    "csi",
                                    "--endpoint", "unix:///csi/csi.sock",
                                    "--mount-root", Csi.CsiOptions.DefaultMountRoot,
                                    "--publish-timeout", s.CsiPublishTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                ],
                                Env = [new V1EnvVar { Name = "NODE_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "spec.nodeName" } } }],
                                // mount(2) into pod directories needs root with CAP_SYS_ADMIN (the image's user is 65532), and
                                // Bidirectional propagation needs a privileged container.
                                SecurityContext = new V1SecurityContext { Privileged = true, RunAsUser = 0 },
                                VolumeMounts =
                                [
                                    new V1VolumeMount { Name = "plugin-dir", MountPath = "/csi" },
                                    new V1VolumeMount { Name = "pods-dir", MountPath = $"{s.KubeletDir}/pods", MountPropagation = "Bidirectional" },
                                    new V1VolumeMount { Name = "runtime-mnt", MountPath = Naming.RuntimeNames.RuntimeMountRoot, MountPropagation = "Bidirectional" },
                                ],
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("10m"), ["memory"] = new("64Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("256Mi") },
                                },
                            },
                        ],
                        Volumes =
                        [
                            HostPath("plugin-dir", pluginDir, "DirectoryOrCreate"),
                            HostPath("registration-dir", $"{s.KubeletDir}/plugins_registry", "Directory"),
                            HostPath("pods-dir", $"{s.KubeletDir}/pods", "Directory"),
                            HostPath("runtime-mnt", Naming.RuntimeNames.RuntimeMountRoot, "DirectoryOrCreate"),
                        ],
                    },
                },
            },
        };
    }

    private static V1Volume HostPath(string name, string path, string type) =>
        new() { Name = name, HostPath = new V1HostPathVolumeSource { Path = path, Type = type } };

    private static V1ObjectMeta Meta(string? ns, Dictionary<string, string> labels) => new() { Name = Name, NamespaceProperty = ns, Labels = labels };

    private static V1PolicyRule Rule(string group, List<string> resources, params string[] verbs) =>
        new() { ApiGroups = [group], Resources = resources, Verbs = [.. verbs] };
}
