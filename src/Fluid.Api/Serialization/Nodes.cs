using YamlDotNet.Core;

namespace Fluid.Api.Serialization;

/// <summary>A position in a manifest's text, 1-based.</summary>
public readonly record struct Mark(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>What a scalar means once resolved by YAML 1.1 rules (as Kubernetes' YAML reader resolves it).</summary>
internal enum ScalarKind
{
    Null,
    Bool,
    Int,
    Float,
    String,
}

/// <summary>A node of a parsed YAML or JSON document, with its position.</summary>
internal abstract class Node
{
    public Mark Start { get; init; }
}

internal sealed class MapNode : Node
{
    public List<MapEntry> Entries { get; } = [];

    public Node? this[string key] => Entries.LastOrDefault(e => e.Key.Value == key)?.Value;
}

internal sealed record MapEntry(ScalarNode Key, Node Value);

internal sealed class SeqNode : Node
{
    public List<Node> Items { get; } = [];
}

internal sealed class ScalarNode : Node
{
    public required string Value { get; init; }

    public required ScalarKind Kind { get; init; }

    /// <summary>The style it was written in; <see cref="ScalarStyle.Any"/> lets the writer choose.</summary>
    public ScalarStyle Style { get; init; } = ScalarStyle.Any;

    public bool IsQuoted => Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded;

    public static ScalarNode String(string value) => new() { Value = value, Kind = ScalarKind.String };
}

/// <summary>One document of a manifest: its root node (null when empty) and where it starts.</summary>
internal sealed record ParsedDocument(Node? Root, Mark Start);

/// <summary>A syntax error with its position.</summary>
internal sealed record SyntaxError(Mark Start, string Message);
