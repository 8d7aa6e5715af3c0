using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Fluid.Api.Serialization;

/// <summary>Writes nodes as YAML (Kubernetes style: two-space indent, indented lists) or as JSON.</summary>
internal static class NodeWriter
{
    public static void WriteYamlDocuments(TextWriter writer, IReadOnlyList<Node> documents)
    {
        var emitter = new Emitter(writer, new EmitterSettings()
            .WithBestIndent(2)
            .WithBestWidth(int.MaxValue)
            .WithIndentedSequences()
            .WithNewLine("\n"));
        emitter.Emit(new StreamStart());
        for (var i = 0; i < documents.Count; i++)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: i == 0));
            EmitYaml(emitter, documents[i]);
            emitter.Emit(new DocumentEnd(isImplicit: true));
        }

        emitter.Emit(new StreamEnd());
    }

    private static void EmitYaml(IEmitter emitter, Node node)
    {
        switch (node)
        {
            case MapNode map:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, map.Entries.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var entry in map.Entries)
                {
                    EmitScalar(emitter, entry.Key);
                    EmitYaml(emitter, entry.Value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case SeqNode seq:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, seq.Items.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in seq.Items)
                {
                    EmitYaml(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case ScalarNode scalar:
                EmitScalar(emitter, scalar);
                break;
        }
    }

    private static void EmitScalar(IEmitter emitter, ScalarNode scalar)
    {
        var style = scalar.Kind switch
        {
            ScalarKind.String when scalar.IsQuoted && scalar.Style != ScalarStyle.Folded => scalar.Style,
            ScalarKind.String when ScalarResolver.NeedsQuotes(scalar.Value) => ScalarStyle.DoubleQuoted,
            ScalarKind.String when scalar.Value.Contains('\n', StringComparison.Ordinal) => ScalarStyle.Literal,
            ScalarKind.String => ScalarStyle.Any,
            _ => ScalarStyle.Plain,
        };
        var value = scalar.Kind == ScalarKind.Null && scalar.Value.Length == 0 ? "null" : scalar.Value;
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value, style, true, false));
    }

    public static void WriteJson(Utf8JsonWriter writer, Node node)
    {
        switch (node)
        {
            case MapNode map:
                writer.WriteStartObject();
                foreach (var entry in map.Entries)
                {
                    writer.WritePropertyName(entry.Key.Value);
                    WriteJson(writer, entry.Value);
                }

                writer.WriteEndObject();
                break;
            case SeqNode seq:
                writer.WriteStartArray();
                foreach (var item in seq.Items)
                {
                    WriteJson(writer, item);
                }

                writer.WriteEndArray();
                break;
            case ScalarNode scalar:
                WriteJsonScalar(writer, scalar);
                break;
        }
    }

    private static void WriteJsonScalar(Utf8JsonWriter writer, ScalarNode scalar)
    {
        switch (scalar.Kind)
        {
            case ScalarKind.Null:
                writer.WriteNullValue();
                break;
            case ScalarKind.Bool:
                writer.WriteBooleanValue(ScalarResolver.IsTrue(scalar.Value));
                break;
            case ScalarKind.Int when TryParseInteger(scalar.Value, out var integer):
                writer.WriteNumberValue(integer);
                break;
            case ScalarKind.Float when double.TryParse(scalar.Value.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            default:
                writer.WriteStringValue(scalar.Value);
                break;
        }
    }

    /// <summary>Parses a YAML 1.1 integer (decimal, 0x hex, 0b binary, leading-zero octal).</summary>
    public static bool TryParseInteger(string text, out long value)
    {
        var s = text.Replace("_", string.Empty, StringComparison.Ordinal);
        var negative = s.StartsWith('-');
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            s = s[1..];
        }

        bool ok;
        if (s.StartsWith("0x", StringComparison.Ordinal))
        {
            ok = long.TryParse(s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else if (s.StartsWith("0b", StringComparison.Ordinal))
        {
            ok = long.TryParse(s[2..], NumberStyles.AllowBinarySpecifier, CultureInfo.InvariantCulture, out value);
        }
        else if (s.Length > 1 && s[0] == '0')
        {
            try
            {
                value = Convert.ToInt64(s, 8);
                ok = true;
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                value = 0;
                ok = false;
            }
        }
        else
        {
            ok = long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        if (ok && negative)
        {
            value = -value;
        }

        return ok;
    }

    /// <summary>Turns serialized JSON into nodes (property order kept), so typed objects share the YAML writer.</summary>
    public static Node FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => FromJsonObject(element),
        JsonValueKind.Array => FromJsonArray(element),
        JsonValueKind.String => ScalarNode.String(element.GetString()!),
        JsonValueKind.Number => new ScalarNode
        {
            Value = element.GetRawText(),
            Kind = element.TryGetInt64(out _) ? ScalarKind.Int : ScalarKind.Float,
            Style = ScalarStyle.Plain,
        },
        JsonValueKind.True => new ScalarNode { Value = "true", Kind = ScalarKind.Bool, Style = ScalarStyle.Plain },
        JsonValueKind.False => new ScalarNode { Value = "false", Kind = ScalarKind.Bool, Style = ScalarStyle.Plain },
        _ => new ScalarNode { Value = "null", Kind = ScalarKind.Null, Style = ScalarStyle.Plain },
    };

    private static MapNode FromJsonObject(JsonElement element)
    {
        var map = new MapNode();
        foreach (var property in element.EnumerateObject())
        {
            map.Entries.Add(new MapEntry(ScalarNode.String(property.Name), FromJson(property.Value)));
        }

        return map;
    }

    private static SeqNode FromJsonArray(JsonElement element)
    {
        var seq = new SeqNode();
        foreach (var item in element.EnumerateArray())
        {
            seq.Items.Add(FromJson(item));
        }

        return seq;
    }
}
