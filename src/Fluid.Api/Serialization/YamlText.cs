using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Fluid.Api.Serialization;

/// <summary>Reads multi-document YAML into nodes, keeping positions; stops at the first syntax error.</summary>
internal static partial class YamlText
{
    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex LocationPrefix();

    public static List<ParsedDocument> Parse(string text, out SyntaxError? error)
    {
        var documents = new List<ParsedDocument>();
        error = null;
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            while (!parser.Accept<StreamEnd>(out _))
            {
                var start = parser.Consume<DocumentStart>();
                var anchors = new Dictionary<string, Node>(StringComparer.Ordinal);
                Node? root = null;
                if (!parser.Accept<DocumentEnd>(out _))
                {
                    root = ReadNode(parser, anchors);
                }

                parser.Consume<DocumentEnd>();
                documents.Add(new ParsedDocument(root, root?.Start ?? ToMark(start.Start)));
            }
        }
        catch (YamlException e)
        {
            error = new SyntaxError(ToMark(e.Start), Clean(e.Message));
        }

        return documents;
    }

    private static string Clean(string message)
    {
        message = LocationPrefix().Replace(message, string.Empty);
        message = message.Trim().TrimEnd('.');
        return message.Length == 0 ? "invalid YAML" : message;
    }

    private static Mark ToMark(YamlDotNet.Core.Mark mark) => new((int)mark.Line, (int)mark.Column);

    private static Node ReadNode(IParser parser, Dictionary<string, Node> anchors)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new YamlException(alias.Start, alias.End, $"unknown alias \"*{alias.Value.Value}\"");
        }

        Node node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor;
            var tag = scalar.Tag.IsEmpty || scalar.Tag.IsNonSpecific ? null : scalar.Tag.Value;
            node = new ScalarNode
            {
                Value = scalar.Value,
                Kind = ScalarResolver.Resolve(scalar.Value, scalar.Style, tag),
                Style = scalar.Style,
                Start = ToMark(scalar.Start),
            };
        }
        else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            anchor = sequenceStart.Anchor;
            var sequence = new SeqNode { Start = ToMark(sequenceStart.Start) };
            if (!anchor.IsEmpty)
            {
                anchors[anchor.Value] = sequence;
            }

            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                sequence.Items.Add(ReadNode(parser, anchors));
            }

            return sequence;
        }
        else if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            anchor = mappingStart.Anchor;
            var mapping = new MapNode { Start = ToMark(mappingStart.Start) };
            if (!anchor.IsEmpty)
            {
                anchors[anchor.Value] = mapping;
            }

            var merged = new List<MapEntry>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, anchors);
                var value = ReadNode(parser, anchors);
                if (keyNode is not ScalarNode key)
                {
                    throw new YamlException(
                        new YamlDotNet.Core.Mark(0, keyNode.Start.Line, keyNode.Start.Column),
                        new YamlDotNet.Core.Mark(0, keyNode.Start.Line, keyNode.Start.Column),
                        "a mapping key must be a plain value, not a list or mapping");
                }

                if (key.Value == "<<" && !key.IsQuoted)
                {
                    // YAML 1.1 merge key: entries of the referenced mapping(s) that are not set here.
                    foreach (var source in value is SeqNode many ? many.Items : [value])
                    {
                        if (source is MapNode sourceMap)
                        {
                            merged.AddRange(sourceMap.Entries);
                        }
                    }

                    continue;
                }

                mapping.Entries.Add(new MapEntry(key, value));
            }

            foreach (var entry in merged)
            {
                if (mapping.Entries.All(e => e.Key.Value != entry.Key.Value))
                {
                    mapping.Entries.Add(entry);
                }
            }

            return mapping;
        }
        else
        {
            var unexpected = parser.Current!;
            throw new YamlException(unexpected.Start, unexpected.End, $"unexpected {unexpected.GetType().Name}");
        }

        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }

        return node;
    }
}
