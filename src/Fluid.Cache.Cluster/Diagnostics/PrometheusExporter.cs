using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Fluid.Cache.Cluster.Diagnostics;

/// <summary>
/// Writes the observable instruments of a <see cref="MeterCollection"/> in the Prometheus text
/// format (0.0.4): <c>fluid.cache.hits</c> with unit <c>By</c> becomes <c>fluid_cache_hits_bytes_total</c>,
/// tags become labels. Every instrument of the cache and the cluster roles is observable (plain
/// counters read at scrape time), so nothing is recorded between scrapes.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>The Content-Type of <see cref="Collect"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly List<(Instrument Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _samples = [];

    public PrometheusExporter(MeterCollection meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meters.Contains(instrument.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Reads every instrument now and returns the exposition text.</summary>
    public string Collect()
    {
        lock (_lock)
        {
            _samples.Clear();
            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var group in _samples.GroupBy(s => s.Instrument))
            {
                var instrument = group.Key;
                var counter = instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal);
                var name = MetricName(instrument, counter);
                text.Append("# HELP ").Append(name).Append(' ').Append(Escape(instrument.Description ?? instrument.Name, label: false)).Append('\n');
                text.Append("# TYPE ").Append(name).Append(counter ? " counter\n" : " gauge\n");
                foreach (var (_, value, tags) in group)
                {
                    text.Append(name);
                    var labels = (instrument.Meter.Tags ?? []).Concat(tags).ToList();
                    if (labels.Count > 0)
                    {
                        text.Append('{');
                        for (var i = 0; i < labels.Count; i++)
                        {
                            text.Append(i == 0 ? string.Empty : ",").Append(LabelName(labels[i].Key)).Append("=\"")
                                .Append(Escape(Convert.ToString(labels[i].Value, CultureInfo.InvariantCulture) ?? string.Empty, label: true)).Append('"');
                        }

                        text.Append('}');
                    }

                    text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                }
            }

            _samples.Clear();
            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        _samples.Add((instrument, value, tags.ToArray()));

    private static string MetricName(Instrument instrument, bool counter)
    {
        var name = new StringBuilder(instrument.Name.Length + 16);
        foreach (var c in instrument.Name)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        if (instrument.Unit == "By" && !instrument.Name.EndsWith("bytes", StringComparison.Ordinal))
        {
            name.Append("_bytes");
        }
        else if (instrument.Unit == "By/s")
        {
            name.Append("_bytes_per_second");
        }
        else if (instrument.Unit == "s")
        {
            name.Append("_seconds");
        }

        if (counter)
        {
            name.Append("_total");
        }

        return name.ToString();
    }

    private static string LabelName(string key)
    {
        var name = new StringBuilder(key.Length);
        foreach (var c in key)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return name.ToString();
    }

    private static string Escape(string value, bool label) =>
        label
            ? value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)
            : value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
