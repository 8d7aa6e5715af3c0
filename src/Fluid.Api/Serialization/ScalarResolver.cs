using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Fluid.Api.Serialization;

/// <summary>
/// Resolves plain scalars the way Kubernetes' YAML reader (go-yaml v2, YAML 1.1) does, so that
/// <c>high: 0.95</c> is a number and <c>enabled: yes</c> a boolean, exactly as the API server would see them.
/// </summary>
internal static partial class ScalarResolver
{
    private static readonly HashSet<string> Nulls = ["", "~", "null", "Null", "NULL"];

    private static readonly HashSet<string> Trues = ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"];

    private static readonly HashSet<string> Falses = ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"];

    [GeneratedRegex(@"^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]*|[1-9][0-9_]*)$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^([-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^\d{4}-\d{1,2}-\d{1,2}([Tt ].*)?$")]
    private static partial Regex TimestampPattern();

    public static ScalarKind Resolve(string value, ScalarStyle style, string? tag)
    {
        switch (tag)
        {
            case "tag:yaml.org,2002:str":
                return ScalarKind.String;
            case "tag:yaml.org,2002:int":
                return ScalarKind.Int;
            case "tag:yaml.org,2002:float":
                return ScalarKind.Float;
            case "tag:yaml.org,2002:bool":
                return ScalarKind.Bool;
            case "tag:yaml.org,2002:null":
                return ScalarKind.Null;
        }

        return style is ScalarStyle.Plain or ScalarStyle.Any ? ResolvePlain(value) : ScalarKind.String;
    }

    public static ScalarKind ResolvePlain(string value)
    {
        if (Nulls.Contains(value))
        {
            return ScalarKind.Null;
        }

        if (Trues.Contains(value) || Falses.Contains(value))
        {
            return ScalarKind.Bool;
        }

        if (IntPattern().IsMatch(value))
        {
            return ScalarKind.Int;
        }

        return FloatPattern().IsMatch(value) ? ScalarKind.Float : ScalarKind.String;
    }

    public static bool IsTrue(string value) => Trues.Contains(value);

    /// <summary>True when a string must be quoted to stay a string for YAML 1.1 and 1.2 readers alike.</summary>
    public static bool NeedsQuotes(string value) =>
        ResolvePlain(value) != ScalarKind.String || TimestampPattern().IsMatch(value) ||
        value.StartsWith("0o", StringComparison.Ordinal) || value == "=" || value == "<<";
}
