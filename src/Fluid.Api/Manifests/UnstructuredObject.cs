using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fluid.Api.Meta;
using Fluid.Api.Serialization;

namespace Fluid.Api.Manifests;

/// <summary>
/// A document this build keeps but does not model: a Fluid kind it cannot run yet (AlluxioRuntime, DataBackup, ...)
/// or a non-Fluid object such as a Secret. It is written back exactly as read.
/// </summary>
[JsonConverter(typeof(UnstructuredObjectJsonConverter))]
public sealed class UnstructuredObject : IManifestObject, IEquatable<UnstructuredObject>
{
    internal UnstructuredObject(MapNode node, string apiVersion, string kind, ObjectMeta? metadata)
    {
        Node = node;
        ApiVersion = apiVersion;
        Kind = kind;
        Metadata = metadata;
    }

    public string ApiVersion { get; }

    public string Kind { get; }

    /// <summary>Name and namespace as read; the rest of the metadata stays in the document.</summary>
    public ObjectMeta? Metadata { get; }

    internal MapNode Node { get; }

    /// <summary>The document as compact JSON.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            NodeWriter.WriteJson(writer, Node);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    internal MapNode? MapAt(string key) => Node[key] as MapNode;

    public bool Equals(UnstructuredObject? other) => other is not null && ToJson() == other.ToJson();

    public override bool Equals(object? obj) => Equals(obj as UnstructuredObject);

    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);

    public override string ToString() => this.DisplayName();
}

internal sealed class UnstructuredObjectJsonConverter : JsonConverter<UnstructuredObject>
{
    public override UnstructuredObject Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        if (NodeWriter.FromJson(document.RootElement) is not MapNode map)
        {
            throw new JsonException("an object must be a JSON object");
        }

        return new UnstructuredObject(
            map,
            (map["apiVersion"] as ScalarNode)?.Value ?? string.Empty,
            (map["kind"] as ScalarNode)?.Value ?? string.Empty,
            new ObjectMeta
            {
                Name = ((map["metadata"] as MapNode)?["name"] as ScalarNode)?.Value,
                Namespace = ((map["metadata"] as MapNode)?["namespace"] as ScalarNode)?.Value,
            });
    }

    public override void Write(Utf8JsonWriter writer, UnstructuredObject value, JsonSerializerOptions options) =>
        NodeWriter.WriteJson(writer, value.Node);
}
