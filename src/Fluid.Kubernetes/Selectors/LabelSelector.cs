namespace Fluid.Kubernetes.Selectors;

/// <summary>
/// A parsed label selector for matching cached objects: comma-separated <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>,
/// <c>k in (a,b)</c>, <c>k notin (a)</c>, <c>k</c> and <c>!k</c>, with Kubernetes' meaning.
/// </summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    /// <summary>Matches every object.</summary>
    public static LabelSelector Everything { get; } = new([]);

    /// <summary>Parses a selector; a bad term throws <see cref="FormatException"/> naming it.</summary>
    public static LabelSelector Parse(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        int depth = 0, start = 0;
        for (int i = 0; i <= selector.Length; i++)
        {
            char c = i < selector.Length ? selector[i] : ',';
            if (c == '(')
            {
                depth++;
            }
            else if (c == ')' && --depth < 0)
            {
                throw new FormatException($"label selector '{selector}' has an unbalanced ')'");
            }
            else if (i == selector.Length && depth != 0)
            {
                throw new FormatException($"label selector '{selector}' has an unclosed '('");
            }
            else if (c == ',' && depth == 0)
            {
                requirements.Add(ParseTerm(selector[start..i].Trim(), selector));
                start = i + 1;
            }
        }

        return new LabelSelector(requirements);
    }

    /// <summary>A selector that requires every given label to have the given value.</summary>
    public static LabelSelector FromLabels(IReadOnlyDictionary<string, string> labels) =>
        new([.. labels.Select(l => new Requirement(l.Key, Op.In, [l.Value]))]);

    /// <summary>Whether <paramref name="labels"/> (null meaning none) satisfy every requirement.</summary>
    public bool Matches(IDictionary<string, string>? labels)
    {
        foreach (var requirement in _requirements)
        {
            string? value = labels is not null && labels.TryGetValue(requirement.Key, out var v) ? v : null;
            bool ok = requirement.Op switch
            {
                Op.In => value is not null && requirement.Values.Contains(value),
                Op.NotIn => value is null || !requirement.Values.Contains(value),
                Op.Exists => value is not null,
                _ => value is null,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static Requirement ParseTerm(string term, string selector)
    {
        if (term.Length == 0)
        {
            throw new FormatException($"label selector '{selector}' has an empty term");
        }

        if (term[0] == '!')
        {
            return new Requirement(Key(term[1..], selector), Op.DoesNotExist, []);
        }

        int neq = term.IndexOf("!=", StringComparison.Ordinal);
        if (neq > 0)
        {
            return new Requirement(Key(term[..neq], selector), Op.NotIn, [term[(neq + 2)..].Trim()]);
        }

        int eq = term.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0)
        {
            string value = term[(eq + 1)..].TrimStart('=').Trim();
            return new Requirement(Key(term[..eq], selector), Op.In, [value]);
        }

        int open = term.IndexOf('(', StringComparison.Ordinal);
        if (open > 0 && term.EndsWith(')'))
        {
            string head = term[..open].Trim();
            int space = head.LastIndexOf(' ');
            string[] values = term[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            string op = space > 0 ? head[(space + 1)..] : "";
            return op switch
            {
                "in" => new Requirement(Key(head[..space], selector), Op.In, values),
                "notin" => new Requirement(Key(head[..space], selector), Op.NotIn, values),
                _ => throw new FormatException($"label selector '{selector}': term '{term}' needs 'in' or 'notin' before '('"),
            };
        }

        return new Requirement(Key(term, selector), Op.Exists, []);
    }

    private static string Key(string key, string selector)
    {
        key = key.Trim();
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '!' or '=' or ','))
        {
            throw new FormatException($"label selector '{selector}' has an invalid key '{key}'");
        }

        return key;
    }

    private enum Op
    {
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    private sealed record Requirement(string Key, Op Op, string[] Values);
}
