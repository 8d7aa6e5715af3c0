using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Fluid.Api.Meta;

/// <summary>The subset of Kubernetes <c>metadata</c> that Fluid objects carry.</summary>
public sealed record ObjectMeta
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }

    [JsonPropertyName("labels")]
    public ValueMap<string>? Labels { get; init; }

    [JsonPropertyName("annotations")]
    public ValueMap<string>? Annotations { get; init; }

    [JsonPropertyName("uid")]
    public string? Uid { get; init; }

    [JsonPropertyName("resourceVersion")]
    public string? ResourceVersion { get; init; }

    [JsonPropertyName("generation")]
    public long? Generation { get; init; }

    [JsonPropertyName("creationTimestamp")]
    [JsonConverter(typeof(KubernetesTimeJsonConverter))]
    public DateTimeOffset? CreationTimestamp { get; init; }

    [JsonPropertyName("deletionTimestamp")]
    [JsonConverter(typeof(KubernetesTimeJsonConverter))]
    public DateTimeOffset? DeletionTimestamp { get; init; }

    [JsonPropertyName("finalizers")]
    public ValueList<string>? Finalizers { get; init; }

    [JsonPropertyName("ownerReferences")]
    public ValueList<OwnerReference>? OwnerReferences { get; init; }
}

/// <summary>A Kubernetes owner reference: the object that owns this one and is deleted with it.</summary>
public sealed record OwnerReference
{
    [Required]
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; init; }

    [Required]
    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [Required]
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [Required]
    [JsonPropertyName("uid")]
    public string? Uid { get; init; }

    [JsonPropertyName("controller")]
    public bool? Controller { get; init; }

    [JsonPropertyName("blockOwnerDeletion")]
    public bool? BlockOwnerDeletion { get; init; }
}

/// <summary>A Fluid object: apiVersion, kind and metadata, as every document in a manifest has.</summary>
public interface IManifestObject
{
    string ApiVersion { get; }

    string Kind { get; }

    ObjectMeta? Metadata { get; }
}

/// <summary>Names of the API group this project serves.</summary>
public static class FluidApi
{
    public const string Group = "data.fluid.io";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;
}

/// <summary>Convenience accessors shared by all manifest objects.</summary>
public static class ManifestObjectExtensions
{
    /// <summary><c>Kind/name</c>, the way problems and logs name an object.</summary>
    public static string DisplayName(this IManifestObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return $"{obj.Kind}/{obj.Metadata?.Name}";
    }

    /// <summary>The namespace, or <c>default</c> when none is set (as kubectl applies it).</summary>
    public static string NamespaceOrDefault(this IManifestObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return string.IsNullOrEmpty(obj.Metadata?.Namespace) ? "default" : obj.Metadata.Namespace;
    }
}
