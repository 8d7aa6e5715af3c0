using Fluid.Kubernetes.Resources;

namespace Fluid.Kubernetes.Controllers;

/// <summary>Brings one object's world in line with its spec. Called with at most one reconcile per key at a time.</summary>
public interface IReconciler
{
    /// <summary>
    /// Reconciles the object <paramref name="key"/> names (it may no longer exist). Throwing retries the key with
    /// rate-limited backoff; <see cref="ReconcileResult"/> can ask for a requeue. Honour the token: it is cancelled
    /// on shutdown and when this replica loses leadership.
    /// </summary>
    Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken);
}

/// <summary>What a reconcile wants next.</summary>
/// <param name="Requeue">Retry soon, with the queue's rate-limited backoff.</param>
/// <param name="RequeueAfter">Reconcile again after this long (for polling external state).</param>
public readonly record struct ReconcileResult(bool Requeue = false, TimeSpan? RequeueAfter = null)
{
    /// <summary>Done until something changes.</summary>
    public static ReconcileResult Done => default;

    /// <summary>Reconcile again after <paramref name="delay"/>.</summary>
    public static ReconcileResult After(TimeSpan delay) => new(RequeueAfter: delay);

    /// <summary>Retry with backoff, without logging an error.</summary>
    public static ReconcileResult Retry => new(Requeue: true);
}

/// <summary>Adapts a delegate to <see cref="IReconciler"/>.</summary>
public sealed class DelegateReconciler(Func<ObjectKey, CancellationToken, Task<ReconcileResult>> reconcile) : IReconciler
{
    /// <inheritdoc />
    public Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken) => reconcile(key, cancellationToken);
}
