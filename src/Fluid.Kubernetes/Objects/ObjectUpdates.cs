using Fluid.Kubernetes.Diagnostics;
using Fluid.Kubernetes.Resources;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Kubernetes.Objects;

/// <summary>What a create-or-update did.</summary>
public enum ApplyOutcome
{
    /// <summary>The object did not exist and was created.</summary>
    Created,

    /// <summary>The object existed and was changed.</summary>
    Updated,

    /// <summary>The object already matched; nothing was written.</summary>
    Unchanged,
}

/// <summary>The object as stored after a write, and what the write did.</summary>
/// <typeparam name="T">The object type.</typeparam>
/// <param name="Object">The stored object.</param>
/// <param name="Outcome">Created, Updated or Unchanged.</param>
public sealed record ApplyResult<T>(T Object, ApplyOutcome Outcome);

/// <summary>
/// Read-modify-write helpers with optimistic concurrency: each reads the object, applies the caller's change and
/// writes it back conditioned on the resourceVersion it read; a 409 Conflict re-reads and tries again (up to
/// <see cref="MaxAttempts"/>). Change functions must therefore be safe to run more than once.
/// </summary>
public static class ObjectUpdates
{
    /// <summary>How many read-modify-write rounds are tried before the last conflict is thrown.</summary>
    public const int MaxAttempts = 10;

    /// <summary>
    /// Creates the object <paramref name="key"/> names, or updates it: <paramref name="mutate"/> gets the existing
    /// object (or a new one with only its name and namespace set) and brings it to the desired state. Nothing is
    /// written when the result equals what is stored.
    /// </summary>
    public static async Task<ApplyResult<T>> CreateOrUpdateAsync<T>(this ResourceClient<T> client, ObjectKey key, Action<T> mutate, ILogger? logger = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(mutate);
        for (int attempt = 1; ; attempt++)
        {
            var existing = await client.GetAsync(key, cancellationToken);
            try
            {
                if (existing is null)
                {
                    var fresh = new T
                    {
                        ApiVersion = client.Type.ApiVersion,
                        Kind = client.Type.Kind,
                        Metadata = new V1ObjectMeta { Name = key.Name, NamespaceProperty = key.Namespace },
                    };
                    mutate(fresh);
                    CheckKeyUnchanged(fresh, key);
                    return new ApplyResult<T>(await client.CreateAsync(fresh, cancellationToken), ApplyOutcome.Created);
                }

                string before = KubernetesJson.Serialize(existing);
                mutate(existing);
                CheckKeyUnchanged(existing, key);
                if (KubernetesJson.Serialize(existing) == before)
                {
                    return new ApplyResult<T>(existing, ApplyOutcome.Unchanged);
                }

                return new ApplyResult<T>(await client.ReplaceAsync(existing, cancellationToken), ApplyOutcome.Updated);
            }
            catch (Exception e) when (e.IsConflict() && attempt < MaxAttempts)
            {
                // Stale read or a concurrent create (AlreadyExists is also 409): read again and redo the change.
                Log.WriteConflict(logger ?? NullLogger.Instance, client.Type.DisplayName, key.ToString(), attempt);
            }
        }
    }

    /// <summary>
    /// Changes an existing object with <paramref name="mutate"/> and writes it back (main resource, so .status is
    /// ignored when the resource has a status subresource). Returns null when the object does not exist.
    /// </summary>
    public static Task<ApplyResult<T>?> UpdateAsync<T>(this ResourceClient<T> client, ObjectKey key, Action<T> mutate, ILogger? logger = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        ModifyAsync(client, key, mutate, status: false, logger, cancellationToken);

    /// <summary>
    /// Changes an existing object's .status with <paramref name="mutate"/> and writes it through the status
    /// subresource. Returns null when the object does not exist.
    /// </summary>
    public static Task<ApplyResult<T>?> UpdateStatusAsync<T>(this ResourceClient<T> client, ObjectKey key, Action<T> mutate, ILogger? logger = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        ModifyAsync(client, key, mutate, status: true, logger, cancellationToken);

    /// <summary>Adds <paramref name="finalizer"/> unless present. Returns null when the object does not exist.</summary>
    public static Task<ApplyResult<T>?> AddFinalizerAsync<T>(this ResourceClient<T> client, ObjectKey key, string finalizer, ILogger? logger = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentException.ThrowIfNullOrEmpty(finalizer);
        return ModifyAsync(client, key, obj =>
        {
            var finalizers = obj.Metadata.Finalizers ??= [];
            if (!finalizers.Contains(finalizer))
            {
                finalizers.Add(finalizer);
            }
        }, status: false, logger, cancellationToken);
    }

    /// <summary>
    /// Removes <paramref name="finalizer"/> if present. Returns null when the object does not exist. Removing the
    /// last finalizer of an object being deleted lets the server delete it.
    /// </summary>
    public static Task<ApplyResult<T>?> RemoveFinalizerAsync<T>(this ResourceClient<T> client, ObjectKey key, string finalizer, ILogger? logger = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentException.ThrowIfNullOrEmpty(finalizer);
        return ModifyAsync(client, key, obj => obj.Metadata.Finalizers?.Remove(finalizer), status: false, logger, cancellationToken);
    }

    /// <summary>Whether the object carries <paramref name="finalizer"/>.</summary>
    public static bool HasFinalizer(this IKubernetesObject<V1ObjectMeta> obj, string finalizer) =>
        obj?.Metadata?.Finalizers?.Contains(finalizer) == true;

    /// <summary>Whether the object is being deleted (it has a deletionTimestamp and waits for finalizers).</summary>
    public static bool IsBeingDeleted(this IKubernetesObject<V1ObjectMeta> obj) => obj?.Metadata?.DeletionTimestamp is not null;

    private static async Task<ApplyResult<T>?> ModifyAsync<T>(ResourceClient<T> client, ObjectKey key, Action<T> mutate, bool status, ILogger? logger, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(mutate);
        for (int attempt = 1; ; attempt++)
        {
            var existing = await client.GetAsync(key, cancellationToken);
            if (existing is null)
            {
                return null;
            }

            string before = KubernetesJson.Serialize(existing);
            mutate(existing);
            CheckKeyUnchanged(existing, key);
            if (KubernetesJson.Serialize(existing) == before)
            {
                return new ApplyResult<T>(existing, ApplyOutcome.Unchanged);
            }

            try
            {
                var written = status
                    ? await client.ReplaceStatusAsync(existing, cancellationToken)
                    : await client.ReplaceAsync(existing, cancellationToken);
                return new ApplyResult<T>(written, ApplyOutcome.Updated);
            }
            catch (Exception e) when (e.IsConflict() && attempt < MaxAttempts)
            {
                Log.WriteConflict(logger ?? NullLogger.Instance, client.Type.DisplayName, key.ToString(), attempt);
            }
            catch (Exception e) when (e.IsNotFound())
            {
                // Deleted between the read and the write.
                return null;
            }
        }
    }

    private static void CheckKeyUnchanged(IKubernetesObject<V1ObjectMeta> obj, ObjectKey key)
    {
        if (obj.Metadata?.Name != key.Name || (key.Namespace is not null && obj.Metadata.NamespaceProperty != key.Namespace))
        {
            throw new InvalidOperationException($"the change function renamed or moved {key} (to {obj.Metadata?.NamespaceProperty}/{obj.Metadata?.Name})");
        }
    }
}
