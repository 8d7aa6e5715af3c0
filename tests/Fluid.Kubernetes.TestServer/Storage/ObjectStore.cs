using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Kubernetes.TestServer.Resources;
using Fluid.Kubernetes.TestServer.Selectors;

namespace Fluid.Kubernetes.TestServer.Storage;

/// <summary>What a list request asks for.</summary>
internal sealed record ListQuery(string? Namespace, LabelSelector Labels, FieldSelector Fields, int? Limit, string? Continue);

/// <summary>One page of a list.</summary>
internal sealed record ListPage(IReadOnlyList<StoredObject> Items, long ResourceVersion, string? Continue, long? RemainingItemCount);

/// <summary>The delete options the store honours.</summary>
internal sealed record DeleteRequest(string? PropagationPolicy, string? PreconditionUid, string? PreconditionResourceVersion);

/// <summary>The outcome of a delete: the object is gone, or it waits for finalizers.</summary>
internal sealed record DeleteOutcome(StoredObject Object, bool Deleted);

/// <summary>
/// Every object of every resource, one global resourceVersion counter and the event history watchers replay.
/// All state changes happen under one lock, so a commit, its event and its fan-out to watchers are atomic.
/// </summary>
internal sealed partial class ObjectStore
{
    private const string ForegroundFinalizer = "foregroundDeletion";
    private const int MaxHistory = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ResourceDefinition> _resources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredObject> _byUid = new(StringComparer.Ordinal);
    private readonly List<StoreEvent> _history = [];
    private readonly Dictionary<string, ListSnapshot> _snapshots = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    // Starts above zero: "0" in a watch or list request means "any version", never a real one.
    private long _resourceVersion = 1;
    private long _compactedThrough;

    public ObjectStore(IEnumerable<ResourceDefinition> resources, TimeProvider time)
    {
        _time = time;
        foreach (var resource in resources)
        {
            AddResource(resource);
        }
    }

    /// <summary>Raised (outside the lock) after a delete or a write with owner references, so garbage collection can run.</summary>
    public event Action? GarbageCollectionNeeded;

    public long CurrentResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    public long CompactedThrough
    {
        get
        {
            lock (_gate)
            {
                return _compactedThrough;
            }
        }
    }

    public void AddResource(ResourceDefinition resource)
    {
        lock (_gate)
        {
            _resources[resource.Id] = resource;
            if (!_objects.ContainsKey(resource.Id))
            {
                _objects[resource.Id] = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            }
        }
    }

    public IReadOnlyList<ResourceDefinition> Resources
    {
        get
        {
            lock (_gate)
            {
                return [.. _resources.Values];
            }
        }
    }

    public ResourceDefinition? FindResource(string group, string version, string plural)
    {
        lock (_gate)
        {
            return _resources.GetValueOrDefault($"{group}/{version}/{plural}");
        }
    }

    /// <summary>Forgets history up to now: watches and continue tokens from before this point get 410 Gone.</summary>
    public long Compact()
    {
        lock (_gate)
        {
            _compactedThrough = _resourceVersion;
            _history.Clear();
            foreach (var id in _snapshots.Where(s => s.Value.ResourceVersion < _compactedThrough).Select(s => s.Key).ToList())
            {
                _snapshots.Remove(id);
            }

            return _compactedThrough;
        }
    }

    public StoredObject Get(ResourceDefinition resource, string? ns, string name)
    {
        lock (_gate)
        {
            return Find(resource, ns, name) ?? throw ApiException.NotFound(resource, name);
        }
    }

    public StoredObject? TryGet(ResourceDefinition resource, string? ns, string name)
    {
        lock (_gate)
        {
            return Find(resource, ns, name);
        }
    }

