using System.Globalization;
using System.Text.Json.Nodes;

namespace Fluid.Kubernetes.TestServer.Patching;

/// <summary>JSON patch (RFC 6902): add, remove, replace, move, copy and test operations on JSON pointers.</summary>
public static class JsonPatch
{
    /// <summary>Applies the operations in order to a copy of <paramref name="target"/>; throws <see cref="PatchException"/> on a bad operation.</summary>
    public static JsonNode Apply(JsonNode target, JsonArray operations)
    {
        var document = new JsonObject { ["root"] = target.DeepClone() };
        for (int i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not JsonObject op)
            {
                throw new PatchException($"json patch operation {i} is not an object");
            }

            string kind = op["op"]?.GetValue<string>() ?? throw new PatchException($"json patch operation {i} lacks 'op'");
            string path = op["path"]?.GetValue<string>() ?? throw new PatchException($"json patch operation {i} lacks 'path'");
            switch (kind)
            {
                case "add":
                    Add(document, path, Value(op, i));
                    break;
                case "remove":
                    Remove(document, path);
                    break;
                case "replace":
                    Remove(document, path);
                    Add(document, path, Value(op, i));
                    break;
                case "move":
                    {
                        string from = From(op, i);
                        var moved = Get(document, from)?.DeepClone();
                        Remove(document, from);
                        Add(document, path, moved);
                        break;
                    }

                case "copy":
                    Add(document, path, Get(document, From(op, i))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(document, path), op["value"]))
                    {
                        throw new PatchException($"json patch test failed at '{path}'");
                    }

                    break;
                default:
                    throw new PatchException($"json patch operation {i} has unknown op '{kind}'");
            }
        }

        return document["root"] ?? throw new PatchException("json patch removed the whole document");
    }

    private static JsonNode? Value(JsonObject op, int i) =>
        op.ContainsKey("value") ? op["value"]?.DeepClone() : throw new PatchException($"json patch operation {i} lacks 'value'");

    private static string From(JsonObject op, int i) =>
        op["from"]?.GetValue<string>() ?? throw new PatchException($"json patch operation {i} lacks 'from'");

    private static (JsonNode Parent, string Token) Resolve(JsonObject document, string pointer)
    {
        if (pointer.Length > 0 && pointer[0] != '/')
        {
            throw new PatchException($"json pointer '{pointer}' must start with '/'");
        }

        string[] tokens = ("/root" + pointer).Split('/')[1..]
            .Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode parent = document;
        for (int i = 0; i < tokens.Length - 1; i++)
        {
            parent = Child(parent, tokens[i]) ?? throw new PatchException($"json pointer '{pointer}': '{tokens[i]}' does not exist");
        }

        return (parent, tokens[^1]);
    }

    private static JsonNode? Child(JsonNode parent, string token) => parent switch
    {
        JsonObject o => o[token],
        JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < a.Count => a[index],
        _ => null,
    };

    private static JsonNode? Get(JsonObject document, string pointer)
    {
        var (parent, token) = Resolve(document, pointer);
        return Child(parent, token);
    }

    private static void Add(JsonObject document, string pointer, JsonNode? value)
    {
        var (parent, token) = Resolve(document, pointer);
        switch (parent)
        {
            case JsonObject o:
                o[token] = value;
                break;
            case JsonArray a when token == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index <= a.Count:
                a.Insert(index, value);
                break;
            default:
                throw new PatchException($"json pointer '{pointer}' cannot be added to");
        }
    }

    private static void Remove(JsonObject document, string pointer)
    {
        var (parent, token) = Resolve(document, pointer);
        bool removed = parent switch
        {
            JsonObject o => o.Remove(token),
            JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < a.Count => RemoveAt(a, index),
            _ => false,
        };
        if (!removed)
        {
            throw new PatchException($"json pointer '{pointer}' does not exist");
        }
    }

    private static bool RemoveAt(JsonArray array, int index)
    {
        array.RemoveAt(index);
        return true;
    }
}

/// <summary>A patch that cannot be applied; the server answers 422.</summary>
public sealed class PatchException(string message) : Exception(message);
