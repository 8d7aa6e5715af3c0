using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Objects;

/// <summary>Builds JSON merge patches (RFC 7386) from objects, serialized with KubernetesClient's serializer.</summary>
public static class MergePatches
{
    /// <summary>A merge patch that turns <paramref name="original"/> into <paramref name="modified"/> (null fields delete).</summary>
    public static V1Patch Diff<T>(T original, T modified)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(modified);
        var before = JsonNode.Parse(KubernetesJson.Serialize(original)) as JsonObject ?? throw new ArgumentException("the original does not serialize to a JSON object", nameof(original));
        var after = JsonNode.Parse(KubernetesJson.Serialize(modified)) as JsonObject ?? throw new ArgumentException("the modified object does not serialize to a JSON object", nameof(modified));
        return new V1Patch(Diff(before, after).ToJsonString(), V1Patch.PatchType.MergePatch);
    }

    /// <summary>A merge patch whose body is <paramref name="partial"/> (for example an anonymous object).</summary>
    public static V1Patch From(object partial)
    {
        ArgumentNullException.ThrowIfNull(partial);
        return new V1Patch(KubernetesJson.Serialize(partial), V1Patch.PatchType.MergePatch);
    }

    /// <summary>
    /// A merge patch that sets (or, for null values, removes) labels. With <paramref name="resourceVersion"/> the
    /// patch only applies to that version of the object (the server answers 409 otherwise).
    /// </summary>
    public static V1Patch Labels(IReadOnlyDictionary<string, string?> labels, string? resourceVersion = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var labelNode = new JsonObject();
        foreach (var (key, value) in labels)
        {
            labelNode[key] = value;
        }

        var metadata = new JsonObject { ["labels"] = labelNode };
        if (resourceVersion is not null)
        {
            metadata["resourceVersion"] = resourceVersion;
        }

        return new V1Patch(new JsonObject { ["metadata"] = metadata }.ToJsonString(), V1Patch.PatchType.MergePatch);
    }

    /// <summary>The RFC 7386 difference of two JSON objects; empty when they are equal.</summary>
    public static JsonObject Diff(JsonObject before, JsonObject after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return TryDiff(before, after, out var patch) ? (JsonObject)patch! : new JsonObject();
    }

    /// <summary>False when equal; otherwise the patch value (null meaning "delete").</summary>
    private static bool TryDiff(JsonNode? before, JsonNode? after, out JsonNode? patch)
    {
        if (before is JsonObject beforeObject && after is JsonObject afterObject)
        {
            var result = new JsonObject();
            foreach (var (key, value) in afterObject)
            {
                if (!beforeObject.TryGetPropertyValue(key, out var old))
                {
                    result[key] = value?.DeepClone();
                }
                else if (TryDiff(old, value, out var change))
                {
                    result[key] = change;
                }
            }

            foreach (var (key, _) in beforeObject)
            {
                if (!afterObject.ContainsKey(key))
                {
                    result[key] = null;
                }
            }

            patch = result;
            return result.Count > 0;
        }

        // Anything that is not object-into-object is replaced whole (arrays included), as RFC 7386 says.
        patch = after?.DeepClone();
        return !JsonNode.DeepEquals(before, after);
    }
}
