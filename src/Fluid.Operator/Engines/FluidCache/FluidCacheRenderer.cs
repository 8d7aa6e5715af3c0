using Fluid.Api.Datasets;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Api.Runtimes;
using Fluid.Kubernetes.Objects;
using Fluid.Operator.Naming;
using Fluid.Operator.Resources;
using k8s.Models;

namespace Fluid.Operator.Engines.FluidCache;

/// <summary>Everything a FluidCacheRuntime needs in the cluster, as rendered from its Dataset and spec.</summary>
public sealed record FluidCacheObjects(
    V1StatefulSet Workers,
    V1Service WorkerService,
    V1DaemonSet Fuse,
    V1PersistentVolume Volume,
    V1PersistentVolumeClaim Claim,
    V1Secret TokenSecret,
    V1ConfigMap Config,
    V1ServiceAccount ClientAccount,
    V1Role ClientRole,
    V1RoleBinding ClientRoleBinding);

/// <summary>One cache directory of a tier: its volume, where it is mounted and its quota.</summary>
/// <param name="VolumeName">The pod volume name (<c>tier-ssd-0</c>).</param>
/// <param name="Medium">The tier's medium.</param>
/// <param name="Directory">The directory as the runtime spec names it; the worker sees it at this path.</param>
/// <param name="HostPath">For hostPath tiers, the host directory (<c>dir/ns/name</c>, so runtimes sharing a directory stay apart).</param>
/// <param name="Quota">The directory's quota, when known.</param>
public sealed record TierDirectory(string VolumeName, MediumType Medium, string Directory, string? HostPath, Quantity? Quota);

/// <summary>
/// Renders the objects of a FluidCacheRuntime: a pure function of the Dataset, the runtime (both as read from the
/// API server, for their uids) and the image settings. Same input, same output, byte for byte.
/// </summary>
public static class FluidCacheRenderer
{
    /// <summary>The finalizer on FluidCacheRuntimes (Fluid's <c>&lt;type&gt;-runtime-controller-finalizer</c>).</summary>
    public const string RuntimeFinalizer = RuntimeNames.RuntimeType + "-runtime-controller-finalizer";

