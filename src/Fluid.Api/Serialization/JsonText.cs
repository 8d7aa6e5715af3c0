using System.Globalization;
using System.Text;
using System.Text.Json;
using YamlDotNet.Core;

namespace Fluid.Api.Serialization;

/// <summary>Reads one or more JSON values into nodes, keeping positions.</summary>
internal static class JsonText
{
    /// <summary>True when the text looks like JSON (its first character opens an object or array).</summary>
    public static bool LooksLikeJson(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c) && c != '\uFEFF')
            {
                return c is '{' or '[';
            }
        }

        return false;
    }

    public static List<ParsedDocument> Parse(string text, out SyntaxError? error)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                lineStarts.Add(i + 1);
            }
        }

        var documents = new List<ParsedDocument>();
        error = null;
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            AllowMultipleValues = true,
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        try
        {
            while (reader.Read())
            {
                var node = ReadValue(ref reader, bytes, lineStarts);
                documents.Add(new ParsedDocument(node, node.Start));
            }
        }
        catch (JsonException e)
        {
            error = new SyntaxError(
                new Mark((int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1),
                "JSON syntax error: " + FirstSentence(e.Message));
        }

        return documents;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd(' ', '.');
    }

    private static Mark MarkAt(long offset, List<int> lineStarts)
    {
        var line = lineStarts.BinarySearch((int)offset);
        if (line < 0)
        {
            line = ~line - 1;
        }

        return new Mark(line + 1, (int)offset - lineStarts[line] + 1);
    }

    private static Node ReadValue(ref Utf8JsonReader reader, byte[] bytes, List<int> lineStarts)
    {
        var start = MarkAt(reader.TokenStartIndex, lineStarts);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var map = new MapNode { Start = start };
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = new ScalarNode
                    {
                        Value = reader.GetString()!,
                        Kind = ScalarKind.String,
                        Start = MarkAt(reader.TokenStartIndex, lineStarts),
                    };
                    reader.Read();
                    map.Entries.Add(new MapEntry(key, ReadValue(ref reader, bytes, lineStarts)));
                }

                return map;
            case JsonTokenType.StartArray:
                var seq = new SeqNode { Start = start };
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    seq.Items.Add(ReadValue(ref reader, bytes, lineStarts));
                }

                return seq;
            case JsonTokenType.String:
                return new ScalarNode { Value = reader.GetString()!, Kind = ScalarKind.String, Start = start, Style = ScalarStyle.Any };
            case JsonTokenType.Number:
                var number = Encoding.UTF8.GetString(reader.ValueSpan);
                var kind = long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? ScalarKind.Int : ScalarKind.Float;
                return new ScalarNode { Value = number, Kind = kind, Start = start, Style = ScalarStyle.Plain };
            case JsonTokenType.True:
                return new ScalarNode { Value = "true", Kind = ScalarKind.Bool, Start = start, Style = ScalarStyle.Plain };
            case JsonTokenType.False:
                return new ScalarNode { Value = "false", Kind = ScalarKind.Bool, Start = start, Style = ScalarStyle.Plain };
            default:
                return new ScalarNode { Value = "null", Kind = ScalarKind.Null, Start = start, Style = ScalarStyle.Plain };
        }
    }
}
