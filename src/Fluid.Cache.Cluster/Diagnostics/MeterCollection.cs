using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Fluid.Cache.Cluster.Diagnostics;

/// <summary>
/// An <see cref="IMeterFactory"/> that remembers the meters it made, so one process's exporter
/// publishes exactly the instruments of its own cache and cluster roles (and nothing of another
/// cache that happens to live in the same process, as in tests).
/// </summary>
public sealed class MeterCollection : IMeterFactory
{
    private readonly ConcurrentDictionary<Meter, byte> _meters = new();

    /// <summary>The meters created so far.</summary>
    public IReadOnlyCollection<Meter> Meters => [.. _meters.Keys];

    public bool Contains(Meter meter) => _meters.ContainsKey(meter);

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var meter = new Meter(options.Name, options.Version, options.Tags, this);
        _meters.TryAdd(meter, 0);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in _meters.Keys)
        {
            meter.Dispose();
        }

        _meters.Clear();
    }
}
