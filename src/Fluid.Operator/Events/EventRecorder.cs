using System.Collections.Concurrent;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using k8s;
using k8s.Models;

namespace Fluid.Operator.Events;

/// <summary>Event types Kubernetes knows.</summary>
public static class EventTypes
{
    public const string Normal = "Normal";

    public const string Warning = "Warning";
}

/// <summary>
/// Records core/v1 Events about an object, as <c>kubectl describe</c> shows them. The same reason and message for
/// the same object within <see cref="AggregationWindow"/> bumps the count and lastTimestamp of the existing Event
/// instead of creating another, so a controller that retries every few seconds does not flood the namespace.
/// </summary>
public sealed class EventRecorder
{
    private readonly ResourceClient<Corev1Event> _events;
    private readonly TimeProvider _time;
    private readonly string _component;
    private readonly ConcurrentDictionary<(string Uid, string Reason, string Message), (string Name, DateTimeOffset Last)> _recent = new();

    /// <summary>Creates a recorder that signs events with <paramref name="component"/>.</summary>
    public EventRecorder(ResourceClient<Corev1Event> events, string component = "fluid-controller", TimeProvider? time = null)
    {
        _events = events ?? throw new ArgumentNullException(nameof(events));
        _component = component;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How long a repeated event updates the earlier one rather than creating a new one.</summary>
    public TimeSpan AggregationWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Records an event about <paramref name="involved"/> (which must have been read from the server).</summary>
    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> involved, string type, string reason, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(involved);
        var ns = involved.Metadata.NamespaceProperty ?? "default";
        var uid = involved.Metadata.Uid ?? $"{ns}/{involved.Metadata.Name}";
        var now = _time.GetUtcNow();
        var key = (uid, reason, message);
        if (_recent.TryGetValue(key, out var recent) && now - recent.Last < AggregationWindow)
        {
            var updated = await _events.UpdateAsync(new ObjectKey(ns, recent.Name), e =>
            {
                e.Count = (e.Count ?? 1) + 1;
                e.LastTimestamp = now.UtcDateTime;
            }, cancellationToken: cancellationToken);
            if (updated is not null)
            {
                _recent[key] = (recent.Name, now);
                return;
            }
        }

        var name = $"{involved.Metadata.Name}.{now.ToUnixTimeMilliseconds():x}{Random.Shared.Next(0x1000):x3}";
        await _events.CreateAsync(new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = involved.ApiVersion,
                Kind = involved.Kind,
                Name = involved.Metadata.Name,
                NamespaceProperty = ns,
                Uid = involved.Metadata.Uid,
                ResourceVersion = involved.Metadata.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Count = 1,
            FirstTimestamp = now.UtcDateTime,
            LastTimestamp = now.UtcDateTime,
            Source = new V1EventSource { Component = _component },
            ReportingComponent = _component,
        }, cancellationToken);
        _recent[key] = (name, now);
    }
}
