using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Fluid.Api.Core;
using Fluid.Api.Meta;

namespace Fluid.Api.Datasets;

/// <summary>A Dataset: where the data lives (mounts) and who may cache it.</summary>
[Description("Dataset is the Schema for the datasets API")]
public sealed record Dataset : IManifestObject
{
    public const string KindName = "Dataset";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; init; } = FluidApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = KindName;

    [JsonPropertyName("metadata")]
    public ObjectMeta? Metadata { get; init; }

    [JsonPropertyName("spec")]
    public DatasetSpec? Spec { get; init; }

    [JsonPropertyName("status")]
    public DatasetStatus? Status { get; init; }
}

/// <summary>The desired state of a Dataset.</summary>
[Description("DatasetSpec defines the desired state of Dataset")]
public sealed record DatasetSpec
{
    [Required]
    [MinLength(1)]
    [Description("Mount points of the dataset's data (s3://, http(s)://, pvc://, local://).")]
    [JsonPropertyName("mounts")]
    public ValueList<Mount>? Mounts { get; init; }

    [Description("The owner of the dataset.")]
    [JsonPropertyName("owner")]
    public User? Owner { get; init; }

    [Description("Constraints that limit what nodes this dataset can be cached to.")]
    [JsonPropertyName("nodeAffinity")]
    public CacheableNodeAffinity? NodeAffinity { get; init; }

    [Description("Tolerations of the pods that cache this dataset.")]
    [JsonPropertyName("tolerations")]
    public ValueList<Toleration>? Tolerations { get; init; }

    [Description("Ways the volume backing the PVC can be mounted; defaults to ReadOnlyMany.")]
    [JsonPropertyName("accessModes")]
    public ValueList<PersistentVolumeAccessMode>? AccessModes { get; init; }

    [Description("Runtimes supporting the dataset.")]
    [JsonPropertyName("runtimes")]
    public ValueList<RuntimeRef>? Runtimes { get; init; }

    [Description("Whether the dataset's cache may share nodes with other datasets' caches: Exclusive (default) or Shared.")]
    [JsonPropertyName("placement")]
    public PlacementMode? Placement { get; init; }

    [Description("Where to restore the dataset's metadata backup from.")]
    [JsonPropertyName("dataRestoreLocation")]
    public DataRestoreLocation? DataRestoreLocation { get; init; }

    [Description("Options applied to every mount.")]
    [JsonPropertyName("sharedOptions")]
    public ValueMap<string>? SharedOptions { get; init; }

    [Description("Options read from secrets, applied to every mount.")]
    [JsonPropertyName("sharedEncryptOptions")]
    public ValueList<EncryptOption>? SharedEncryptOptions { get; init; }
}

/// <summary>One source of data mounted into the dataset's namespace.</summary>
public sealed record Mount
{
    [Required]
    [MinLength(5)]
    [Description("The source: s3://bucket/prefix, http(s)://host/path, pvc://claim/subpath or local:///path.")]
    [JsonPropertyName("mountPoint")]
    public string? MountPoint { get; init; }

    [Description("Options of the mount (for example endpoints and regions).")]
    [JsonPropertyName("options")]
    public ValueMap<string>? Options { get; init; }

    [Description("The name of the mount.")]
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [Description("Where the mount appears in the dataset; defaults to /{name}.")]
    [JsonPropertyName("path")]
    public string? Path { get; init; }

    [Description("Defaults to false (read-write).")]
    [JsonPropertyName("readOnly")]
    public bool? ReadOnly { get; init; }

    [Description("Defaults to false (shared).")]
    [JsonPropertyName("shared")]
    public bool? Shared { get; init; }

    [Description("Options whose values are read from secrets.")]
    [JsonPropertyName("encryptOptions")]
    public ValueList<EncryptOption>? EncryptOptions { get; init; }
}

/// <summary>An option whose value is read from a secret (credentials never sit in the manifest).</summary>
public sealed record EncryptOption
{
    [Required]
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("valueFrom")]
    public EncryptOptionSource? ValueFrom { get; init; }
}

/// <summary>Where an encrypted option's value comes from.</summary>
public sealed record EncryptOptionSource
{
    [JsonPropertyName("secretKeyRef")]
    public SecretKeySelector? SecretKeyRef { get; init; }
}

/// <summary>A key of a secret in the dataset's namespace (Fluid's <c>SecretKeySelector</c>).</summary>
public sealed record SecretKeySelector
{
    [Required]
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("key")]
    public string? Key { get; init; }
}

/// <summary>The user and group that run the cache (Fluid's <c>User</c>).</summary>
public sealed record User
{
    [JsonPropertyName("uid")]
    public long? Uid { get; init; }

    [JsonPropertyName("gid")]
    public long? Gid { get; init; }

    [JsonPropertyName("user")]
    public string? UserName { get; init; }

