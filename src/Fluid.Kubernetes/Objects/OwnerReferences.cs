using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Objects;

/// <summary>Helpers for metadata.ownerReferences, which drive garbage collection of dependents.</summary>
public static class OwnerReferences
{
    /// <summary>An owner reference to <paramref name="owner"/> (which must have been read from the server, for its uid).</summary>
    public static V1OwnerReference For(IKubernetesObject<V1ObjectMeta> owner, bool controller = true, bool blockOwnerDeletion = true)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (string.IsNullOrEmpty(owner.Metadata?.Uid) || string.IsNullOrEmpty(owner.Metadata.Name))
        {
            throw new ArgumentException("the owner needs metadata.name and metadata.uid (read it from the API server first)", nameof(owner));
        }

        if (string.IsNullOrEmpty(owner.ApiVersion) || string.IsNullOrEmpty(owner.Kind))
        {
            throw new ArgumentException($"the owner {owner.Metadata.Name} needs apiVersion and kind", nameof(owner));
        }

        return new V1OwnerReference
        {
            ApiVersion = owner.ApiVersion,
            Kind = owner.Kind,
            Name = owner.Metadata.Name,
            Uid = owner.Metadata.Uid,
            Controller = controller ? true : null,
            BlockOwnerDeletion = blockOwnerDeletion ? true : null,
        };
    }

    /// <summary>
    /// Makes <paramref name="owner"/> the controller of <paramref name="dependent"/> (replacing an older reference to
    /// the same owner). Throws when another object already controls it, as only one controller is allowed.
    /// Cluster-scoped dependents cannot have namespaced owners, and namespaced owners must share the namespace.
    /// </summary>
    public static void SetController(IKubernetesObject<V1ObjectMeta> dependent, IKubernetesObject<V1ObjectMeta> owner)
    {
        ArgumentNullException.ThrowIfNull(dependent);
        var reference = For(owner);
        string? ownerNs = owner.Metadata.NamespaceProperty;
        string? dependentNs = dependent.Metadata?.NamespaceProperty;
        if (!string.IsNullOrEmpty(ownerNs) && ownerNs != dependentNs)
        {
            throw new ArgumentException($"{owner.Kind} {ownerNs}/{owner.Metadata.Name} cannot own an object in namespace '{dependentNs}'", nameof(owner));
        }

        var metadata = dependent.Metadata ??= new V1ObjectMeta();
        var references = metadata.OwnerReferences ??= [];
        var current = references.FirstOrDefault(r => r.Controller == true);
        if (current is not null && current.Uid != reference.Uid)
        {
            throw new InvalidOperationException($"{metadata.Name} is already controlled by {current.Kind} {current.Name}");
        }

        for (int i = references.Count - 1; i >= 0; i--)
        {
            if (references[i].Uid == reference.Uid)
            {
                references.RemoveAt(i);
            }
        }

        references.Add(reference);
    }

    /// <summary>The reference of the object's controller, if it has one.</summary>
    public static V1OwnerReference? ControllerOf(IKubernetesObject<V1ObjectMeta> obj) =>
        obj?.Metadata?.OwnerReferences?.FirstOrDefault(r => r.Controller == true);

    /// <summary>Whether <paramref name="owner"/> (by uid) is among the object's owners.</summary>
    public static bool IsOwnedBy(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> owner) =>
        owner?.Metadata?.Uid is { Length: > 0 } uid && obj?.Metadata?.OwnerReferences?.Any(r => r.Uid == uid) == true;
}