    public ListPage List(ResourceDefinition resource, ListQuery query)
    {
        lock (_gate)
        {
            ListSnapshot snapshot;
            int start = 0;
            if (query.Continue is { Length: > 0 } token)
            {
                (string id, start) = DecodeContinue(token);
                if (!_snapshots.TryGetValue(id, out snapshot!))
                {
                    throw ApiException.Gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
                }
            }
            else
            {
                var items = _objects[resource.Id].Values
                    .Where(o => (query.Namespace is null || o.Namespace == query.Namespace)
                        && query.Labels.Matches(o.Object) && query.Fields.Matches(o.Object))
                    .ToArray();
                snapshot = new ListSnapshot(Guid.NewGuid().ToString("N"), _resourceVersion, items);
            }

            int limit = query.Limit is > 0 ? query.Limit.Value : int.MaxValue;
            int end = (int)Math.Min((long)start + limit, snapshot.Items.Length);
            var page = snapshot.Items[start..end];
            if (end < snapshot.Items.Length)
            {
                // Later pages come from the same snapshot, so a paginated list is consistent at one resourceVersion.
                _snapshots[snapshot.Id] = snapshot;
                return new ListPage(page, snapshot.ResourceVersion, EncodeContinue(snapshot.Id, end), snapshot.Items.Length - end);
            }

            _snapshots.Remove(snapshot.Id);
            return new ListPage(page, snapshot.ResourceVersion, null, null);
        }
    }

    public StoredObject Create(ResourceDefinition resource, string? ns, JsonObject body)
    {
        StoredObject created;
        lock (_gate)
        {
            var obj = (JsonObject)body.DeepClone();
            CheckKind(resource, obj);
            var metadata = Json.Metadata(obj);
            string? name = Json.String(metadata["name"]);
            if (string.IsNullOrEmpty(name))
            {
                string? generateName = Json.String(metadata["generateName"]);
                if (string.IsNullOrEmpty(generateName))
                {
                    throw ApiException.Invalid(resource, "", "metadata.name: Required value: name or generateName is required");
                }

                name = generateName + RandomSuffix();
            }

            CheckName(resource, name);
            ns = ResolveNamespace(resource, ns, metadata);
            if (Find(resource, ns, name) is not null)
            {
                throw ApiException.AlreadyExists(resource, name);
            }

            metadata["name"] = name;
            SetNamespace(metadata, ns);
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] = Json.Timestamp(_time.GetUtcNow());
            metadata["generation"] = 1;
            metadata.Remove("deletionTimestamp");
            metadata.Remove("deletionGracePeriodSeconds");
            metadata.Remove("resourceVersion");
            obj["kind"] = resource.Kind;
            obj["apiVersion"] = resource.ApiVersion;
            if (resource.HasStatus)
            {
                // As for custom resources (and pods), status is not accepted on create: it is written through /status.
                obj.Remove("status");
            }

            OnCreating(resource, obj);
            created = Commit(resource, "ADDED", obj, previous: null);
        }

        OnCommitted(created, deleted: false);
        if (created.Object["metadata"]?["ownerReferences"] is JsonArray { Count: > 0 })
        {
            GarbageCollectionNeeded?.Invoke();
        }

