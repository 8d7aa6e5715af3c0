using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Fluid.Api.Meta;

namespace Fluid.Api.Core;

/// <summary>Kubernetes <c>ResourceRequirements</c>: limits and requests by resource name (cpu, memory, ...).</summary>
public sealed record ResourceRequirements
{
    [JsonPropertyName("limits")]
    public ValueMap<Quantity>? Limits { get; init; }

    [JsonPropertyName("requests")]
    public ValueMap<Quantity>? Requests { get; init; }
}

/// <summary>Kubernetes <c>EnvVar</c>: a value, or a reference to one.</summary>
public sealed record EnvVar
{
    [Required]
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("value")]
    public string? Value { get; init; }

    [JsonPropertyName("valueFrom")]
    public EnvVarSource? ValueFrom { get; init; }
}

/// <summary>Kubernetes <c>EnvVarSource</c>: exactly one of the references.</summary>
public sealed record EnvVarSource
{
    [JsonPropertyName("fieldRef")]
    public ObjectFieldSelector? FieldRef { get; init; }

    [JsonPropertyName("resourceFieldRef")]
    public ResourceFieldSelector? ResourceFieldRef { get; init; }

    [JsonPropertyName("configMapKeyRef")]
    public KeySelector? ConfigMapKeyRef { get; init; }

    [JsonPropertyName("secretKeyRef")]
    public KeySelector? SecretKeyRef { get; init; }
}

/// <summary>Kubernetes <c>SecretKeySelector</c> / <c>ConfigMapKeySelector</c>: a key of a named object.</summary>
public sealed record KeySelector
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [Required]
    [JsonPropertyName("key")]
    public string? Key { get; init; }

    [JsonPropertyName("optional")]
    public bool? Optional { get; init; }
}

/// <summary>Kubernetes <c>ObjectFieldSelector</c>.</summary>
public sealed record ObjectFieldSelector
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; init; }

    [Required]
    [JsonPropertyName("fieldPath")]
    public string? FieldPath { get; init; }
}

/// <summary>Kubernetes <c>ResourceFieldSelector</c>.</summary>
public sealed record ResourceFieldSelector
{
    [JsonPropertyName("containerName")]
    public string? ContainerName { get; init; }

    [Required]
    [JsonPropertyName("resource")]
    public string? Resource { get; init; }

    [JsonPropertyName("divisor")]
    public Quantity? Divisor { get; init; }
}

/// <summary>Status of a condition.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConditionStatus>))]
public enum ConditionStatus
{
    True,
    False,
    Unknown,
}

/// <summary>Labels and annotations that a component's pods get (Fluid's <c>PodMetadata</c>).</summary>
public sealed record PodMetadata
{
    [JsonPropertyName("labels")]
    public ValueMap<string>? Labels { get; init; }

    [JsonPropertyName("annotations")]
    public ValueMap<string>? Annotations { get; init; }
}
