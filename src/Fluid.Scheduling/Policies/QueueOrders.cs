using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Policies;

/// <summary>Queue and eviction orders shared by the policies.</summary>
public static class QueueOrders
{
    /// <summary>
    /// The default scheduler's PrioritySort: higher priority first, then earlier arrival; every job is tried
    /// (one that does not fit waits while later ones may start).
    /// </summary>
    public static IReadOnlyList<QueueEntry> PriorityThenFifo(IReadOnlyList<JobInfo> pending)
    {
        var list = new List<JobInfo>(pending);
        list.Sort(ComparePriorityThenArrival);
        var entries = new QueueEntry[list.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new QueueEntry(list[i], Blocking: false);
        }

        return entries;
    }

    /// <summary>Higher priority first, then earlier arrival, then trace order.</summary>
    public static int ComparePriorityThenArrival(JobInfo x, JobInfo y)
    {
        var c = y.Spec.Priority.CompareTo(x.Spec.Priority);
        if (c != 0)
        {
            return c;
        }

        c = x.Spec.ArrivalSeconds.CompareTo(y.Spec.ArrivalSeconds);
        return c != 0 ? c : x.Index.CompareTo(y.Index);
    }

    /// <summary>Least recently used first.</summary>
    public static int LeastRecentlyUsed(EvictionCandidate x, EvictionCandidate y) => x.LastAccessSeconds.CompareTo(y.LastAccessSeconds);
}
