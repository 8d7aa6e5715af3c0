using System.Text.Json.Nodes;

namespace Fluid.Kubernetes.TestServer.Storage;

internal sealed partial class ObjectStore
{
    /// <summary>
    /// One garbage-collector pass, repeated until nothing changes: dependents whose owners are all gone (or are
    /// being deleted in the foreground) are deleted, dangling owner references next to live owners are removed, and
    /// owners waiting in the foreground lose their <c>foregroundDeletion</c> finalizer once no dependents remain.
    /// </summary>
    /// <returns>The number of objects changed or deleted.</returns>
    public int CollectGarbage()
    {
        int changes = 0;
        lock (_gate)
        {
            bool progress = true;
            while (progress)
            {
                progress = false;
                foreach (var obj in _objects.Values.SelectMany(t => t.Values).ToList())
                {
                    if (_byUid.GetValueOrDefault(obj.Uid) != obj)
                    {
                        continue;
                    }

                    var references = OwnerReferences(obj.Object);
                    if (references.Count == 0)
                    {
                        continue;
                    }

                    var dangling = references.Where(r => !_byUid.ContainsKey(r.Uid)).ToList();
                    var foreground = references.Where(r => _byUid.TryGetValue(r.Uid, out var owner) && IsForegroundDeleting(owner.Object)).ToList();
                    bool deleting = Json.MetaString(obj.Object, "deletionTimestamp") is not null;
                    if (dangling.Count + foreground.Count == references.Count)
                    {
                        if (!deleting)
                        {
                            DeleteLocked(obj, new DeleteRequest(foreground.Count > 0 ? "Foreground" : null, null, null));
                            changes++;
                            progress = true;
                        }
                    }
                    else if (dangling.Count > 0)
                    {
                        var updated = obj.Clone();
                        SetOwnerReferences(updated, references.Except(dangling));
                        UpdateLocked(obj, updated, subresource: null);
                        changes++;
                        progress = true;
                    }
                }

                foreach (var owner in _objects.Values.SelectMany(t => t.Values).Where(o => IsForegroundDeleting(o.Object)).ToList())
                {
                    if (!HasDependentsLocked(owner.Uid))
                    {
                        var updated = owner.Clone();
                        Json.SetFinalizers(updated, Json.Finalizers(updated).Where(f => f != ForegroundFinalizer).ToList());
                        UpdateLocked(owner, updated, subresource: null);
                        changes++;
                        progress = true;
                    }
                }
            }
        }

        return changes;
    }

    private bool HasDependentsLocked(string uid) =>
        _objects.Values.SelectMany(t => t.Values).Any(o => OwnerReferences(o.Object).Any(r => r.Uid == uid));

    private void OrphanDependentsLocked(string uid)
    {
        foreach (var dependent in _objects.Values.SelectMany(t => t.Values).ToList())
        {
            var references = OwnerReferences(dependent.Object);
            if (references.Any(r => r.Uid == uid))
            {
                var updated = dependent.Clone();
                SetOwnerReferences(updated, references.Where(r => r.Uid != uid));
                UpdateLocked(dependent, updated, subresource: null);
            }
        }
    }

    private static void SetOwnerReferences(JsonObject obj, IEnumerable<(string Uid, JsonNode Node)> references)
    {
        var kept = references.Select(r => r.Node.DeepClone()).ToArray();
        if (kept.Length == 0)
        {
            Json.Metadata(obj).Remove("ownerReferences");
        }
        else
        {
            Json.Metadata(obj)["ownerReferences"] = new JsonArray(kept);
        }
    }

    private static bool IsForegroundDeleting(JsonObject obj) =>
        Json.MetaString(obj, "deletionTimestamp") is not null && Json.Finalizers(obj).Contains(ForegroundFinalizer);

    private static List<(string Uid, JsonNode Node)> OwnerReferences(JsonObject obj) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray)?
            .OfType<JsonObject>()
            .Select(r => (Json.String(r["uid"]) ?? "", (JsonNode)r))
            .ToList() ?? [];
}
