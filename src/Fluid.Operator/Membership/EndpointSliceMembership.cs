using Fluid.Kubernetes.Informers;
using Fluid.Kubernetes.Resources;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Membership;

/// <summary>One ready cache worker as its Service's EndpointSlices show it.</summary>
/// <param name="Address">The pod's address.</param>
/// <param name="Port">The Service port named <c>data</c>.</param>
/// <param name="NodeName">The node the pod runs on, when the slice says.</param>
/// <param name="PodName">The pod's name (the endpoint's targetRef), when the slice says.</param>
/// <param name="HttpPort">The Service port named <c>http</c> (the worker's control port) when asked for and the slice has it, else 0.</param>
public sealed record WorkerEndpoint(string Address, int Port, string? NodeName, string? PodName, int HttpPort = 0);

/// <summary>
/// The ready endpoints of a worker Service, kept current from its EndpointSlices (label
/// <c>kubernetes.io/service-name</c>) by a <see cref="ResourceInformer{T}"/>; <see cref="Changed"/> fires with the new
/// list whenever the set changes. It knows nothing of the cache: clients adapt the endpoints to their own view.
/// </summary>
public sealed class EndpointSliceMembership : IDisposable
{
    /// <summary>The label EndpointSlices carry naming their Service.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    private readonly ResourceInformer<V1EndpointSlice> _informer;
    private readonly IDisposable _registration;
    private readonly string _portName;
    private readonly string? _httpPortName;
    private readonly Lock _gate = new();
    private IReadOnlyList<WorkerEndpoint> _current = [];

    /// <summary>Watches the EndpointSlices of Service <paramref name="serviceName"/> in <paramref name="ns"/>.</summary>
    /// <param name="httpPortName">When set, each endpoint also carries the slice's port of that name (<see cref="WorkerEndpoint.HttpPort"/>).</param>
    public EndpointSliceMembership(IKubernetes client, string ns, string serviceName, string portName = "data", ILogger? logger = null, InformerOptions? options = null, string? httpPortName = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(ns);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        _portName = portName;
        _httpPortName = httpPortName;
        Namespace = ns;
        ServiceName = serviceName;
        _informer = new ResourceInformer<V1EndpointSlice>(
            new ResourceClient<V1EndpointSlice>(client, ResourceTypes.EndpointSlices),
            (options ?? new InformerOptions()) with { Namespace = ns, LabelSelector = $"{ServiceNameLabel}={serviceName}" },
            logger);
        _registration = _informer.AddHandler(_ => Refresh());
    }

    /// <summary>Raised (on the informer's loop) with the new endpoints after every change of the set.</summary>
    public event Action<IReadOnlyList<WorkerEndpoint>>? Changed;

    public string Namespace { get; }

    public string ServiceName { get; }

    /// <summary>The ready endpoints now, sorted by pod name and address.</summary>
    public IReadOnlyList<WorkerEndpoint> Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Parses a membership source <c>endpointslices:&lt;namespace&gt;/&lt;service&gt;</c>, as the pods are given it.</summary>
    public static bool TryParseSource(string source, out string ns, out string serviceName)
    {
        ns = serviceName = "";
        const string scheme = "endpointslices:";
        if (source is null || !source.StartsWith(scheme, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = source[scheme.Length..].Split('/');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return false;
        }

        (ns, serviceName) = (parts[0], parts[1]);
        return true;
    }

    /// <summary>
    /// The ready endpoints of <paramref name="slices"/> that expose <paramref name="portName"/>: an endpoint counts
    /// unless its <c>ready</c> condition is false (unknown means ready, as the API documents), one per pod or address.
    /// With <paramref name="httpPortName"/>, endpoints carry the slice's port of that name too (0 when it has none).
    /// </summary>
    public static IReadOnlyList<WorkerEndpoint> Compute(IEnumerable<V1EndpointSlice> slices, string portName, string? httpPortName = null)
    {
        ArgumentNullException.ThrowIfNull(slices);
        var result = new Dictionary<string, WorkerEndpoint>(StringComparer.Ordinal);
        foreach (var slice in slices)
        {
            var port = slice.Ports?.FirstOrDefault(p => p.Name == portName)?.Port;
            if (port is null)
            {
                continue;
            }

            var httpPort = httpPortName is null ? 0 : slice.Ports?.FirstOrDefault(p => p.Name == httpPortName)?.Port ?? 0;

            foreach (var endpoint in slice.Endpoints ?? [])
            {
                if (endpoint.Conditions?.Ready == false || endpoint.Addresses is not { Count: > 0 } addresses)
                {
                    continue;
                }

                var worker = new WorkerEndpoint(addresses[0], port.Value, endpoint.NodeName, endpoint.TargetRef?.Kind is null or "Pod" ? endpoint.TargetRef?.Name : null, httpPort);
                result.TryAdd(worker.PodName ?? worker.Address, worker);
            }
        }

        return [.. result.Values.OrderBy(w => w.PodName ?? "", StringComparer.Ordinal).ThenBy(w => w.Address, StringComparer.Ordinal)];
    }

    /// <summary>Lists and watches until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => _informer.RunAsync(cancellationToken);

    /// <summary>Completes once the slices have been listed.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken = default) => _informer.WaitForSyncAsync(cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _registration.Dispose();

    private void Refresh()
    {
        var next = Compute(_informer.Cache.List(Namespace), _portName, _httpPortName);
        lock (_gate)
        {
            if (next.SequenceEqual(_current))
            {
                return;
            }

            _current = next;
        }

        Changed?.Invoke(next);
    }
}
