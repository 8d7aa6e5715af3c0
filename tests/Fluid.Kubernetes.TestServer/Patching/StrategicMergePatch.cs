using System.Text.Json.Nodes;

namespace Fluid.Kubernetes.TestServer.Patching;

/// <summary>
/// A small subset of Kubernetes' strategic merge patch: a JSON merge patch, except that well-known lists of
/// objects merge item by item on their merge key, <c>finalizers</c> merges as a set, and list items may carry
/// <c>$patch: delete</c> (and objects <c>$patch: replace</c>),
/// plus <c>$deleteFromPrimitiveList/&lt;field&gt;</c>; <c>$retainKeys</c> and <c>$setElementOrder</c>
/// are ignored, and lists not named here are replaced whole, as a merge patch would.
/// </summary>
public static class StrategicMergePatch
{
    /// <summary>List fields that merge by key, with the key (from the Kubernetes API's patchMergeKey tags).</summary>
    public static IReadOnlyDictionary<string, string> MergeKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["volumes"] = "name",
        ["env"] = "name",
        ["volumeMounts"] = "mountPath",
        ["volumeDevices"] = "devicePath",
        ["imagePullSecrets"] = "name",
        ["ports"] = "containerPort",
        ["conditions"] = "type",
        ["ownerReferences"] = "uid",
        ["hostAliases"] = "ip",
        ["topologySpreadConstraints"] = "topologyKey",
    };

    /// <summary>Primitive lists that merge as sets.</summary>
    public static IReadOnlySet<string> SetLists { get; } = new HashSet<string>(StringComparer.Ordinal) { "finalizers" };

    /// <summary>Returns a new node: <paramref name="target"/> with <paramref name="patch"/> applied.</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch) => Merge(target, patch, fieldName: null);

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch, string? fieldName)
    {
        switch (patch)
        {
            case JsonObject patchObject:
                {
                    if (patchObject["$patch"]?.GetValue<string>() == "replace")
                    {
                        var replacement = (JsonObject)patchObject.DeepClone();
                        replacement.Remove("$patch");
                        return replacement;
                    }

                    var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
                    foreach (var (key, value) in patchObject)
                    {
                        if (key.StartsWith('$'))
                        {
                            continue;
                        }

                        if (value is null)
                        {
                            result.Remove(key);
                        }
                        else
                        {
                            result[key] = Merge(result[key], value, key);
                        }
                    }

                    foreach (var (key, value) in patchObject)
                    {
                        const string DeletePrefix = "$deleteFromPrimitiveList/";
                        if (key.StartsWith(DeletePrefix, StringComparison.Ordinal) && value is JsonArray doomed
                            && result[key[DeletePrefix.Length..]] is JsonArray list)
                        {
                            for (int i = list.Count - 1; i >= 0; i--)
                            {
                                if (doomed.Any(d => JsonNode.DeepEquals(d, list[i])))
                                {
                                    list.RemoveAt(i);
                                }
                            }
                        }
                    }

                    return result;
                }

            case JsonArray patchArray when fieldName is not null && MergeKeys.TryGetValue(fieldName, out var mergeKey):
                return MergeKeyedList(target as JsonArray, patchArray, mergeKey);
            case JsonArray patchArray when fieldName is not null && SetLists.Contains(fieldName):
                {
                    var result = target is JsonArray t ? (JsonArray)t.DeepClone() : [];
                    foreach (var item in patchArray)
                    {
                        if (!result.Any(existing => JsonNode.DeepEquals(existing, item)))
                        {
                            result.Add(item?.DeepClone());
                        }
                    }

                    return result;
                }

            default:
                return patch?.DeepClone();
        }
    }

    private static JsonArray MergeKeyedList(JsonArray? target, JsonArray patch, string mergeKey)
    {
        var result = target is null ? [] : (JsonArray)target.DeepClone();
        foreach (var item in patch)
        {
            if (item is not JsonObject patchItem || patchItem[mergeKey] is not { } keyNode)
            {
                // Items without the key cannot be matched: append them as they are.
                result.Add(item?.DeepClone());
                continue;
            }

            int index = -1;
            for (int i = 0; i < result.Count; i++)
            {
                if (result[i] is JsonObject existing && JsonNode.DeepEquals(existing[mergeKey], keyNode))
                {
                    index = i;
                    break;
                }
            }

            if (patchItem["$patch"]?.GetValue<string>() == "delete")
            {
                if (index >= 0)
                {
                    result.RemoveAt(index);
                }

                continue;
            }

            if (index >= 0)
            {
                result[index] = Merge(result[index], patchItem, fieldName: null);
            }
            else
            {
                result.Add(Merge(null, patchItem, fieldName: null));
            }
        }

        return result;
    }
}
