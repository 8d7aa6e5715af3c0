using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fluid.Kubernetes.TestServer.Storage;

/// <summary>Small helpers over System.Text.Json nodes for Kubernetes objects.</summary>
internal static class Json
{
    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        metadata = new JsonObject();
        obj["metadata"] = metadata;
        return metadata;
    }

    public static string? String(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static long? Long(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue<long>(out long l) ? l : value.TryGetValue<int>(out int i) ? i : null
        : null;

    public static string? MetaString(JsonObject obj, string field) => String(obj["metadata"]?[field]);

    public static List<string> Finalizers(JsonObject obj) =>
        (obj["metadata"]?["finalizers"] as JsonArray)?.Select(String).OfType<string>().ToList() ?? [];

    public static void SetFinalizers(JsonObject obj, IReadOnlyCollection<string> finalizers)
    {
        var metadata = Metadata(obj);
        if (finalizers.Count == 0)
        {
            metadata.Remove("finalizers");
        }
        else
        {
            metadata["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
        }
    }

    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Reads a value at a CRD-style JSON path such as <c>.spec.replicas</c>.</summary>
    public static JsonNode? GetPath(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var segment in path.TrimStart('.').Split('.'))
        {
            node = node is JsonObject o ? o[segment] : null;
        }

        return node;
    }

    /// <summary>Writes a value at a CRD-style JSON path, creating objects on the way.</summary>
    public static void SetPath(JsonObject obj, string path, JsonNode? value)
    {
        string[] segments = path.TrimStart('.').Split('.');
        var current = obj;
        foreach (var segment in segments[..^1])
        {
            if (current[segment] is not JsonObject next)
            {
                next = new JsonObject();
                current[segment] = next;
            }

            current = next;
        }

        current[segments[^1]] = value;
    }

    /// <summary>Everything but metadata and status: a change here bumps metadata.generation.</summary>
    public static JsonObject SpecPart(JsonObject obj)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (key is not ("metadata" or "status" or "kind" or "apiVersion"))
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }

    /// <summary>The object without fields the server rewrites on every write, for no-op detection.</summary>
    public static JsonObject Comparable(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is JsonObject metadata)
        {
            metadata.Remove("resourceVersion");
            metadata.Remove("managedFields");
        }

        return copy;
    }

    /// <summary>Formats a LabelSelector object (matchLabels, matchExpressions) as a selector string.</summary>
    public static string? SelectorString(JsonNode? node)
    {
        if (node is JsonValue)
        {
            return String(node);
        }

        if (node is not JsonObject selector)
        {
            return null;
        }

        var terms = new List<string>();
        if (selector["matchLabels"] is JsonObject matchLabels)
        {
            terms.AddRange(matchLabels.Select(kv => $"{kv.Key}={String(kv.Value)}"));
        }

        if (selector["matchExpressions"] is JsonArray expressions)
        {
            foreach (var expression in expressions.OfType<JsonObject>())
            {
                string key = String(expression["key"]) ?? "";
                string values = string.Join(",", (expression["values"] as JsonArray ?? []).Select(String));
                terms.Add(String(expression["operator"]) switch
                {
                    "In" => $"{key} in ({values})",
                    "NotIn" => $"{key} notin ({values})",
                    "Exists" => key,
                    _ => $"!{key}",
                });
            }
        }

        return string.Join(",", terms);
    }
}
