using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Fluid.Kubernetes.Resources;

/// <summary>What a list or watch asks for.</summary>
public sealed record ListRequest
{
    /// <summary>Namespace to list in; null lists every namespace (or a cluster-scoped resource).</summary>
    public string? Namespace { get; init; }

    /// <summary>Label selector, for example <c>app=worker,tier in (a,b)</c>.</summary>
    public string? LabelSelector { get; init; }

    /// <summary>Field selector, for example <c>metadata.name=x</c>.</summary>
    public string? FieldSelector { get; init; }

    /// <summary>Page size for a list; null asks for everything at once.</summary>
    public int? Limit { get; init; }

    /// <summary>Continue token from the previous page.</summary>
    public string? Continue { get; init; }

    /// <summary>For a watch: the resourceVersion to start after (lists always read the latest state).</summary>
    public string? ResourceVersion { get; init; }

    /// <summary>For a watch: whether the server may send BOOKMARK events.</summary>
    public bool AllowBookmarks { get; init; }

    /// <summary>For a watch: ask the server to end the stream after this long.</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>One page of a list.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The objects on this page.</param>
/// <param name="ResourceVersion">The list's resourceVersion: watch from here to see every later change.</param>
/// <param name="Continue">Token for the next page, or null on the last page.</param>
public sealed record ResourcePage<T>(IReadOnlyList<T> Items, string ResourceVersion, string? Continue);

/// <summary>One event of a watch stream.</summary>
/// <typeparam name="T">The object type.</typeparam>
/// <param name="Type">ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</param>
/// <param name="Object">The object (for a bookmark only its resourceVersion is set); null for an error.</param>
/// <param name="Error">For an ERROR event, the Status the server sent (code 410 means the resourceVersion is too old).</param>
public readonly record struct WatchEvent<T>(WatchEventType Type, T? Object, V1Status? Error);

/// <summary>
/// Typed access to one resource through KubernetesClient's generic (custom object) operations, which serve every
/// group including the core one: get, list (paged), watch, create, replace, status, patch and delete.
/// Failures surface as KubernetesClient's <see cref="HttpOperationException"/>; see <see cref="ApiErrors"/>.
/// </summary>
/// <typeparam name="T">The object type.</typeparam>
public sealed class ResourceClient<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ICustomObjectsOperations _api;

    /// <summary>Creates a client for <paramref name="type"/> over <paramref name="client"/>.</summary>
    public ResourceClient(IKubernetes client, ResourceType<T> type)
    {
        ArgumentNullException.ThrowIfNull(client);
        Kubernetes = client;
        Type = type ?? throw new ArgumentNullException(nameof(type));
        _api = client.CustomObjects;
    }

    /// <summary>The underlying KubernetesClient.</summary>
    public IKubernetes Kubernetes { get; }

    /// <summary>The resource this client reads and writes.</summary>
    public ResourceType<T> Type { get; }

