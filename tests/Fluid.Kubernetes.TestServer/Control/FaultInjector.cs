namespace Fluid.Kubernetes.TestServer.Control;

/// <summary>Holds the active fault rules and consumes them as requests match.</summary>
internal sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<(FaultRule Rule, int Remaining)> _rules = [];

    public void Add(FaultRule rule)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rule.Count, 1, nameof(rule));
        lock (_gate)
        {
            _rules.Add((rule, rule.Count));
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    public FaultRule? TryConsume(string method, string? resource, string? name, string? subresource, bool watch)
    {
        lock (_gate)
        {
            for (int i = 0; i < _rules.Count; i++)
            {
                var (rule, remaining) = _rules[i];
                if ((rule.Method is null || string.Equals(rule.Method, method, StringComparison.OrdinalIgnoreCase))
                    && (rule.Resource is null || rule.Resource == resource)
                    && (rule.Name is null || rule.Name == name)
                    && (rule.Subresource is null || rule.Subresource == (subresource ?? ""))
                    && (rule.Watch is null || rule.Watch == watch))
                {
                    if (remaining <= 1)
                    {
                        _rules.RemoveAt(i);
                    }
                    else
                    {
                        _rules[i] = (rule, remaining - 1);
                    }

                    return rule;
                }
            }

            return null;
        }
    }
}
