using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fluid.Api.Meta;
using Fluid.Api.Serialization;

namespace Fluid.Api.Manifests;

/// <summary>The JSON settings of the API types: the field names Fluid uses, nulls omitted.</summary>
public static class FluidJson
{
    /// <summary>Options that read and write the API types exactly as Kubernetes and Fluid do.</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    /// <summary>Like <see cref="Options"/>, indented for people.</summary>
    public static JsonSerializerOptions IndentedOptions { get; } = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            WriteIndented = indented,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>Writes objects as multi-document YAML or as JSON (one object, or a Kubernetes List of several).</summary>
public static class ManifestWriter
{
    public static string ToYaml(IManifestObject obj) => ToYaml([obj]);

    /// <summary>YAML documents separated by <c>---</c>, in Kubernetes style.</summary>
    public static string ToYaml(IEnumerable<IManifestObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var builder = new StringBuilder();
        using (var writer = new StringWriter(builder, System.Globalization.CultureInfo.InvariantCulture))
        {
            NodeWriter.WriteYamlDocuments(writer, [.. objects.Select(ToNode)]);
        }

        return builder.ToString();
    }

    public static string ToJson(IManifestObject obj, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return JsonSerializer.Serialize(obj, obj.GetType(), indented ? FluidJson.IndentedOptions : FluidJson.Options);
    }

    /// <summary>One object as itself; several as <c>{"apiVersion":"v1","kind":"List","items":[...]}</c>, as kubectl writes them.</summary>
    public static string ToJson(IEnumerable<IManifestObject> objects, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var list = objects.ToList();
        if (list.Count == 1)
        {
            return ToJson(list[0], indented);
        }

        var options = indented ? FluidJson.IndentedOptions : FluidJson.Options;
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = options.Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("apiVersion", "v1");
            writer.WriteString("kind", "List");
            writer.WriteStartArray("items");
            foreach (var obj in list)
            {
                JsonSerializer.Serialize(writer, obj, obj.GetType(), options);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static Node ToNode(IManifestObject obj) => obj is UnstructuredObject unstructured
        ? unstructured.Node
        : NodeWriter.FromJson(JsonSerializer.SerializeToElement(obj, obj.GetType(), FluidJson.Options));
}
