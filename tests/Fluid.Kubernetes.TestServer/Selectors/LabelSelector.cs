using System.Text.Json.Nodes;

namespace Fluid.Kubernetes.TestServer.Selectors;

/// <summary>A parsed label selector: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>, comma-separated.</summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    /// <summary>A selector that matches everything.</summary>
    public static LabelSelector Everything { get; } = new([]);

    /// <summary>Parses a selector; throws <see cref="FormatException"/> naming the bad term.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        foreach (var term in SplitTerms(text))
        {
            requirements.Add(ParseTerm(term.Trim(), text));
        }

        return new LabelSelector(requirements);
    }

    /// <summary>Whether an object's metadata.labels satisfy every requirement.</summary>
    public bool Matches(JsonObject obj)
    {
        if (_requirements.Count == 0)
        {
            return true;
        }

        var labels = obj["metadata"]?["labels"] as JsonObject;
        foreach (var requirement in _requirements)
        {
            string? value = labels?[requirement.Key]?.GetValue<string>();
            if (!requirement.Matches(value))
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<string> SplitTerms(string text)
    {
        // Commas separate terms except inside the parentheses of in/notin.
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(': depth++; break;
                case ')': depth--; break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static Requirement ParseTerm(string term, string whole)
    {
        if (term.Length == 0)
        {
            throw new FormatException($"label selector '{whole}': empty term");
        }

        if (term[0] == '!')
        {
            return new Requirement(CheckKey(term[1..].Trim(), whole), Operator.DoesNotExist, []);
        }

        int neq = term.IndexOf("!=", StringComparison.Ordinal);
        if (neq > 0)
        {
            return new Requirement(CheckKey(term[..neq].Trim(), whole), Operator.NotEquals, [term[(neq + 2)..].Trim()]);
        }

        int eq = term.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0)
        {
            int valueStart = eq + 1 < term.Length && term[eq + 1] == '=' ? eq + 2 : eq + 1;
            return new Requirement(CheckKey(term[..eq].Trim(), whole), Operator.Equals, [term[valueStart..].Trim()]);
        }

        int open = term.IndexOf('(', StringComparison.Ordinal);
        if (open > 0)
        {
            if (!term.EndsWith(')'))
            {
                throw new FormatException($"label selector '{whole}': term '{term}' lacks a closing parenthesis");
            }

            string head = term[..open].Trim();
            string[] values = term[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            int space = head.LastIndexOf(' ');
            if (space <= 0)
            {
                throw new FormatException($"label selector '{whole}': term '{term}' needs 'in' or 'notin'");
            }

            string key = CheckKey(head[..space].Trim(), whole);
            return head[(space + 1)..] switch
            {
                "in" => new Requirement(key, Operator.In, values),
                "notin" => new Requirement(key, Operator.NotIn, values),
                var op => throw new FormatException($"label selector '{whole}': unknown operator '{op}' in '{term}'"),
            };
        }

        return new Requirement(CheckKey(term, whole), Operator.Exists, []);
    }

    private static string CheckKey(string key, string whole)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '!' or '='))
        {
            throw new FormatException($"label selector '{whole}': invalid label key '{key}'");
        }

        return key;
    }

    private enum Operator
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    private sealed record Requirement(string Key, Operator Op, string[] Values)
    {
        public bool Matches(string? value) => Op switch
        {
            Operator.Equals or Operator.In => value is not null && Values.Contains(value),
            // As in Kubernetes, != and notin also match objects that lack the label.
            Operator.NotEquals or Operator.NotIn => value is null || !Values.Contains(value),
            Operator.Exists => value is not null,
            Operator.DoesNotExist => value is null,
            _ => false,
        };
    }
}
