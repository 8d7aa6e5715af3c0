using System.Text.Json.Nodes;

namespace Fluid.Kubernetes.TestServer.Patching;

/// <summary>JSON merge patch (RFC 7386): objects merge key by key, null deletes, everything else replaces.</summary>
public static class MergePatch
{
    /// <summary>Returns a new node: <paramref name="target"/> with <paramref name="patch"/> applied (neither is changed).</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = Apply(result[key], value);
            }
        }

        return result;
    }
}