    /// <summary>Reads one object; null when it does not exist.</summary>
    public async Task<T?> GetAsync(ObjectKey key, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = Type.Namespaced
                ? await _api.GetNamespacedCustomObjectWithHttpMessagesAsync<T>(Type.Group, Type.Version, RequireNamespace(key), Type.Plural, key.Name, cancellationToken: cancellationToken)
                : await _api.GetClusterCustomObjectWithHttpMessagesAsync<T>(Type.Group, Type.Version, Type.Plural, key.Name, cancellationToken: cancellationToken);
            return response.Body;
        }
        catch (HttpOperationException e) when (e.IsNotFound())
        {
            return null;
        }
    }

    /// <summary>Reads one page of a list.</summary>
    public async Task<ResourcePage<T>> ListPageAsync(ListRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await ListCoreAsync(request, cancellationToken);
        var list = response.Body;
        return new ResourcePage<T>([.. list.Items], list.Metadata?.ResourceVersion ?? "",
            string.IsNullOrEmpty(list.Metadata?.ContinueProperty) ? null : list.Metadata.ContinueProperty);
    }

    /// <summary>Lists every matching object, page by page (<paramref name="pageSize"/> at a time).</summary>
    public async Task<IReadOnlyList<T>> ListAsync(string? ns = null, string? labelSelector = null, int pageSize = 500, CancellationToken cancellationToken = default)
    {
        var items = new List<T>();
        string? token = null;
        do
        {
            var page = await ListPageAsync(new ListRequest { Namespace = ns, LabelSelector = labelSelector, Limit = pageSize, Continue = token }, cancellationToken);
            items.AddRange(page.Items);
            token = page.Continue;
        }
        while (token is not null);

        return items;
    }

    /// <summary>
    /// Watches the resource from <see cref="ListRequest.ResourceVersion"/>. The stream ends when the server closes it;
    /// ERROR events (for example 410 Gone) are yielded in order with their Status; cancelling closes the connection.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync(ListRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new ConcurrentQueue<Exception>();
        int? timeoutSeconds = request.Timeout is { } timeout ? (int)Math.Ceiling(timeout.TotalSeconds) : null;
        bool? bookmarks = request.AllowBookmarks ? true : null;
        var stream = Type.Namespaced && request.Namespace is not null
            ? _api.WatchListNamespacedCustomObjectAsync(Type.Group, Type.Version, request.Namespace, Type.Plural,
                allowWatchBookmarks: bookmarks, fieldSelector: request.FieldSelector, labelSelector: request.LabelSelector,
                resourceVersion: request.ResourceVersion, timeoutSeconds: timeoutSeconds, onError: errors.Enqueue, cancellationToken: cancellationToken)
            : Type.Namespaced
                ? _api.WatchListCustomObjectForAllNamespacesAsync(Type.Group, Type.Version, Type.Plural,
                    allowWatchBookmarks: bookmarks, fieldSelector: request.FieldSelector, labelSelector: request.LabelSelector,
                    resourceVersion: request.ResourceVersion, timeoutSeconds: timeoutSeconds, onError: errors.Enqueue, cancellationToken: cancellationToken)
                : _api.WatchListClusterCustomObjectAsync(Type.Group, Type.Version, Type.Plural,
                    allowWatchBookmarks: bookmarks, fieldSelector: request.FieldSelector, labelSelector: request.LabelSelector,
                    resourceVersion: request.ResourceVersion, timeoutSeconds: timeoutSeconds, onError: errors.Enqueue, cancellationToken: cancellationToken);
        await foreach (var (type, obj) in stream.WithCancellation(cancellationToken))
        {
            foreach (var error in Drain(errors))
            {
                yield return error;
            }

            yield return new WatchEvent<T>(type, Deserialize(obj), null);
        }

        foreach (var error in Drain(errors))
        {
            yield return error;
        }
    }

    /// <summary>Converts a JSON object (as KubernetesClient's untyped operations return it) to <typeparamref name="T"/>.</summary>
    public static T Deserialize(object obj) => obj switch
    {
        T typed => typed,
        JsonElement element => KubernetesJson.Deserialize<T>(element),
        _ => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj)),
    };

    /// <summary>Creates an object (in its metadata.namespace for a namespaced resource).</summary>
    public async Task<T> CreateAsync(T obj, CancellationToken cancellationToken = default)
    {
        var key = Prepare(obj);
        using var response = Type.Namespaced
            ? await _api.CreateNamespacedCustomObjectWithHttpMessagesAsync<T>(obj, Type.Group, Type.Version, RequireNamespace(key), Type.Plural, cancellationToken: cancellationToken)
            : await _api.CreateClusterCustomObjectWithHttpMessagesAsync<T>(obj, Type.Group, Type.Version, Type.Plural, cancellationToken: cancellationToken);
        return response.Body;
    }

    /// <summary>
    /// Replaces an object. Its metadata.resourceVersion makes the write conditional: a stale one fails with
    /// 409 Conflict. With a status subresource the server ignores .status here.
    /// </summary>
    public async Task<T> ReplaceAsync(T obj, CancellationToken cancellationToken = default)
    {
        var key = Prepare(obj);
        using var response = Type.Namespaced
            ? await _api.ReplaceNamespacedCustomObjectWithHttpMessagesAsync<T>(obj, Type.Group, Type.Version, RequireNamespace(key), Type.Plural, key.Name, cancellationToken: cancellationToken)
            : await _api.ReplaceClusterCustomObjectWithHttpMessagesAsync<T>(obj, Type.Group, Type.Version, Type.Plural, key.Name, cancellationToken: cancellationToken);
        return response.Body;
    }

    /// <summary>Replaces only .status through the status subresource (conditional on metadata.resourceVersion).</summary>
    public async Task<T> ReplaceStatusAsync(T obj, CancellationToken cancellationToken = default)
    {
        var key = Prepare(obj);
        using var response = Type.Namespaced
            ? await _api.ReplaceNamespacedCustomObjectStatusWithHttpMessagesAsync<T>(obj, Type.Group, Type.Version, RequireNamespace(key), Type.Plural, key.Name, cancellationToken: cancellationToken)
            : await _api.ReplaceClusterCustomObjectStatusWithHttpMessagesAsync<T>(obj, Type.Group, Type.Version, Type.Plural, key.Name, cancellationToken: cancellationToken);
        return response.Body;
    }

    /// <summary>Patches an object (merge, JSON or strategic merge patch, by <see cref="V1Patch.Type"/>).</summary>
    public async Task<T> PatchAsync(ObjectKey key, V1Patch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var response = Type.Namespaced
            ? await _api.PatchNamespacedCustomObjectWithHttpMessagesAsync<T>(patch, Type.Group, Type.Version, RequireNamespace(key), Type.Plural, key.Name, cancellationToken: cancellationToken)
            : await _api.PatchClusterCustomObjectWithHttpMessagesAsync<T>(patch, Type.Group, Type.Version, Type.Plural, key.Name, cancellationToken: cancellationToken);
        return response.Body;
    }

    /// <summary>Patches only .status through the status subresource.</summary>
    public async Task<T> PatchStatusAsync(ObjectKey key, V1Patch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var response = Type.Namespaced
            ? await _api.PatchNamespacedCustomObjectStatusWithHttpMessagesAsync<T>(patch, Type.Group, Type.Version, RequireNamespace(key), Type.Plural, key.Name, cancellationToken: cancellationToken)
            : await _api.PatchClusterCustomObjectStatusWithHttpMessagesAsync<T>(patch, Type.Group, Type.Version, Type.Plural, key.Name, cancellationToken: cancellationToken);
        return response.Body;
    }

    /// <summary>
    /// Deletes an object. Returns false when it did not exist. With finalizers the object stays, marked with a
    /// deletionTimestamp, until they are removed. <paramref name="propagationPolicy"/> is Background (the
    /// server's default), Foreground or Orphan.
    /// </summary>
    public async Task<bool> DeleteAsync(ObjectKey key, string? propagationPolicy = null, string? preconditionResourceVersion = null, CancellationToken cancellationToken = default)
    {
        var options = new V1DeleteOptions
        {
            PropagationPolicy = propagationPolicy,
            Preconditions = preconditionResourceVersion is null ? null : new V1Preconditions { ResourceVersion = preconditionResourceVersion },
        };
        try
        {
            using var response = Type.Namespaced
                ? await _api.DeleteNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(Type.Group, Type.Version, RequireNamespace(key), Type.Plural, key.Name, options, cancellationToken: cancellationToken)
                : await _api.DeleteClusterCustomObjectWithHttpMessagesAsync<JsonElement>(Type.Group, Type.Version, Type.Plural, key.Name, options, cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.IsNotFound())
        {
            return false;
        }
    }

    private Task<HttpOperationResponse<ResourceList<T>>> ListCoreAsync(ListRequest request, CancellationToken cancellationToken)
    {
        // A list always reads the latest state; ListRequest.ResourceVersion applies to watches only.
        if (Type.Namespaced && request.Namespace is not null)
        {
            return _api.ListNamespacedCustomObjectWithHttpMessagesAsync<ResourceList<T>>(Type.Group, Type.Version, request.Namespace, Type.Plural,
                continueParameter: request.Continue, fieldSelector: request.FieldSelector, labelSelector: request.LabelSelector,
                limit: request.Limit, cancellationToken: cancellationToken);
        }

        return Type.Namespaced
            ? _api.ListCustomObjectForAllNamespacesWithHttpMessagesAsync<ResourceList<T>>(Type.Group, Type.Version, Type.Plural,
                continueParameter: request.Continue, fieldSelector: request.FieldSelector, labelSelector: request.LabelSelector,
                limit: request.Limit, cancellationToken: cancellationToken)
            : _api.ListClusterCustomObjectWithHttpMessagesAsync<ResourceList<T>>(Type.Group, Type.Version, Type.Plural,
                continueParameter: request.Continue, fieldSelector: request.FieldSelector, labelSelector: request.LabelSelector,
                limit: request.Limit, cancellationToken: cancellationToken);
    }

    private static IEnumerable<WatchEvent<T>> Drain(ConcurrentQueue<Exception> errors)
    {
        while (errors.TryDequeue(out var error))
        {
            if (error is KubernetesException { Status: { } status })
            {
                yield return new WatchEvent<T>(WatchEventType.Error, null, status);
            }
            else
            {
                throw new InvalidDataException($"a watch event could not be read: {error.Message}", error);
            }
        }
    }

    private ObjectKey Prepare(T obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        obj.ApiVersion ??= Type.ApiVersion;
        obj.Kind ??= Type.Kind;
        return ObjectKey.From(obj);
    }

    private string RequireNamespace(ObjectKey key) =>
        key.Namespace ?? throw new ArgumentException($"{Type} is namespaced: the object key '{key}' needs a namespace", nameof(key));
}
