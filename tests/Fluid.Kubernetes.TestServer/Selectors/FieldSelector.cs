using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fluid.Kubernetes.TestServer.Selectors;

/// <summary>A parsed field selector: comma-separated <c>path=value</c>, <c>path==value</c> or <c>path!=value</c> terms.</summary>
/// <remarks>
/// Any dotted path into the object is accepted (for example <c>metadata.name</c>, <c>spec.nodeName</c>,
/// <c>status.phase</c>); a real API server accepts only a fixed list of fields per kind.
/// </remarks>
public sealed class FieldSelector
{
    private readonly IReadOnlyList<(string[] Path, bool Equal, string Value)> _terms;

    private FieldSelector(IReadOnlyList<(string[] Path, bool Equal, string Value)> terms) => _terms = terms;

    /// <summary>A selector that matches everything.</summary>
    public static FieldSelector Everything { get; } = new([]);

    /// <summary>Parses a selector; throws <see cref="FormatException"/> naming the bad term.</summary>
    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string[], bool, string)>();
        foreach (var raw in text.Split(','))
        {
            string term = raw.Trim();
            int neq = term.IndexOf("!=", StringComparison.Ordinal);
            int eq = term.IndexOf('=', StringComparison.Ordinal);
            if (neq > 0)
            {
                terms.Add((term[..neq].Trim().Split('.'), false, term[(neq + 2)..].Trim()));
            }
            else if (eq > 0)
            {
                int valueStart = eq + 1 < term.Length && term[eq + 1] == '=' ? eq + 2 : eq + 1;
                terms.Add((term[..eq].Trim().Split('.'), true, term[valueStart..].Trim()));
            }
            else
            {
                throw new FormatException($"field selector '{text}': term '{term}' needs =, == or !=");
            }
        }

        return new FieldSelector(terms);
    }

    /// <summary>Whether the object satisfies every term (a missing field compares as the empty string).</summary>
    public bool Matches(JsonObject obj)
    {
        foreach (var (path, equal, value) in _terms)
        {
            JsonNode? node = obj;
            foreach (var segment in path)
            {
                node = node is JsonObject o ? o[segment] : null;
            }

            string actual = node switch
            {
                null => "",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                _ => node.ToJsonString(),
            };
            if (string.Equals(actual, value, StringComparison.Ordinal) != equal)
            {
                return false;
            }
        }

        return true;
    }
}
