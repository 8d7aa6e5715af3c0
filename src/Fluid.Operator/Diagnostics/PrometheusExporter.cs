using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Fluid.Operator.Diagnostics;

/// <summary>
/// Collects the instruments of the given meters (System.Diagnostics.Metrics) and writes them in the Prometheus text
/// format: counters as <c>name_total</c>, gauges as their last value, histograms as <c>_sum</c> and <c>_count</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Series> _series = new();
    private readonly Lock _collectGate = new();

    /// <summary>Starts listening to the meters named <paramref name="meterNames"/>.</summary>
    public PrometheusExporter(params string[] meterNames)
    {
        var wanted = meterNames.ToHashSet(StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (wanted.Contains(instrument.Meter.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>The current values in the Prometheus text exposition format.</summary>
    public string Collect()
    {
        lock (_collectGate)
        {
            _listener.RecordObservableInstruments();
        }

        var text = new StringBuilder();
        foreach (var group in _series.OrderBy(s => s.Key.Name, StringComparer.Ordinal).ThenBy(s => s.Key.Labels, StringComparer.Ordinal).GroupBy(s => s.Key.Name))
        {
            var first = group.First().Value;
            text.Append("# TYPE ").Append(group.Key).Append(' ').Append(first.Kind switch { SeriesKind.Counter => "counter", SeriesKind.Gauge => "gauge", _ => "summary" }).Append('\n');
            foreach (var (key, series) in group)
            {
                var labels = key.Labels.Length > 0 ? "{" + key.Labels + "}" : "";
                switch (series.Kind)
                {
                    case SeriesKind.Counter:
                        text.Append(key.Name).Append("_total").Append(labels).Append(' ').Append(Format(series.Sum)).Append('\n');
                        break;
                    case SeriesKind.Gauge:
                        text.Append(key.Name).Append(labels).Append(' ').Append(Format(series.Last)).Append('\n');
                        break;
                    default:
                        text.Append(key.Name).Append("_sum").Append(labels).Append(' ').Append(Format(series.Sum)).Append('\n');
                        text.Append(key.Name).Append("_count").Append(labels).Append(' ').Append(series.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
                        break;
                }
            }
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var name = instrument.Name.Replace('.', '_').Replace('-', '_');
        var labels = new StringBuilder();
        foreach (var tag in tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (labels.Length > 0)
            {
                labels.Append(',');
            }

            var escaped = (tag.Value?.ToString() ?? "").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
            labels.Append(tag.Key.Replace('.', '_')).Append("=\"").Append(escaped).Append('"');
        }

        var kind = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => SeriesKind.Counter,
            Histogram<long> or Histogram<int> or Histogram<double> => SeriesKind.Summary,
            _ => SeriesKind.Gauge,
        };
        var series = _series.GetOrAdd((name, labels.ToString()), _ => new Series(kind));
        series.Add(value, instrument.IsObservable);
    }

    private enum SeriesKind
    {
        Counter,
        Gauge,
        Summary,
    }

    private sealed class Series(SeriesKind kind)
    {
        private readonly Lock _gate = new();

        public SeriesKind Kind { get; } = kind;

        public double Sum { get; private set; }

        public double Last { get; private set; }

        public long Count { get; private set; }

        public void Add(double value, bool observable)
        {
            lock (_gate)
            {
                // Observable counters report running totals; others report increments.
                Sum = observable && Kind == SeriesKind.Counter ? value : Sum + value;
                Last = value;
                Count++;
            }
        }
    }
}
