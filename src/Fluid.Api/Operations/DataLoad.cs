using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Fluid.Api.Core;
using Fluid.Api.Meta;

namespace Fluid.Api.Operations;

/// <summary>A DataLoad: prefetches paths of a Dataset into its cache, once or on a schedule.</summary>
[Description("DataLoad is the Schema for the dataloads API")]
public sealed record DataLoad : IManifestObject
{
    public const string KindName = "DataLoad";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; init; } = FluidApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = KindName;

    [JsonPropertyName("metadata")]
    public ObjectMeta? Metadata { get; init; }

    [JsonPropertyName("spec")]
    public DataLoadSpec? Spec { get; init; }

    [JsonPropertyName("status")]
    public OperationStatus? Status { get; init; }
}

/// <summary>The desired state of a DataLoad.</summary>
[Description("DataLoadSpec defines the desired state of DataLoad")]
public sealed record DataLoadSpec
{
    [Description("The dataset to load.")]
    [JsonPropertyName("dataset")]
    public TargetDataset? Dataset { get; init; }

    [Description("Whether to load the metadata before the data.")]
    [JsonPropertyName("loadMetadata")]
    public bool? LoadMetadata { get; init; }

    [Description("Paths to load; the whole dataset when empty.")]
    [JsonPropertyName("target")]
    public ValueList<TargetPath>? Target { get; init; }

    [Description("Extra properties of the load for the runtime.")]
    [JsonPropertyName("options")]
    public ValueMap<string>? Options { get; init; }

    [Description("Labels and annotations of the load pods.")]
    [JsonPropertyName("podMetadata")]
    public PodMetadata? PodMetadata { get; init; }

    [JsonPropertyName("affinity")]
    public Affinity? Affinity { get; init; }

    [JsonPropertyName("tolerations")]
    public ValueList<Toleration>? Tolerations { get; init; }

    [JsonPropertyName("nodeSelector")]
    public ValueMap<string>? NodeSelector { get; init; }

    [JsonPropertyName("schedulerName")]
    public string? SchedulerName { get; init; }

    [DefaultValue("Once")]
    [Description("Once (default), Cron or OnEvent.")]
    [JsonPropertyName("policy")]
    public OperationPolicy? Policy { get; init; }

    [Description("The schedule in cron format, used when policy is Cron.")]
    [JsonPropertyName("schedule")]
    public string? Schedule { get; init; }

    [Description("The operation that must complete before this one runs.")]
    [JsonPropertyName("runAfter")]
    public OperationRef? RunAfter { get; init; }

    [Description("Seconds after finishing (or failing) before the operation is cleaned up.")]
    [JsonPropertyName("ttlSecondsAfterFinished")]
    public int? TtlSecondsAfterFinished { get; init; }
}

/// <summary>The dataset an operation acts on.</summary>
public sealed record TargetDataset
{
    [Required]
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }
}

/// <summary>A path of the dataset to load.</summary>
public sealed record TargetPath
{
    [Required]
    [Description("Path in the dataset's namespace, for example /train.")]
    [JsonPropertyName("path")]
    public string? Path { get; init; }

    [Description("How many cache replicas of the path to load (default 1).")]
    [JsonPropertyName("replicas")]
    public int? Replicas { get; init; }

    /// <summary>The most copies a target may ask for.</summary>
    public const int MaxReplicas = 16;

    /// <summary>The copies to load: <see cref="Replicas"/>, with 0 or unset meaning one.</summary>
    [JsonIgnore]
    public int Copies => Replicas is int n && n > 0 ? n : 1;
}

/// <summary>When a data operation runs.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OperationPolicy>))]
public enum OperationPolicy
{
    Once,
    Cron,
    OnEvent,
}

/// <summary>A reference to a preceding data operation, with pod affinity to it.</summary>
public sealed record OperationRef
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; init; }

    [Required]
    [JsonPropertyName("kind")]
    public OperationKind? Kind { get; init; }

    [Required]
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }

    [JsonPropertyName("affinityStrategy")]
    public AffinityStrategy? AffinityStrategy { get; init; }
}

/// <summary>Kinds of data operations.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OperationKind>))]
public enum OperationKind
{
    DataLoad,
    DataBackup,
    DataMigrate,
    DataProcess,
}

/// <summary>How an operation's pods are placed relative to the preceding operation's pods.</summary>
public sealed record AffinityStrategy
{
    [JsonPropertyName("policy")]
    public AffinityPolicy? Policy { get; init; }

    [JsonPropertyName("prefers")]
    public ValueList<AffinityPrefer>? Prefers { get; init; }

    [JsonPropertyName("requires")]
    public ValueList<AffinityRequire>? Requires { get; init; }
}

/// <summary>Affinity policies of a data flow.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AffinityPolicy>))]
public enum AffinityPolicy
{
    Require,
    Prefer,
}

/// <summary>A preferred topology label with its weight.</summary>
public sealed record AffinityPrefer
{
    [Required]
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [Required]
    [JsonPropertyName("weight")]
    public int? Weight { get; init; }
}

/// <summary>A required topology label.</summary>
public sealed record AffinityRequire
{
    [Required]
    [JsonPropertyName("name")]
    public string? Name { get; init; }
}

/// <summary>The observed state of a data operation (Fluid's <c>OperationStatus</c>).</summary>
[Description("OperationStatus defines the observed state of operation")]
public sealed record OperationStatus
{
    [JsonPropertyName("phase")]
    public OperationPhase? Phase { get; init; }

    [JsonPropertyName("duration")]
    public string? Duration { get; init; }

    [JsonPropertyName("conditions")]
    public ValueList<OperationCondition>? Conditions { get; init; }

    [JsonPropertyName("infos")]
    public ValueMap<string>? Infos { get; init; }

    [JsonPropertyName("lastScheduleTime")]
    [JsonConverter(typeof(KubernetesTimeJsonConverter))]
    public DateTimeOffset? LastScheduleTime { get; init; }

    [JsonPropertyName("lastSuccessfulTime")]
    [JsonConverter(typeof(KubernetesTimeJsonConverter))]
    public DateTimeOffset? LastSuccessfulTime { get; init; }

    [JsonPropertyName("waitingFor")]
    public WaitingStatus? WaitingFor { get; init; }
}

/// <summary>Phases of a data operation.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OperationPhase>))]
public enum OperationPhase
{
    Pending,
    Executing,
    Complete,
    Failed,
}

/// <summary>A condition of a data operation (Fluid's <c>Condition</c>).</summary>
public sealed record OperationCondition
{
    [Required]
    [Description("Complete or Failed.")]
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [Required]
    [JsonPropertyName("status")]
    public ConditionStatus? Status { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("lastProbeTime")]
    [JsonConverter(typeof(KubernetesTimeJsonConverter))]
    public DateTimeOffset? LastProbeTime { get; init; }

    [JsonPropertyName("lastTransitionTime")]
    [JsonConverter(typeof(KubernetesTimeJsonConverter))]
    public DateTimeOffset? LastTransitionTime { get; init; }
}

/// <summary>What a waiting operation waits for.</summary>
public sealed record WaitingStatus
{
    [JsonPropertyName("operationComplete")]
    public bool? OperationComplete { get; init; }
}