        return created;
    }

    /// <summary>PUT of the main resource (<paramref name="subresource"/> null) or of /status.</summary>
    public StoredObject Update(ResourceDefinition resource, string? ns, string name, JsonObject body, string? subresource)
    {
        StoredObject result;
        bool deleted;
        lock (_gate)
        {
            var existing = Find(resource, ns, name) ?? throw ApiException.NotFound(resource, name);
            (result, deleted) = UpdateLocked(existing, body, subresource);
        }

        AfterWrite(result, deleted);
        return result;
    }

    /// <summary>PATCH of the main resource or of /status: the patch is applied to the stored object, then written as an update.</summary>
    public StoredObject Patch(ResourceDefinition resource, string? ns, string name, Func<JsonObject, JsonObject> applyPatch, string? subresource)
    {
        StoredObject result;
        bool deleted;
        lock (_gate)
        {
            var existing = Find(resource, ns, name) ?? throw ApiException.NotFound(resource, name);
            var patched = applyPatch(existing.Clone());
            (result, deleted) = UpdateLocked(existing, patched, subresource);
        }

        AfterWrite(result, deleted);
        return result;
    }

    public DeleteOutcome Delete(ResourceDefinition resource, string? ns, string name, DeleteRequest request)
    {
        DeleteOutcome outcome;
        lock (_gate)
        {
            var existing = Find(resource, ns, name) ?? throw ApiException.NotFound(resource, name);
            outcome = DeleteLocked(existing, request);
        }

        AfterWrite(outcome.Object, outcome.Deleted);
        return outcome;
    }

    /// <summary>Reads a value at a JSON path of a stored object (for the scale subresource).</summary>
    public JsonObject GetScale(ResourceDefinition resource, string? ns, string name)
    {
        var scale = resource.Scale ?? throw new ApiException(404, "NotFound", $"{resource} has no scale subresource");
        var stored = Get(resource, ns, name);
        return ScaleOf(stored, scale);
    }

    public JsonObject UpdateScale(ResourceDefinition resource, string? ns, string name, Func<JsonObject, JsonObject> newScale)
    {
        var scale = resource.Scale ?? throw new ApiException(404, "NotFound", $"{resource} has no scale subresource");
        StoredObject result;
        lock (_gate)
        {
            var existing = Find(resource, ns, name) ?? throw ApiException.NotFound(resource, name);
            var requested = newScale(ScaleOf(existing, scale));
            string? rv = Json.MetaString(requested, "resourceVersion");
            if (!string.IsNullOrEmpty(rv) && rv != RvString(existing.ResourceVersion))
            {
                throw ApiException.Conflict(resource, name, "the object has been modified; please apply your changes to the latest version and try again");
            }

            var replicas = requested["spec"]?["replicas"];
            if (replicas is not JsonValue value || !value.TryGetValue<int>(out int count) || count < 0)
            {
                throw ApiException.Invalid(resource, name, "spec.replicas: Invalid value: must be a non-negative integer");
            }

            var updated = existing.Clone();
            Json.SetPath(updated, scale.SpecReplicasPath, count);
            (result, _) = UpdateLocked(existing, updated, subresource: null);
        }

        return ScaleOf(result, scale);
    }

    /// <summary>Runs <paramref name="action"/> under the store lock (tests use it to make several changes atomically).</summary>
    public void Atomically(Action action)
    {
        lock (_gate)
        {
            action();
        }
    }

    private (StoredObject Result, bool Deleted) UpdateLocked(StoredObject existing, JsonObject body, string? subresource)
    {
        var resource = existing.Resource;
        string name = existing.Name;
        var bodyMetadata = Json.Metadata(body);
        if (Json.String(bodyMetadata["name"]) is { Length: > 0 } bodyName && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        if (resource.Namespaced && Json.String(bodyMetadata["namespace"]) is { Length: > 0 } bodyNs && bodyNs != existing.Namespace)
        {
            throw ApiException.BadRequest($"the namespace of the object ({bodyNs}) does not match the namespace on the URL ({existing.Namespace})");
        }

        CheckKind(resource, body);
        string? rv = Json.String(bodyMetadata["resourceVersion"]);
        if (!string.IsNullOrEmpty(rv) && rv != RvString(existing.ResourceVersion))
        {
            throw ApiException.Conflict(resource, name, "the object has been modified; please apply your changes to the latest version and try again");
        }

        JsonObject updated;
        if (subresource == "status")
        {
            // /status writes only .status; everything else comes from the stored object.
            updated = existing.Clone();
            if (body["status"] is { } status)
            {
                updated["status"] = status.DeepClone();
            }
            else
            {
                updated.Remove("status");
            }
        }
        else
        {
            updated = (JsonObject)body.DeepClone();
            var metadata = Json.Metadata(updated);
            var old = existing.Object["metadata"]!.AsObject();
            foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
            {
                if (old[field] is { } value)
                {
                    metadata[field] = value.DeepClone();
                }
                else
                {
                    metadata.Remove(field);
                }
            }

            metadata.Remove("generateName");
            if (old["generateName"] is { } generateName)
            {
                metadata["generateName"] = generateName.DeepClone();
            }

            updated["kind"] = resource.Kind;
            updated["apiVersion"] = resource.ApiVersion;
            if (resource.HasStatus)
            {
                // The main resource ignores .status when a status subresource exists.
                if (existing.Object["status"] is { } oldStatus)
                {
                    updated["status"] = oldStatus.DeepClone();
                }
                else
                {
                    updated.Remove("status");
                }
            }

            if (!JsonNode.DeepEquals(Json.SpecPart(updated), Json.SpecPart(existing.Object)))
            {
                long generation = Json.Long(existing.Object["metadata"]?["generation"]) ?? 0;
                metadata["generation"] = generation + 1;
            }
        }

        Json.Metadata(updated)["resourceVersion"] = RvString(existing.ResourceVersion);
        if (JsonNode.DeepEquals(Json.Comparable(updated), Json.Comparable(existing.Object)))
        {
            // A write that changes nothing is not a write: no new resourceVersion, no event.
            return (existing, false);
        }

        bool deleting = Json.MetaString(existing.Object, "deletionTimestamp") is not null;
        var oldFinalizers = Json.Finalizers(existing.Object);
        var newFinalizers = Json.Finalizers(updated);
        if (deleting && newFinalizers.Except(oldFinalizers).FirstOrDefault() is { } added)
        {
            throw ApiException.Invalid(resource, name, $"metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers [\"{added}\"]");
        }

        if (deleting && newFinalizers.Count == 0)
        {
            return (Commit(resource, "DELETED", updated, existing), true);
        }

        return (Commit(resource, "MODIFIED", updated, existing), false);
    }

    private DeleteOutcome DeleteLocked(StoredObject existing, DeleteRequest request)
    {
        var resource = existing.Resource;
        if (request.PreconditionUid is { Length: > 0 } uid && uid != existing.Uid)
        {
            throw ApiException.Conflict(resource, existing.Name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {existing.Uid}");
        }

        if (request.PreconditionResourceVersion is { Length: > 0 } rv && rv != RvString(existing.ResourceVersion))
        {
            throw ApiException.Conflict(resource, existing.Name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {existing.ResourceVersion}");
        }

        var finalizers = Json.Finalizers(existing.Object);
        switch (request.PropagationPolicy)
        {
            case null or "" or "Background":
                break;
            case "Orphan":
                OrphanDependentsLocked(existing.Uid);
                break;
            case "Foreground":
                if (!finalizers.Contains(ForegroundFinalizer) && HasDependentsLocked(existing.Uid))
                {
                    finalizers.Add(ForegroundFinalizer);
                }

                break;
            default:
                throw ApiException.BadRequest($"propagationPolicy: Unsupported value: \"{request.PropagationPolicy}\": supported values: \"Orphan\", \"Background\", \"Foreground\"");
        }

        if (finalizers.Count > 0)
        {
            if (Json.MetaString(existing.Object, "deletionTimestamp") is not null && finalizers.SequenceEqual(Json.Finalizers(existing.Object)))
            {
                return new DeleteOutcome(existing, Deleted: false);
            }

            var marked = existing.Clone();
            var metadata = Json.Metadata(marked);
            metadata["deletionTimestamp"] ??= Json.Timestamp(_time.GetUtcNow());
            metadata["deletionGracePeriodSeconds"] ??= 0;
            Json.SetFinalizers(marked, finalizers);
            return new DeleteOutcome(Commit(resource, "MODIFIED", marked, existing), Deleted: false);
        }

        return new DeleteOutcome(Commit(resource, "DELETED", existing.Clone(), existing), Deleted: true);
    }

    /// <summary>Assigns the next resourceVersion, stores (or removes) the object, records the event and tells watchers.</summary>
    private StoredObject Commit(ResourceDefinition resource, string type, JsonObject obj, StoredObject? previous)
    {
        long rv = ++_resourceVersion;
        Json.Metadata(obj)["resourceVersion"] = RvString(rv);
        var stored = new StoredObject(resource, obj, rv);
        var table = _objects[resource.Id];
        if (type == "DELETED")
        {
            table.Remove(stored.Key);
            _byUid.Remove(stored.Uid);
        }
        else
        {
            table[stored.Key] = stored;
            _byUid[stored.Uid] = stored;
        }

        var change = new StoreEvent(rv, type, stored, previous);
        _history.Add(change);
        if (_history.Count > MaxHistory)
        {
            // Bounded history: dropping the oldest half moves the compaction point, as etcd's compactor would.
            _compactedThrough = _history[(MaxHistory / 2) - 1].ResourceVersion;
            _history.RemoveRange(0, MaxHistory / 2);
        }

        Broadcast(change);
        return stored;
    }

    private void AfterWrite(StoredObject obj, bool deleted)
    {
        OnCommitted(obj, deleted);
        if (deleted || obj.Object["metadata"]?["ownerReferences"] is JsonArray { Count: > 0 })
        {
            GarbageCollectionNeeded?.Invoke();
        }
    }

    private StoredObject? Find(ResourceDefinition resource, string? ns, string name) =>
        _objects.TryGetValue(resource.Id, out var table) ? table.GetValueOrDefault(StoredObject.StoreKey(resource.Namespaced ? ns : null, name)) : null;

    private static string? ResolveNamespace(ResourceDefinition resource, string? ns, JsonObject metadata)
    {
        if (!resource.Namespaced)
        {
            return null;
        }

        string? bodyNs = Json.String(metadata["namespace"]);
        if (ns is null)
        {
            return string.IsNullOrEmpty(bodyNs) ? throw ApiException.BadRequest("the namespace of the object is required") : bodyNs;
        }

        if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
        {
            throw ApiException.BadRequest($"the namespace of the provided object ({bodyNs}) does not match the namespace sent on the request ({ns})");
        }

        return ns;
    }

    private static void SetNamespace(JsonObject metadata, string? ns)
    {
        if (ns is null)
        {
            metadata.Remove("namespace");
        }
        else
        {
            metadata["namespace"] = ns;
        }
    }

    private static void CheckKind(ResourceDefinition resource, JsonObject obj)
    {
        if (Json.String(obj["kind"]) is { Length: > 0 } kind && kind != resource.Kind)
        {
            throw ApiException.BadRequest($"the kind of the object ({kind}) does not match the resource ({resource}, kind {resource.Kind})");
        }
    }

    private static void CheckName(ResourceDefinition resource, string name)
    {
        // DNS subdomain rules: lower-case alphanumerics, '-' and '.', starting and ending alphanumeric, at most 253.
        bool valid = name.Length <= 253 && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
            && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
            && name[^1] is not ('-' or '.');
        if (!valid)
        {
            throw ApiException.Invalid(resource, name, $"metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
        }
    }

    private static string RandomSuffix()
    {
        const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
        Span<char> suffix = stackalloc char[5];
        for (int i = 0; i < suffix.Length; i++)
        {
            suffix[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
        }

        return new string(suffix);
    }

    private static JsonObject ScaleOf(StoredObject stored, ScaleSubresource scale)
    {
        var status = new JsonObject { ["replicas"] = Json.GetPath(stored.Object, scale.StatusReplicasPath)?.DeepClone() ?? 0 };
        if (scale.LabelSelectorPath is { } selectorPath && Json.SelectorString(Json.GetPath(stored.Object, selectorPath)) is { } selector)
        {
            status["selector"] = selector;
        }

        var metadata = new JsonObject
        {
            ["name"] = stored.Name,
            ["uid"] = stored.Uid,
            ["resourceVersion"] = RvString(stored.ResourceVersion),
            ["creationTimestamp"] = Json.MetaString(stored.Object, "creationTimestamp"),
        };
        if (stored.Namespace is { } ns)
        {
            metadata["namespace"] = ns;
        }

        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["replicas"] = Json.GetPath(stored.Object, scale.SpecReplicasPath)?.DeepClone() ?? 0 },
            ["status"] = status,
        };
    }

    internal static string RvString(long rv) => rv.ToString(CultureInfo.InvariantCulture);

    private static string EncodeContinue(string snapshotId, int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{snapshotId}:{offset}"));

    private static (string Id, int Offset) DecodeContinue(string token)
    {
        try
        {
            string text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            return (text[..colon], int.Parse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw ApiException.BadRequest($"continue: Invalid value: \"{token}\": the continue token is not valid");
        }
    }

    private sealed record ListSnapshot(string Id, long ResourceVersion, StoredObject[] Items);
}
