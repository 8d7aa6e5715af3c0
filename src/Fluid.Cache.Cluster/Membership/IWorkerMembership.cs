namespace Fluid.Cache.Cluster.Membership;

/// <summary>
/// The live cache workers of one runtime: a static list standalone and in tests, Kubernetes
/// EndpointSlices in a cluster. Implementations raise <see cref="Changed"/> after
/// <see cref="Current"/> changed; handlers must be quick (the client only swaps its ring).
/// </summary>
public interface IWorkerMembership
{
    /// <summary>The workers now (an immutable snapshot).</summary>
    IReadOnlyList<WorkerEndpoint> Current { get; }

    /// <summary>Raised with the new list each time it changes.</summary>
    event Action<IReadOnlyList<WorkerEndpoint>>? Changed;
}

/// <summary>A membership that changes only when told to (standalone runs, tests, <c>fluid up --workers N</c>).</summary>
public sealed class StaticMembership : IWorkerMembership
{
    private readonly Lock _lock = new();
    private IReadOnlyList<WorkerEndpoint> _current;

    public StaticMembership(IEnumerable<WorkerEndpoint> workers)
    {
        _current = Check(workers);
    }

    /// <summary>Parses a comma-separated list of <see cref="WorkerEndpoint.Parse"/> entries.</summary>
    public static StaticMembership Parse(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        return new StaticMembership(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(WorkerEndpoint.Parse));
    }

    public IReadOnlyList<WorkerEndpoint> Current => Volatile.Read(ref _current);

    public event Action<IReadOnlyList<WorkerEndpoint>>? Changed;

    /// <summary>Replaces the list and notifies subscribers.</summary>
    public void Update(IEnumerable<WorkerEndpoint> workers)
    {
        var next = Check(workers);
        lock (_lock)
        {
            Volatile.Write(ref _current, next);
            Changed?.Invoke(next);
        }
    }

    private static IReadOnlyList<WorkerEndpoint> Check(IEnumerable<WorkerEndpoint> workers)
    {
        ArgumentNullException.ThrowIfNull(workers);
        WorkerEndpoint[] list = [.. workers];
        var duplicate = list.GroupBy(w => w.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"worker id \"{duplicate.Key}\" appears {duplicate.Count()} times; ids must be unique", nameof(workers));
        }

        return list;
    }
}
