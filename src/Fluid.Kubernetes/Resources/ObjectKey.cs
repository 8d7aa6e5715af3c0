using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Resources;

/// <summary>Identifies one object: its namespace (null for cluster-scoped objects) and name. Written <c>ns/name</c>.</summary>
/// <param name="Namespace">Namespace, or null for a cluster-scoped object.</param>
/// <param name="Name">Object name.</param>
public readonly record struct ObjectKey(string? Namespace, string Name)
{
    /// <summary>The key of an object, from its metadata.</summary>
    public static ObjectKey From(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var metadata = obj.Metadata ?? throw new ArgumentException("the object has no metadata", nameof(obj));
        return new ObjectKey(string.IsNullOrEmpty(metadata.NamespaceProperty) ? null : metadata.NamespaceProperty,
            metadata.Name ?? throw new ArgumentException("the object has no metadata.name", nameof(obj)));
    }

    /// <summary>Parses <c>ns/name</c> or <c>name</c>.</summary>
    public static ObjectKey Parse(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return new ObjectKey(null, text);
        }

        if (slash == 0 || slash == text.Length - 1 || text.IndexOf('/', slash + 1) >= 0)
        {
            throw new FormatException($"object key '{text}' must be 'namespace/name' or 'name'");
        }

        return new ObjectKey(text[..slash], text[(slash + 1)..]);
    }

    /// <inheritdoc />
    public override string ToString() => Namespace is null ? Name : $"{Namespace}/{Name}";
}