    /// <summary>Renders every object.</summary>
    public static FluidCacheObjects Render(DatasetResource dataset, FluidCacheRuntimeResource runtime, ImageSettings image)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(image);
        var names = NamesOf(dataset, runtime);
        var config = RenderConfig(names, dataset, runtime);
        return new FluidCacheObjects(
            RenderWorkers(names, dataset, runtime, image, config),
            RenderService(names, runtime),
            RenderFuse(names, dataset, runtime, image, config),
            RenderVolume(names, dataset, runtime),
            RenderClaim(names, dataset, runtime),
            RenderTokenSecret(names, runtime),
            config,
            RenderClientAccount(names, runtime),
            RenderClientRole(names, runtime),
            RenderClientRoleBinding(names, runtime));
    }

    /// <summary>The names of the runtime's objects.</summary>
    public static RuntimeNames NamesOf(DatasetResource dataset, FluidCacheRuntimeResource runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return new RuntimeNames(runtime.Metadata.NamespaceProperty ?? "default", runtime.Metadata.Name, dataset?.Metadata.Uid);
    }

    /// <summary>The cache directories of every tier, in tier order, then directory order.</summary>
    public static IReadOnlyList<TierDirectory> TierDirectories(RuntimeNames names, FluidCacheRuntimeSpec? spec)
    {
        ArgumentNullException.ThrowIfNull(names);
        var result = new List<TierDirectory>();
        foreach (var level in spec?.TieredStore?.Levels ?? [])
        {
            var medium = level.MediumType ?? MediumType.MEM;
            var directories = level.Directories();
            var quotas = level.DirectoryQuotas();
            for (int j = 0; j < directories.Count; j++)
            {
                var dir = directories[j].TrimEnd('/');
                if (dir.Length == 0)
                {
                    dir = "/";
                }

                var hostPath = level.EffectiveVolumeType() == VolumeType.HostPath ? $"{dir.TrimEnd('/')}/{names.Namespace}/{names.Name}" : null;
                result.Add(new TierDirectory($"tier-{medium.ToString().ToLowerInvariant()}-{j}", medium, dir, hostPath, j < quotas.Count ? quotas[j] : null));
            }
        }

        return result;
    }

    /// <summary>Cache capacity of one worker by medium: memory, disk (SSD and HDD) and total, in bytes.</summary>
    public static (long Memory, long Disk, long Total) WorkerCapacity(FluidCacheRuntimeSpec? spec)
    {
        long memory = 0, disk = 0;
        foreach (var tier in TierDirectories(new RuntimeNames("n", "n"), spec))
        {
            var bytes = tier.Quota?.Value ?? 0;
            if (tier.Medium == MediumType.MEM)
            {
                memory += bytes;
            }
            else
            {
                disk += bytes;
            }
        }

        return (memory, disk, memory + disk);
    }

    /// <summary>
    /// The manifest the pods read: the Dataset and the runtime as their authors wrote them, without status, server
    /// metadata or replicas (workers find each other through membership, and scaling must not restart them).
    /// </summary>
    public static V1ConfigMap RenderConfig(RuntimeNames names, DatasetResource dataset, FluidCacheRuntimeResource runtime)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(runtime);
        var runtimeManifest = runtime.ToManifest();
        runtimeManifest = runtimeManifest with { Spec = (runtimeManifest.Spec ?? new FluidCacheRuntimeSpec()) with { Replicas = null } };
        var yaml = ManifestWriter.ToYaml([dataset.ToManifest(), runtimeManifest]);
        return new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = Meta(names.ConfigMap, names, runtime, CommonLabels(names)),
            Data = new Dictionary<string, string> { [RuntimeNames.ConfigFile] = yaml },
        };
    }

    private static V1StatefulSet RenderWorkers(RuntimeNames names, DatasetResource dataset, FluidCacheRuntimeResource runtime, ImageSettings image, V1ConfigMap config)
    {
        var spec = runtime.Spec ?? new FluidCacheRuntimeSpec();
        var tiers = TierDirectories(names, spec);
        long uid = spec.RunAs?.Uid ?? ContainerContract.DefaultUser;
        long gid = spec.RunAs?.Gid ?? ContainerContract.DefaultUser;
        var placement = dataset.Spec?.EffectivePlacement() ?? PlacementMode.Exclusive;

        var podLabels = Merge(spec.PodMetadata?.Labels, spec.Worker?.PodMetadata?.Labels);
        podLabels[FluidLabels.DatasetId] = names.DatasetId;
        podLabels[FluidLabels.DatasetPlacement] = placement.ToString();
        foreach (var (k, v) in names.WorkerSelector)
        {
            podLabels[k] = v;
        }

        var podAnnotations = Merge(spec.PodMetadata?.Annotations, spec.Worker?.PodMetadata?.Annotations);
        // A changed manifest must reach the pods: the hash in the template rolls the StatefulSet.
        podAnnotations["data.fluid.io/config-hash"] = Applying.ObjectApplier.HashOf(config.Data);

        var volumes = new List<V1Volume>();
        var mounts = new List<V1VolumeMount>();
        AddSharedVolumes(names, dataset, volumes, mounts);
        foreach (var tier in tiers)
        {
            volumes.Add(tier.HostPath is { } hostPath
                ? new V1Volume { Name = tier.VolumeName, HostPath = new V1HostPathVolumeSource { Path = hostPath, Type = "DirectoryOrCreate" } }
                : new V1Volume
                {
                    Name = tier.VolumeName,
                    EmptyDir = new V1EmptyDirVolumeSource
                    {
                        Medium = tier.Medium == MediumType.MEM ? "Memory" : null,
                        SizeLimit = tier.Quota?.ToResourceQuantity(),
                    },
                });
            mounts.Add(new V1VolumeMount { Name = tier.VolumeName, MountPath = tier.Directory });
        }

        var initContainers = new List<V1Container>();
        var hostTiers = tiers.Where(t => t.HostPath is not null).ToList();
        if (hostTiers.Count > 0 && uid != 0)
        {
            // hostPath directories are created root-owned; hand them to the worker's user before it starts.
            initContainers.Add(new V1Container
            {
                Name = "init-tiers",
                Image = image.Reference,
                ImagePullPolicy = image.PullPolicy,
                Command = ["chown", $"{uid}:{gid}", .. hostTiers.Select(t => t.Directory)],
                VolumeMounts = [.. hostTiers.Select(t => new V1VolumeMount { Name = t.VolumeName, MountPath = t.Directory })],
                SecurityContext = new V1SecurityContext
                {
                    RunAsUser = 0,
                    RunAsNonRoot = false,
                    AllowPrivilegeEscalation = false,
                    Capabilities = new V1Capabilities { Drop = ["ALL"], Add = ["CHOWN"] },
                },
            });
        }

        var container = new V1Container
        {
            Name = "worker",
            Image = image.Reference,
            ImagePullPolicy = image.PullPolicy,
            Args = ContainerContract.Worker(spec.Worker?.Args),
            Ports =
            [
                new V1ContainerPort { Name = "data", ContainerPort = RuntimeNames.DataPort, Protocol = "TCP" },
                new V1ContainerPort { Name = "http", ContainerPort = RuntimeNames.HttpPort, Protocol = "TCP" },
            ],
            Env = [.. DownwardEnv(), .. spec.Worker?.Env.ToKube() ?? []],
            Resources = spec.Worker?.Resources.ToKube(),
            VolumeMounts = mounts,
            ReadinessProbe = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Path = ContainerContract.ReadyPath, Port = "http" },
                PeriodSeconds = 5,
                FailureThreshold = 3,
            },
            LivenessProbe = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Path = ContainerContract.HealthPath, Port = "http" },
                InitialDelaySeconds = 10,
                PeriodSeconds = 10,
                FailureThreshold = 6,
            },
            SecurityContext = new V1SecurityContext
            {
                RunAsUser = uid,
                RunAsGroup = gid,
                RunAsNonRoot = uid != 0 ? true : null,
                AllowPrivilegeEscalation = false,
                Capabilities = new V1Capabilities { Drop = ["ALL"] },
            },
        };

        var antiAffinity = new List<V1PodAffinityTerm>
        {
            // One worker per node: the cache of a node is one worker's.
            new() { LabelSelector = new V1LabelSelector { MatchLabels = names.WorkerSelector.ToDictionary() }, TopologyKey = "kubernetes.io/hostname" },
            placement == PlacementMode.Exclusive
                ? new V1PodAffinityTerm
                {
                    // Exclusive: no other dataset's cache worker on the node.
                    LabelSelector = new V1LabelSelector
                    {
                        MatchExpressions =
                        [
                            new V1LabelSelectorRequirement { Key = FluidLabels.DatasetPlacement, OperatorProperty = "Exists" },
                            new V1LabelSelectorRequirement { Key = FluidLabels.DatasetId, OperatorProperty = "NotIn", Values = [names.DatasetId] },
                        ],
                    },
                    TopologyKey = "kubernetes.io/hostname",
                }
                : new V1PodAffinityTerm
                {
                    // Shared: stay off nodes an exclusive dataset holds.
                    LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [FluidLabels.DatasetPlacement] = nameof(PlacementMode.Exclusive) } },
                    TopologyKey = "kubernetes.io/hostname",
                },
        };

        var podSpec = new V1PodSpec
        {
            InitContainers = initContainers.Count > 0 ? initContainers : null,
            Containers = [container],
            Volumes = volumes,
            NodeSelector = spec.Worker?.NodeSelector is { Count: > 0 } selector ? selector.ToDictionary(p => p.Key, p => p.Value) : null,
            Tolerations = dataset.Spec?.Tolerations.ToKube(),
            Affinity = new V1Affinity
            {
                NodeAffinity = dataset.Spec?.NodeAffinity?.Required is { } required
                    ? new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = required.ToKube() }
                    : null,
                PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = antiAffinity },
            },
            SecurityContext = new V1PodSecurityContext { FsGroup = gid },
            // The worker needs no API access; its token stays out of the pod.
            AutomountServiceAccountToken = false,
            TerminationGracePeriodSeconds = spec.Management?.CleanCachePolicy?.GracePeriodSeconds ?? FluidCacheRuntimeDefaults.GracePeriodSeconds,
            ImagePullSecrets = PullSecrets(image),
        };

        return new V1StatefulSet
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Metadata = Meta(names.Workers, names, runtime, ComponentLabels(names, FluidLabels.WorkerRole)),
            Spec = new V1StatefulSetSpec
            {
                Replicas = spec.EffectiveReplicas(),
                ServiceName = names.Workers,
                PodManagementPolicy = "Parallel",
                Selector = new V1LabelSelector { MatchLabels = names.WorkerSelector.ToDictionary() },
                UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "RollingUpdate" },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = podLabels, Annotations = podAnnotations },
                    Spec = podSpec,
                },
            },
        };
    }

    private static V1Service RenderService(RuntimeNames names, FluidCacheRuntimeResource runtime) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Meta(names.Workers, names, runtime, ComponentLabels(names, FluidLabels.WorkerRole)),
        Spec = new V1ServiceSpec
        {
            ClusterIP = "None",
            Selector = names.WorkerSelector.ToDictionary(),
            PublishNotReadyAddresses = false,
            Ports =
            [
                new V1ServicePort { Name = "data", Port = RuntimeNames.DataPort, TargetPort = RuntimeNames.DataPort, Protocol = "TCP" },
                new V1ServicePort { Name = "http", Port = RuntimeNames.HttpPort, TargetPort = RuntimeNames.HttpPort, Protocol = "TCP" },
            ],
        },
    };

    private static V1DaemonSet RenderFuse(RuntimeNames names, DatasetResource dataset, FluidCacheRuntimeResource runtime, ImageSettings image, V1ConfigMap config)
    {
        var spec = runtime.Spec ?? new FluidCacheRuntimeSpec();
        var podLabels = Merge(spec.PodMetadata?.Labels, spec.Fuse?.PodMetadata?.Labels);
        podLabels[FluidLabels.DatasetId] = names.DatasetId;
        foreach (var (k, v) in names.FuseSelector)
        {
            podLabels[k] = v;
        }

        var podAnnotations = Merge(spec.PodMetadata?.Annotations, spec.Fuse?.PodMetadata?.Annotations);
        podAnnotations["data.fluid.io/config-hash"] = Applying.ObjectApplier.HashOf(config.Data);

        var volumes = new List<V1Volume>();
        var mounts = new List<V1VolumeMount>();
        AddSharedVolumes(names, dataset, volumes, mounts);
        volumes.Add(new V1Volume { Name = "dev-fuse", HostPath = new V1HostPathVolumeSource { Path = "/dev/fuse", Type = "CharDevice" } });
        mounts.Add(new V1VolumeMount { Name = "dev-fuse", MountPath = "/dev/fuse" });
        volumes.Add(new V1Volume { Name = "runtime-mnt", HostPath = new V1HostPathVolumeSource { Path = RuntimeNames.RuntimeMountRoot, Type = "DirectoryOrCreate" } });
        mounts.Add(new V1VolumeMount { Name = "runtime-mnt", MountPath = RuntimeNames.RuntimeMountRoot, MountPropagation = "Bidirectional" });

        var nodeSelector = spec.Fuse?.NodeSelector is { Count: > 0 } selector ? selector.ToDictionary(p => p.Key, p => p.Value) : [];
        nodeSelector[names.FuseLabel] = "true";

        return new V1DaemonSet
        {
            ApiVersion = "apps/v1",
            Kind = "DaemonSet",
            Metadata = Meta(names.Fuse, names, runtime, ComponentLabels(names, FluidLabels.FuseRole)),
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = names.FuseSelector.ToDictionary() },
                // A FUSE pod replaced under running applications would break their mounts: update only on delete.
                UpdateStrategy = new V1DaemonSetUpdateStrategy { Type = "OnDelete" },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = podLabels, Annotations = podAnnotations },
                    Spec = new V1PodSpec
                    {
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "fuse",
                                Image = image.Reference,
                                ImagePullPolicy = image.PullPolicy,
                                Args = ContainerContract.Fuse(names, spec.Fuse?.Args),
                                Env = [.. DownwardEnv(), .. spec.Fuse?.Env.ToKube() ?? []],
                                Resources = spec.Fuse?.Resources.ToKube(),
                                VolumeMounts = mounts,
                                SecurityContext = new V1SecurityContext { Privileged = true, RunAsUser = 0 },
                            },
                        ],
                        Volumes = volumes,
                        NodeSelector = nodeSelector,
                        Tolerations = dataset.Spec?.Tolerations.ToKube(),
                        ServiceAccountName = names.ClientAccount,
                        ImagePullSecrets = PullSecrets(image),
                    },
                },
            },
        };
    }

    private static V1PersistentVolume RenderVolume(RuntimeNames names, DatasetResource dataset, FluidCacheRuntimeResource runtime)
    {
        var fuseSelector = runtime.Spec?.Fuse?.NodeSelector;
        return new V1PersistentVolume
        {
            ApiVersion = "v1",
            Kind = "PersistentVolume",
            Metadata = new V1ObjectMeta
            {
                // Cluster-scoped: it cannot have a namespaced owner; the runtime's finalizer deletes it.
                Name = names.PersistentVolume,
                Labels = new Dictionary<string, string> { [names.CommonLabel] = "true", [FluidLabels.DatasetId] = names.DatasetId },
                Annotations = new Dictionary<string, string> { [FluidLabels.CreatedBy] = FluidLabels.CreatedByFluid },
            },
            Spec = new V1PersistentVolumeSpec
            {
                AccessModes = AccessModes(dataset),
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new ResourceQuantity(RuntimeNames.DefaultCapacity) },
                StorageClassName = RuntimeNames.StorageClass,
                PersistentVolumeReclaimPolicy = "Retain",
                ClaimRef = new V1ObjectReference { ApiVersion = "v1", Kind = "PersistentVolumeClaim", NamespaceProperty = names.Namespace, Name = names.Claim },
                Csi = new V1CSIPersistentVolumeSource
                {
                    Driver = RuntimeNames.CsiDriver,
                    VolumeHandle = names.PersistentVolume,
                    VolumeAttributes = new Dictionary<string, string>
                    {
                        ["fluid_path"] = names.FuseMountPoint,
                        ["mount_type"] = RuntimeNames.RuntimeType,
                        ["runtime_namespace"] = names.Namespace,
                        ["runtime_name"] = names.Name,
                        ["fuse_node_label"] = names.FuseLabel,
                    },
                },
                NodeAffinity = fuseSelector is { Count: > 0 }
                    ? new V1VolumeNodeAffinity
                    {
                        Required = new V1NodeSelector
                        {
                            NodeSelectorTerms =
                            [
                                new V1NodeSelectorTerm
                                {
                                    MatchExpressions = [.. fuseSelector.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new V1NodeSelectorRequirement { Key = p.Key, OperatorProperty = "In", Values = [p.Value] })],
                                },
                            ],
                        },
                    }
                    : null,
            },
        };
    }

    private static V1PersistentVolumeClaim RenderClaim(RuntimeNames names, DatasetResource dataset, FluidCacheRuntimeResource runtime)
    {
        var metadata = Meta(names.Claim, names, runtime, new Dictionary<string, string> { [names.CommonLabel] = "true", [FluidLabels.DatasetId] = names.DatasetId });
        metadata.Annotations = new Dictionary<string, string> { [FluidLabels.CreatedBy] = FluidLabels.CreatedByFluid };
        return new V1PersistentVolumeClaim
        {
            ApiVersion = "v1",
            Kind = "PersistentVolumeClaim",
            Metadata = metadata,
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = AccessModes(dataset),
                StorageClassName = RuntimeNames.StorageClass,
                VolumeName = names.PersistentVolume,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [names.CommonLabel] = "true" } },
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new ResourceQuantity(RuntimeNames.DefaultCapacity) } },
            },
        };
    }

    private static V1Secret RenderTokenSecret(RuntimeNames names, FluidCacheRuntimeResource runtime) => new()
    {
        // The token itself is generated once, when the Secret is created, and never rendered or logged.
        ApiVersion = "v1",
        Kind = "Secret",
        Type = "Opaque",
        Metadata = Meta(names.TokenSecret, names, runtime, CommonLabels(names)),
    };

    private static V1ServiceAccount RenderClientAccount(RuntimeNames names, FluidCacheRuntimeResource runtime) => new()
    {
        ApiVersion = "v1",
        Kind = "ServiceAccount",
        Metadata = Meta(names.ClientAccount, names, runtime, CommonLabels(names)),
    };

    private static V1Role RenderClientRole(RuntimeNames names, FluidCacheRuntimeResource runtime) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "Role",
        Metadata = Meta(names.ClientAccount, names, runtime, CommonLabels(names)),
        // Membership: the FUSE and load pods watch the worker Service's EndpointSlices, and nothing else.
        Rules = [new V1PolicyRule { ApiGroups = ["discovery.k8s.io"], Resources = ["endpointslices"], Verbs = ["get", "list", "watch"] }],
    };

    private static V1RoleBinding RenderClientRoleBinding(RuntimeNames names, FluidCacheRuntimeResource runtime) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "RoleBinding",
        Metadata = Meta(names.ClientAccount, names, runtime, CommonLabels(names)),
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = names.ClientAccount },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = names.ClientAccount, NamespaceProperty = names.Namespace }],
    };

    /// <summary>
    /// The Job that empties the runtime's hostPath cache directories on one node after the runtime is deleted
    /// (cleanCachePolicy: maxRetryAttempts retries, each bounded by gracePeriodSeconds). It runs as the worker's user,
    /// which owns the files, pinned to the node.
    /// </summary>
    public static V1Job RenderCleanupJob(RuntimeNames names, FluidCacheRuntimeResource runtime, ImageSettings image, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(image);
        var spec = runtime.Spec ?? new FluidCacheRuntimeSpec();
        var tiers = TierDirectories(names, spec).Where(t => t.HostPath is not null).ToList();
        long uid = spec.RunAs?.Uid ?? ContainerContract.DefaultUser;
        long gid = spec.RunAs?.Gid ?? ContainerContract.DefaultUser;
        var labels = CommonLabels(names);
        labels[FluidLabels.Role] = RuntimeNames.RuntimeType + "-clean";
        labels[FluidLabels.Runtime] = names.Name;
        var nodeHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(nodeName)).AsSpan(0, 4));
        var name = $"{names.Name}-clean-{nodeHash}";
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Meta(name.Length <= 63 ? name : name[^63..].TrimStart('-'), names, runtime, labels),
            Spec = new V1JobSpec
            {
                BackoffLimit = spec.Management?.CleanCachePolicy?.MaxRetryAttempts ?? FluidCacheRuntimeDefaults.MaxRetryAttempts,
                ActiveDeadlineSeconds = spec.Management?.CleanCachePolicy?.GracePeriodSeconds ?? FluidCacheRuntimeDefaults.GracePeriodSeconds,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        NodeName = nodeName,
                        AutomountServiceAccountToken = false,
                        // The node may carry taints the worker tolerated; the clean-up must run there all the same.
                        Tolerations = [new V1Toleration { OperatorProperty = "Exists" }],
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "clean",
                                Image = image.Reference,
                                ImagePullPolicy = image.PullPolicy,
                                Command = ["find", .. tiers.Select((_, i) => $"/cache/{i}"), "-mindepth", "1", "-delete"],
                                VolumeMounts = [.. tiers.Select((t, i) => new V1VolumeMount { Name = t.VolumeName, MountPath = $"/cache/{i}" })],
                                SecurityContext = new V1SecurityContext
                                {
                                    RunAsUser = uid,
                                    RunAsGroup = gid,
                                    RunAsNonRoot = uid != 0 ? true : null,
                                    AllowPrivilegeEscalation = false,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                                },
                            },
                        ],
                        Volumes = [.. tiers.Select(t => new V1Volume { Name = t.VolumeName, HostPath = new V1HostPathVolumeSource { Path = t.HostPath, Type = "DirectoryOrCreate" } })],
                        ImagePullSecrets = PullSecrets(image),
                    },
                },
            },
        };
    }

    /// <summary>The pod of a DataLoad's Job: <c>fluid load</c> against the runtime's workers, placed as the DataLoad says.</summary>
    public static V1PodTemplateSpec RenderLoadPod(RuntimeNames names, DatasetResource dataset, DataLoadResource load, ImageSettings image)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(image);
        var spec = load.Spec ?? new Fluid.Api.Operations.DataLoadSpec();
        var labels = Merge(spec.PodMetadata?.Labels, null);
        labels[FluidLabels.App] = RuntimeNames.RuntimeType;
        labels[FluidLabels.Role] = FluidLabels.DataLoadRole;
        labels[FluidLabels.Release] = $"{load.Metadata.Name}-loader";
        labels["targetDataset"] = names.Name;
        labels[FluidLabels.DatasetId] = names.DatasetId;
        var annotations = Merge(spec.PodMetadata?.Annotations, null);
        var volumes = new List<V1Volume>();
        var mounts = new List<V1VolumeMount>();
        AddSharedVolumes(names, dataset, volumes, mounts);
        var paths = spec.Target is { Count: > 0 } targets ? targets.Select(t => t.Path ?? "/").ToList() : ["/"];
        return new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = labels, Annotations = annotations.Count > 0 ? annotations : null },
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never",
                ServiceAccountName = names.ClientAccount,
                Containers =
                [
                    new V1Container
                    {
                        Name = "loader",
                        Image = image.Reference,
                        ImagePullPolicy = image.PullPolicy,
                        Args = ContainerContract.Load(names, paths, spec.Target is { Count: > 0 } copies ? copies[0].Copies : 1, spec.LoadMetadata == true, spec.Options),
                        Env = [.. DownwardEnv()],
                        VolumeMounts = mounts,
                        SecurityContext = new V1SecurityContext
                        {
                            RunAsUser = ContainerContract.DefaultUser,
                            RunAsGroup = ContainerContract.DefaultUser,
                            RunAsNonRoot = true,
                            AllowPrivilegeEscalation = false,
                            Capabilities = new V1Capabilities { Drop = ["ALL"] },
                        },
                    },
                ],
                Volumes = volumes,
                NodeSelector = spec.NodeSelector is { Count: > 0 } selector ? selector.ToDictionary(p => p.Key, p => p.Value) : null,
                Affinity = spec.Affinity.ToKube(),
                Tolerations = spec.Tolerations.ToKube(),
                SchedulerName = spec.SchedulerName,
                ImagePullSecrets = PullSecrets(image),
            },
        };
    }

    /// <summary>The config, token and encryptOptions Secret volumes every runtime pod mounts.</summary>
    internal static void AddSharedVolumes(RuntimeNames names, DatasetResource dataset, List<V1Volume> volumes, List<V1VolumeMount> mounts)
    {
        volumes.Add(new V1Volume { Name = "fluid-config", ConfigMap = new V1ConfigMapVolumeSource { Name = names.ConfigMap } });
        mounts.Add(new V1VolumeMount { Name = "fluid-config", MountPath = RuntimeNames.ConfigDirectory, ReadOnlyProperty = true });
        volumes.Add(new V1Volume { Name = "fluid-token", Secret = new V1SecretVolumeSource { SecretName = names.TokenSecret, DefaultMode = 0x100 } });
        mounts.Add(new V1VolumeMount { Name = "fluid-token", MountPath = RuntimeNames.TokenDirectory, ReadOnlyProperty = true });
        var secrets = SecretNames(dataset);
        for (int i = 0; i < secrets.Count; i++)
        {
            volumes.Add(new V1Volume { Name = $"secret-{i}", Secret = new V1SecretVolumeSource { SecretName = secrets[i], DefaultMode = 0x100 } });
            mounts.Add(new V1VolumeMount { Name = $"secret-{i}", MountPath = $"{RuntimeNames.SecretsDirectory}/{secrets[i]}", ReadOnlyProperty = true });
        }
    }

    /// <summary>The Secrets the Dataset's encryptOptions name, sorted.</summary>
    public static IReadOnlyList<string> SecretNames(DatasetResource dataset)
    {
        var options = (dataset?.Spec?.Mounts ?? []).SelectMany(m => m.EncryptOptions ?? []).Concat(dataset?.Spec?.SharedEncryptOptions ?? []);
        return [.. options.Select(o => o.ValueFrom?.SecretKeyRef?.Name).OfType<string>().Where(n => n.Length > 0).Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>NODE_NAME, POD_IP, POD_NAME and POD_NAMESPACE from the downward API.</summary>
    internal static IEnumerable<V1EnvVar> DownwardEnv() =>
    [
        FieldEnv("NODE_NAME", "spec.nodeName"),
        FieldEnv("POD_IP", "status.podIP"),
        FieldEnv("POD_NAME", "metadata.name"),
        FieldEnv("POD_NAMESPACE", "metadata.namespace"),
    ];

    internal static List<V1LocalObjectReference>? PullSecrets(ImageSettings image) =>
        image.PullSecrets.Count > 0 ? [.. image.PullSecrets.Select(s => new V1LocalObjectReference { Name = s })] : null;

    /// <summary>Metadata of a namespaced object the runtime owns (controller reference, so it is collected with the runtime).</summary>
    internal static V1ObjectMeta Meta(string name, RuntimeNames names, FluidCacheRuntimeResource runtime, Dictionary<string, string> labels) => new()
    {
        Name = name,
        NamespaceProperty = names.Namespace,
        Labels = labels,
        OwnerReferences = string.IsNullOrEmpty(runtime.Metadata.Uid) ? null : [OwnerReferences.For(runtime)],
    };

    internal static Dictionary<string, string> CommonLabels(RuntimeNames names) => new()
    {
        [FluidLabels.App] = RuntimeNames.RuntimeType,
        [FluidLabels.Release] = names.Name,
        [FluidLabels.DatasetId] = names.DatasetId,
    };

    private static Dictionary<string, string> ComponentLabels(RuntimeNames names, string role)
    {
        var labels = CommonLabels(names);
        labels[FluidLabels.Role] = role;
        return labels;
    }

    private static List<string> AccessModes(DatasetResource dataset) =>
        [.. (dataset.Spec ?? new DatasetSpec()).EffectiveAccessModes().Select(m => m.ToString())];

    private static V1EnvVar FieldEnv(string name, string path) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = path } } };

    private static Dictionary<string, string> Merge(ValueMap<string>? first, ValueMap<string>? second)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in (IEnumerable<KeyValuePair<string, string>>?)first ?? [])
        {
            result[k] = v;
        }

        foreach (var (k, v) in (IEnumerable<KeyValuePair<string, string>>?)second ?? [])
        {
            result[k] = v;
        }

        return result;
    }
}
