using Fluid.Kubernetes.Queues;
using Fluid.Kubernetes.Resources;
using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Informers;

/// <summary>Wires informers to work queues: the handlers only enqueue keys, as controllers expect.</summary>
public static class InformerQueueExtensions
{
    /// <summary>Enqueues the key of every changed object.</summary>
    public static IDisposable EnqueueKeysTo<T>(this ResourceInformer<T> informer, WorkQueue<ObjectKey> queue)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(informer);
        ArgumentNullException.ThrowIfNull(queue);
        return informer.AddHandler(change => queue.Add(ObjectKey.From(change.Object)));
    }

    /// <summary>
    /// Enqueues the owners of every changed object: each owner reference of kind <paramref name="ownerKind"/> (and
    /// API group <paramref name="ownerGroup"/>, when given) becomes the key <c>object's namespace/owner name</c>.
    /// With <paramref name="controllerOnly"/> only the controller reference counts. Owners before and after a change
    /// are both enqueued, so an owner that lost a dependent hears about it.
    /// </summary>
    public static IDisposable EnqueueOwnersTo<T>(this ResourceInformer<T> informer, WorkQueue<ObjectKey> queue, string ownerKind, string? ownerGroup = null, bool controllerOnly = true)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(informer);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentException.ThrowIfNullOrEmpty(ownerKind);
        return informer.AddHandler(change =>
        {
            foreach (var key in Owners(change.Object, ownerKind, ownerGroup, controllerOnly))
            {
                queue.Add(key);
            }

            if (change.Old is { } old)
            {
                foreach (var key in Owners(old, ownerKind, ownerGroup, controllerOnly))
                {
                    queue.Add(key);
                }
            }
        });
    }

    /// <summary>Enqueues whatever keys <paramref name="map"/> derives from each changed object.</summary>
    public static IDisposable EnqueueMappedTo<T>(this ResourceInformer<T> informer, WorkQueue<ObjectKey> queue, Func<T, IEnumerable<ObjectKey>> map)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(informer);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(map);
        return informer.AddHandler(change =>
        {
            foreach (var key in map(change.Object))
            {
                queue.Add(key);
            }
        });
    }

    private static IEnumerable<ObjectKey> Owners(IKubernetesObject<V1ObjectMeta> obj, string kind, string? group, bool controllerOnly)
    {
        foreach (var reference in obj.Metadata?.OwnerReferences ?? [])
        {
            if (reference.Kind != kind || (controllerOnly && reference.Controller != true))
            {
                continue;
            }

            if (group is not null)
            {
                int slash = reference.ApiVersion?.IndexOf('/', StringComparison.Ordinal) ?? -1;
                string referenceGroup = slash < 0 ? "" : reference.ApiVersion![..slash];
                if (referenceGroup != group)
                {
                    continue;
                }
            }

            yield return new ObjectKey(string.IsNullOrEmpty(obj.Metadata!.NamespaceProperty) ? null : obj.Metadata.NamespaceProperty, reference.Name);
        }
    }
}
