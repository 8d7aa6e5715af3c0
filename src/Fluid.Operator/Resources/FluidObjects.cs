using System.Text.Json.Serialization;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;
using k8s;
using k8s.Models;

namespace Fluid.Operator.Resources;

/// <summary>A Dataset as the API server stores it: Kubernetes metadata around Fluid.Api's spec and status.</summary>
public sealed class DatasetResource : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = FluidApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = Dataset.KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public DatasetSpec? Spec { get; set; }

    [JsonPropertyName("status")]
    public DatasetStatus? Status { get; set; }

    /// <summary>The Fluid.Api object (metadata reduced to what manifests carry), for validation and rendering.</summary>
    public Dataset ToManifest() => new() { Metadata = Metadata.ToManifestMeta(), Spec = Spec };
}

/// <summary>A FluidCacheRuntime as the API server stores it.</summary>
public sealed class FluidCacheRuntimeResource : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = FluidApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = FluidCacheRuntime.KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public FluidCacheRuntimeSpec? Spec { get; set; }

    [JsonPropertyName("status")]
    public RuntimeStatus? Status { get; set; }

    /// <summary>The Fluid.Api object, for validation and for the manifest the pods read.</summary>
    public FluidCacheRuntime ToManifest() => new() { Metadata = Metadata.ToManifestMeta(), Spec = Spec };
}

/// <summary>A DataLoad as the API server stores it.</summary>
public sealed class DataLoadResource : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = FluidApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = DataLoad.KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public DataLoadSpec? Spec { get; set; }

    [JsonPropertyName("status")]
    public OperationStatus? Status { get; set; }

    /// <summary>The Fluid.Api object, for validation.</summary>
    public DataLoad ToManifest() => new() { Metadata = Metadata.ToManifestMeta(), Spec = Spec };
}

/// <summary>The resources of data.fluid.io/v1alpha1 the operator serves.</summary>
public static class FluidResourceTypes
{
    /// <summary>datasets.data.fluid.io.</summary>
    public static Fluid.Kubernetes.Resources.ResourceType<DatasetResource> Datasets { get; } =
        new(FluidApi.Group, FluidApi.Version, "datasets", Dataset.KindName, Namespaced: true);

    /// <summary>fluidcacheruntimes.data.fluid.io.</summary>
    public static Fluid.Kubernetes.Resources.ResourceType<FluidCacheRuntimeResource> FluidCacheRuntimes { get; } =
        new(FluidApi.Group, FluidApi.Version, "fluidcacheruntimes", FluidCacheRuntime.KindName, Namespaced: true);

    /// <summary>dataloads.data.fluid.io.</summary>
    public static Fluid.Kubernetes.Resources.ResourceType<DataLoadResource> DataLoads { get; } =
        new(FluidApi.Group, FluidApi.Version, "dataloads", DataLoad.KindName, Namespaced: true);
}

/// <summary>Conversions between Kubernetes metadata and the manifest metadata of Fluid.Api.</summary>
public static class MetadataConversions
{
    /// <summary>Name, namespace, labels and annotations: what a manifest author wrote.</summary>
    public static ObjectMeta ToManifestMeta(this V1ObjectMeta metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return new ObjectMeta
        {
            Name = metadata.Name,
            Namespace = metadata.NamespaceProperty,
            Labels = metadata.Labels is { Count: > 0 } labels ? new ValueMap<string>(labels) : null,
            Annotations = metadata.Annotations is { Count: > 0 } annotations ? new ValueMap<string>(annotations) : null,
        };
    }
}
