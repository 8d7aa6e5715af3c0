using System.Text.Json.Serialization;
using Fluid.Api.Core;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;

namespace Fluid.Api.Runtimes;

/// <summary>The observed state of a runtime (Fluid's <c>RuntimeStatus</c>).</summary>
[System.ComponentModel.Description("RuntimeStatus defines the observed state of Runtime")]
public sealed record RuntimeStatus
{
    [JsonPropertyName("valueFile")]
    public string? ValueFile { get; init; }

    [JsonPropertyName("masterPhase")]
    public RuntimePhase? MasterPhase { get; init; }

    [JsonPropertyName("masterReason")]
    public string? MasterReason { get; init; }

    [JsonPropertyName("workerPhase")]
    public RuntimePhase? WorkerPhase { get; init; }

    [JsonPropertyName("workerReason")]
    public string? WorkerReason { get; init; }

    [JsonPropertyName("desiredWorkerNumberScheduled")]
    public int? DesiredWorkerNumberScheduled { get; init; }

    [JsonPropertyName("currentWorkerNumberScheduled")]
    public int? CurrentWorkerNumberScheduled { get; init; }

    [JsonPropertyName("workerNumberReady")]
    public int? WorkerNumberReady { get; init; }

    [JsonPropertyName("workerNumberAvailable")]
    public int? WorkerNumberAvailable { get; init; }

    [JsonPropertyName("workerNumberUnavailable")]
    public int? WorkerNumberUnavailable { get; init; }

    [JsonPropertyName("desiredMasterNumberScheduled")]
    public int? DesiredMasterNumberScheduled { get; init; }

    [JsonPropertyName("currentMasterNumberScheduled")]
    public int? CurrentMasterNumberScheduled { get; init; }

    [JsonPropertyName("masterNumberReady")]
    public int? MasterNumberReady { get; init; }

    [JsonPropertyName("fusePhase")]
    public RuntimePhase? FusePhase { get; init; }

    [JsonPropertyName("fuseReason")]
    public string? FuseReason { get; init; }

    [JsonPropertyName("currentFuseNumberScheduled")]
    public int? CurrentFuseNumberScheduled { get; init; }

    [JsonPropertyName("desiredFuseNumberScheduled")]
    public int? DesiredFuseNumberScheduled { get; init; }

    [JsonPropertyName("fuseNumberReady")]
    public int? FuseNumberReady { get; init; }

    [JsonPropertyName("fuseNumberUnavailable")]
    public int? FuseNumberUnavailable { get; init; }

    [JsonPropertyName("fuseNumberAvailable")]
    public int? FuseNumberAvailable { get; init; }

    [JsonPropertyName("setupDuration")]
    public string? SetupDuration { get; init; }

    [JsonPropertyName("conditions")]
    public ValueList<RuntimeCondition>? Conditions { get; init; }

    [JsonPropertyName("cacheStates")]
    public ValueMap<string>? CacheStates { get; init; }

    [JsonPropertyName("selector")]
    public string? Selector { get; init; }

    [JsonPropertyName("apiGateway")]
    public ApiGatewayStatus? ApiGateway { get; init; }

    [JsonPropertyName("mountTime")]
    [JsonConverter(typeof(KubernetesTimeJsonConverter))]
    public DateTimeOffset? MountTime { get; init; }

    [JsonPropertyName("mounts")]
    public ValueList<Mount>? Mounts { get; init; }

    [JsonPropertyName("cacheAffinity")]
    public NodeAffinity? CacheAffinity { get; init; }
}

/// <summary>Phases of a runtime component.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RuntimePhase>))]
public enum RuntimePhase
{
    NotReady,
    PartialReady,
    Ready,
}

/// <summary>A condition of a runtime (Fluid's <c>RuntimeCondition</c>).</summary>
public sealed record RuntimeCondition
{
    [System.ComponentModel.DataAnnotations.Required]
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [System.ComponentModel.DataAnnotations.Required]
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

/// <summary>Endpoint of a runtime's REST gateway.</summary>
public sealed record ApiGatewayStatus
{
    [JsonPropertyName("endpoint")]
    public string? Endpoint { get; init; }
}
