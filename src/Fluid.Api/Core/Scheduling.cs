using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Fluid.Api.Meta;

namespace Fluid.Api.Core;

/// <summary>Kubernetes <c>NodeSelector</c>: terms that are ORed; a node matches when one term matches.</summary>
public sealed record NodeSelector
{
    [Required]
    [JsonPropertyName("nodeSelectorTerms")]
    public ValueList<NodeSelectorTerm>? NodeSelectorTerms { get; init; }
}

/// <summary>Kubernetes <c>NodeSelectorTerm</c>: requirements that are ANDed.</summary>
public sealed record NodeSelectorTerm
{
    [JsonPropertyName("matchExpressions")]
    public ValueList<NodeSelectorRequirement>? MatchExpressions { get; init; }

    [JsonPropertyName("matchFields")]
    public ValueList<NodeSelectorRequirement>? MatchFields { get; init; }
}

/// <summary>Kubernetes <c>NodeSelectorRequirement</c>: a key, an operator and values.</summary>
public sealed record NodeSelectorRequirement
{
    [Required]
    [JsonPropertyName("key")]
    public string? Key { get; init; }

    [Required]
    [JsonPropertyName("operator")]
    public NodeSelectorOperator? Operator { get; init; }

    [JsonPropertyName("values")]
    public ValueList<string>? Values { get; init; }
}

/// <summary>Operators of a node selector requirement.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NodeSelectorOperator>))]
public enum NodeSelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

/// <summary>Kubernetes <c>PreferredSchedulingTerm</c>: a weighted node selector term.</summary>
public sealed record PreferredSchedulingTerm
{
    [Required]
    [JsonPropertyName("weight")]
    public int? Weight { get; init; }

    [Required]
    [JsonPropertyName("preference")]
    public NodeSelectorTerm? Preference { get; init; }
}

/// <summary>Kubernetes <c>Affinity</c>: node, pod and pod anti-affinity rules of a pod.</summary>
public sealed record Affinity
{
    [JsonPropertyName("nodeAffinity")]
    public NodeAffinity? NodeAffinity { get; init; }

    [JsonPropertyName("podAffinity")]
    public PodAffinity? PodAffinity { get; init; }

    [JsonPropertyName("podAntiAffinity")]
    public PodAffinity? PodAntiAffinity { get; init; }
}

/// <summary>Kubernetes <c>NodeAffinity</c>: hard and soft node constraints.</summary>
public sealed record NodeAffinity
{
    [JsonPropertyName("requiredDuringSchedulingIgnoredDuringExecution")]
    public NodeSelector? RequiredDuringSchedulingIgnoredDuringExecution { get; init; }

    [JsonPropertyName("preferredDuringSchedulingIgnoredDuringExecution")]
    public ValueList<PreferredSchedulingTerm>? PreferredDuringSchedulingIgnoredDuringExecution { get; init; }
}

/// <summary>Kubernetes <c>PodAffinity</c> or <c>PodAntiAffinity</c> (they have the same shape).</summary>
public sealed record PodAffinity
{
    [JsonPropertyName("requiredDuringSchedulingIgnoredDuringExecution")]
    public ValueList<PodAffinityTerm>? RequiredDuringSchedulingIgnoredDuringExecution { get; init; }

    [JsonPropertyName("preferredDuringSchedulingIgnoredDuringExecution")]
    public ValueList<WeightedPodAffinityTerm>? PreferredDuringSchedulingIgnoredDuringExecution { get; init; }
}

/// <summary>Kubernetes <c>PodAffinityTerm</c>.</summary>
public sealed record PodAffinityTerm
{
    [JsonPropertyName("labelSelector")]
    public LabelSelector? LabelSelector { get; init; }

    [JsonPropertyName("namespaceSelector")]
    public LabelSelector? NamespaceSelector { get; init; }

    [JsonPropertyName("namespaces")]
    public ValueList<string>? Namespaces { get; init; }

    [Required]
    [JsonPropertyName("topologyKey")]
    public string? TopologyKey { get; init; }
}

/// <summary>Kubernetes <c>WeightedPodAffinityTerm</c>.</summary>
public sealed record WeightedPodAffinityTerm
{
    [Required]
    [JsonPropertyName("weight")]
    public int? Weight { get; init; }

    [Required]
    [JsonPropertyName("podAffinityTerm")]
    public PodAffinityTerm? PodAffinityTerm { get; init; }
}

/// <summary>Kubernetes <c>LabelSelector</c>.</summary>
public sealed record LabelSelector
{
    [JsonPropertyName("matchLabels")]
    public ValueMap<string>? MatchLabels { get; init; }

    [JsonPropertyName("matchExpressions")]
    public ValueList<LabelSelectorRequirement>? MatchExpressions { get; init; }
}

/// <summary>Kubernetes <c>LabelSelectorRequirement</c>.</summary>
public sealed record LabelSelectorRequirement
{
    [Required]
    [JsonPropertyName("key")]
    public string? Key { get; init; }

    [Required]
    [JsonPropertyName("operator")]
    public LabelSelectorOperator? Operator { get; init; }

    [JsonPropertyName("values")]
    public ValueList<string>? Values { get; init; }
}

/// <summary>Operators of a label selector requirement.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LabelSelectorOperator>))]
public enum LabelSelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// <summary>Kubernetes <c>Toleration</c>: lets a pod run on nodes with a matching taint.</summary>
public sealed record Toleration
{
    [JsonPropertyName("key")]
    public string? Key { get; init; }

    [JsonPropertyName("operator")]
    public TolerationOperator? Operator { get; init; }

    [JsonPropertyName("value")]
    public string? Value { get; init; }

    [JsonPropertyName("effect")]
    public TaintEffect? Effect { get; init; }

    [JsonPropertyName("tolerationSeconds")]
    public long? TolerationSeconds { get; init; }
}

/// <summary>Operators of a toleration (Equal is the default).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TolerationOperator>))]
public enum TolerationOperator
{
    Equal,
    Exists,
}

/// <summary>Effects of a taint.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TaintEffect>))]
public enum TaintEffect
{
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}
