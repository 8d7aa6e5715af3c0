namespace Fluid.Kubernetes.Informers;

/// <summary>What happened to an object, as an informer reports it.</summary>
public enum ResourceEventType
{
    /// <summary>The object appeared.</summary>
    Added,

    /// <summary>The object changed.</summary>
    Modified,

    /// <summary>The object is gone.</summary>
    Deleted,
}

/// <summary>One change an informer hands to its handlers.</summary>
/// <typeparam name="T">The object type.</typeparam>
/// <param name="Type">Added, Modified or Deleted.</param>
/// <param name="Object">The object now (for a delete, its last known state).</param>
/// <param name="Old">The previously cached object, if there was one.</param>
public readonly record struct ResourceEvent<T>(ResourceEventType Type, T Object, T? Old)
    where T : class
{
    /// <summary>
    /// True for a delete the informer inferred because a relist no longer contained the object (its DELETED event
    /// was lost, for example while the watch was down); <see cref="Object"/> is then the last state the cache held.
    /// </summary>
    public bool IsSynthetic { get; init; }
}
