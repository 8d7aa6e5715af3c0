using System.Security.Cryptography;
using System.Text;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Naming;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Applying;

/// <summary>
/// Brings a stored object to a rendered desired state: creates it, or merges the desired labels, annotations and
/// owner references into it and, when the desired content changed since it was last applied (tracked by a hash in
/// the <see cref="FluidLabels.AppliedHash"/> annotation), copies the desired content over. Comparing hashes rather
/// than fields keeps server-side defaulting from causing an update on every reconcile. Nothing is written when
/// nothing changed; 409 conflicts are retried by <see cref="ObjectUpdates.CreateOrUpdateAsync"/>.
/// </summary>
public static class ObjectApplier
{
    /// <summary>Applies <paramref name="desired"/>. <paramref name="copyContent"/> copies everything but metadata
    /// from desired to stored; with <paramref name="createOnly"/> it runs only when the object is created.</summary>
    public static async Task<ApplyResult<T>> ApplyAsync<T>(this ResourceClient<T> client, T desired, Action<T, T> copyContent, bool createOnly = false, ILogger? logger = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(copyContent);
        var key = ObjectKey.From(desired);
        var hash = HashOf(desired);
        return await client.CreateOrUpdateAsync(key, existing =>
        {
            bool fresh = string.IsNullOrEmpty(existing.Metadata.Uid);
            MergeMetadata(existing.Metadata, desired.Metadata);
            existing.Metadata.Annotations ??= new Dictionary<string, string>();
            existing.Metadata.Annotations.TryGetValue(FluidLabels.AppliedHash, out var applied);
            if (fresh || (!createOnly && applied != hash))
            {
                copyContent(existing, desired);
                existing.Metadata.Annotations[FluidLabels.AppliedHash] = hash;
            }
        }, logger, cancellationToken);
    }

    /// <summary>A short hash of an object's JSON form (its identity for "has the desired state changed").</summary>
    public static string HashOf(object obj)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(KubernetesJson.Serialize(obj)));
        return Convert.ToHexStringLower(bytes.AsSpan(0, 8));
    }

    private static void MergeMetadata(V1ObjectMeta stored, V1ObjectMeta desired)
    {
        if (desired.Labels is { Count: > 0 })
        {
            stored.Labels ??= new Dictionary<string, string>();
            foreach (var (k, v) in desired.Labels)
            {
                stored.Labels[k] = v;
            }
        }

        if (desired.Annotations is { Count: > 0 })
        {
            stored.Annotations ??= new Dictionary<string, string>();
            foreach (var (k, v) in desired.Annotations)
            {
                stored.Annotations[k] = v;
            }
        }

        foreach (var reference in desired.OwnerReferences ?? [])
        {
            stored.OwnerReferences ??= [];
            var index = stored.OwnerReferences.ToList().FindIndex(r => r.Uid == reference.Uid);
            if (index < 0)
            {
                stored.OwnerReferences.Add(reference);
            }
            else if (KubernetesJson.Serialize(stored.OwnerReferences[index]) != KubernetesJson.Serialize(reference))
            {
                stored.OwnerReferences[index] = reference;
            }
        }
    }
}