    [JsonPropertyName("group")]
    public string? GroupName { get; init; }
}

/// <summary>Hard node constraints for caching a dataset.</summary>
public sealed record CacheableNodeAffinity
{
    [JsonPropertyName("required")]
    public NodeSelector? Required { get; init; }
}

/// <summary>A runtime bound to a dataset (Fluid's <c>Runtime</c> reference).</summary>
public sealed record RuntimeRef
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }

    [JsonPropertyName("category")]
    public string? Category { get; init; }

    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("masterReplicas")]
    public int? MasterReplicas { get; init; }
}

/// <summary>Where a dataset's metadata backup is restored from.</summary>
public sealed record DataRestoreLocation
{
    [Description("local://subpath or pvc://claim/subpath.")]
    [JsonPropertyName("path")]
    public string? Path { get; init; }

    [JsonPropertyName("nodeName")]
    public string? NodeName { get; init; }
}

/// <summary>Whether a dataset's cache nodes are exclusive to it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PlacementMode>))]
public enum PlacementMode
{
    Exclusive,
    Shared,
}

/// <summary>Kubernetes persistent volume access modes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PersistentVolumeAccessMode>))]
public enum PersistentVolumeAccessMode
{
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteMany,
    ReadWriteOncePod,
}

/// <summary>The observed state of a Dataset.</summary>
[Description("DatasetStatus defines the observed state of Dataset")]
public sealed record DatasetStatus
{
    [JsonPropertyName("mounts")]
    public ValueList<Mount>? Mounts { get; init; }

    [Description("Total size of the dataset in its under file systems.")]
    [JsonPropertyName("ufsTotal")]
    public string? UfsTotal { get; init; }

    [JsonPropertyName("phase")]
    public DatasetPhase? Phase { get; init; }

    [JsonPropertyName("runtimes")]
    public ValueList<RuntimeRef>? Runtimes { get; init; }

    [JsonPropertyName("conditions")]
    public ValueList<DatasetCondition>? Conditions { get; init; }

    [Description("Cache state by name: cached, cacheCapacity, cachedPercentage, cacheHitRatio, ...")]
    [JsonPropertyName("cacheStates")]
    public ValueMap<string>? CacheStates { get; init; }

    [JsonPropertyName("hcfs")]
    public HcfsStatus? Hcfs { get; init; }

    [JsonPropertyName("fileNum")]
    public string? FileNum { get; init; }

    [JsonPropertyName("dataLoadRef")]
    public string? DataLoadRef { get; init; }

    [JsonPropertyName("dataBackupRef")]
    public string? DataBackupRef { get; init; }

    [JsonPropertyName("operationRef")]
    public ValueMap<string>? OperationRef { get; init; }

    [JsonPropertyName("datasetRef")]
    public ValueList<string>? DatasetRef { get; init; }
}

/// <summary>Names of the entries of <see cref="DatasetStatus.CacheStates"/> (Fluid's <c>CacheStateName</c>).</summary>
public static class CacheStateNames
{
    public const string Cached = "cached";
    public const string CacheCapacity = "cacheCapacity";
    public const string CachedPercentage = "cachedPercentage";
    public const string CacheHitRatio = "cacheHitRatio";
    public const string LocalHitRatio = "localHitRatio";
    public const string RemoteHitRatio = "remoteHitRatio";
    public const string LocalThroughputRatio = "localThroughputRatio";
    public const string RemoteThroughputRatio = "remoteThroughputRatio";
    public const string CacheThroughputRatio = "cacheThroughputRatio";
}

/// <summary>Phases of a Dataset.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DatasetPhase>))]
public enum DatasetPhase
{
    Pending,
    Bound,
    Failed,
    NotBound,
    Updating,
    DataMigrating,
}

/// <summary>A condition of a Dataset (Fluid's <c>DatasetCondition</c>).</summary>
public sealed record DatasetCondition
{
    [Required]
    [Description("RuntimeScheduled, Ready, NotReady, UpdateReady, Updating or Initialized.")]
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [Required]
    [JsonPropertyName("status")]
    public ConditionStatus? Status { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("lastUpdateTime")]
    [JsonConverter(typeof(KubernetesTimeJsonConverter))]
    public DateTimeOffset? LastUpdateTime { get; init; }

    [JsonPropertyName("lastTransitionTime")]
    [JsonConverter(typeof(KubernetesTimeJsonConverter))]
    public DateTimeOffset? LastTransitionTime { get; init; }
}

/// <summary>Endpoint of the dataset's Hadoop-compatible file system access.</summary>
public sealed record HcfsStatus
{
    [JsonPropertyName("endpoint")]
    public string? Endpoint { get; init; }

    [JsonPropertyName("underlayerFileSystemVersion")]
    public string? UnderlayerFileSystemVersion { get; init; }
}
