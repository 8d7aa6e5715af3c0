using Fluid.Cache.Cluster.Membership;
using Fluid.Kubernetes.Informers;
using k8s;
using Microsoft.Extensions.Logging;
using ClusterWorker = Fluid.Cache.Cluster.Membership.WorkerEndpoint;
using SliceWorker = Fluid.Operator.Membership.WorkerEndpoint;

namespace Fluid.Operator.Membership;

/// <summary>
/// The cache workers of a runtime as a cluster client sees them, from its worker Service's EndpointSlices: worker id =
/// pod name (else the address), host = the address, data port = the port named <c>data</c>, control port = the port
/// named <c>http</c> (0 when the slice has none), node = the endpoint's node. <see cref="Changed"/> fires on every
/// change of the set, on the informer's loop.
/// </summary>
public sealed class EndpointSliceWorkerMembership : IWorkerMembership, IAsyncDisposable
{
    /// <summary>The worker Service's port of the page protocol.</summary>
    public const string DataPortName = "data";

    /// <summary>The worker Service's control port (summary, load).</summary>
    public const string HttpPortName = "http";

    private readonly EndpointSliceMembership _slices;
    private readonly CancellationTokenSource _stop = new();
    private IReadOnlyList<ClusterWorker> _current = [];
    private Task _run = Task.CompletedTask;
    private int _disposed;

    /// <summary>Watches the EndpointSlices of Service <paramref name="serviceName"/> in <paramref name="ns"/> (call <see cref="Start"/>).</summary>
    public EndpointSliceWorkerMembership(IKubernetes client, string ns, string serviceName, ILogger? logger = null, InformerOptions? options = null)
    {
        _slices = new EndpointSliceMembership(client, ns, serviceName, DataPortName, logger, options, HttpPortName);
        _slices.Changed += OnChanged;
    }

    /// <inheritdoc />
    public event Action<IReadOnlyList<ClusterWorker>>? Changed;

    /// <inheritdoc />
    public IReadOnlyList<ClusterWorker> Current => Volatile.Read(ref _current);

    public string Namespace => _slices.Namespace;

    public string ServiceName => _slices.ServiceName;

    /// <summary>Maps the endpoints of the slices to cluster workers, in the slices' order (pod name, then address).</summary>
    public static IReadOnlyList<ClusterWorker> ToWorkers(IEnumerable<SliceWorker> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return [.. endpoints.Select(e => new ClusterWorker(e.PodName ?? e.Address, e.Address, e.Port, e.HttpPort, e.NodeName))];
    }

    /// <summary>Starts listing and watching in the background; runs until disposed.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _run = Task.Run(() => _slices.RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Completes once the slices have been listed (and <see cref="Current"/> reflects them).</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _slices.WaitForSyncAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _slices.Changed -= OnChanged;
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
        }

        _slices.Dispose();
        _stop.Dispose();
    }

    private void OnChanged(IReadOnlyList<SliceWorker> endpoints)
    {
        var next = ToWorkers(endpoints);
        Volatile.Write(ref _current, next);
        Changed?.Invoke(next);
    }
}
