using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Resources;

/// <summary>The list envelope of any resource (<c>kind: XList</c>, <c>metadata</c>, <c>items</c>).</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class ResourceList<T> : IKubernetesObject<V1ListMeta>, IItems<T>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    /// <inheritdoc />
    [JsonPropertyName("items")]
    public IList<T> Items { get; set; } = [];
}
