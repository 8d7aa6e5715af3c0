using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fluid.Api.Meta;

/// <summary>
/// A duration written the way Go and Kubernetes write them (<c>60s</c>, <c>1m30s</c>, <c>250ms</c>, <c>2h</c>).
/// Compared by value; written back as the user wrote it.
/// </summary>
[JsonConverter(typeof(DurationJsonConverter))]
public readonly struct Duration : IEquatable<Duration>, IComparable<Duration>
{
    private readonly string? _text;

    public Duration(TimeSpan value)
    {
        Value = value;
        _text = null;
    }

    private Duration(TimeSpan value, string text)
    {
        Value = value;
        _text = text;
    }

    public TimeSpan Value { get; }

    public static Duration Parse(string text) =>
        TryParse(text, out var duration, out var error) ? duration : throw new FormatException(error);

    /// <summary>Parses Go's <c>time.ParseDuration</c> grammar: signed sequence of decimal numbers with units ns, us, µs, ms, s, m, h.</summary>
    public static bool TryParse(string? text, out Duration duration, [NotNullWhen(false)] out string? error)
    {
        duration = default;
        error = $"\"{text}\" is not a valid duration (e.g. 60s, 1m30s, 250ms, 2h)";
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var pos = 0;
        var negative = false;
        if (text[0] is '+' or '-')
        {
            negative = text[0] == '-';
            pos++;
        }

        if (text[pos..] == "0")
        {
            duration = new Duration(TimeSpan.Zero, text);
            error = null;
            return true;
        }

        if (pos == text.Length)
        {
            return false;
        }

        decimal totalNanos = 0;
        while (pos < text.Length)
        {
            var numberStart = pos;
            while (pos < text.Length && (char.IsAsciiDigit(text[pos]) || text[pos] == '.'))
            {
                pos++;
            }

            var number = text[numberStart..pos];
            if (number.Length == 0 || number == "." || number.Count(c => c == '.') > 1 ||
                !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            var unitStart = pos;
            while (pos < text.Length && !char.IsAsciiDigit(text[pos]) && text[pos] != '.')
            {
                pos++;
            }

            decimal unitNanos = text[unitStart..pos] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => -1m,
            };
            if (unitNanos < 0)
            {
                return false;
            }

            try
            {
                totalNanos += amount * unitNanos;
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        // Go's time.Duration is an int64 of nanoseconds.
        if (totalNanos > long.MaxValue)
        {
            error = $"\"{text}\" is too long a duration";
            return false;
        }

        var ticks = (long)Math.Round(totalNanos / 100m, MidpointRounding.AwayFromZero);
        duration = new Duration(TimeSpan.FromTicks(negative ? -ticks : ticks), text);
        error = null;
        return true;
    }

    /// <summary>The text as written, or Go's <c>Duration.String()</c> form for a value built in code.</summary>
    public override string ToString() => _text ?? Format(Value);

    /// <summary>Formats like Go's <c>time.Duration.String()</c> (for example <c>1h2m0.5s</c>, <c>1.5ms</c>).</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var builder = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            builder.Append('-');
            value = value.Duration();
        }

        var nanos = (decimal)value.Ticks * 100m;
        if (nanos < 1_000_000_000m)
        {
            var (unit, scale) = nanos switch
            {
                < 1_000m => ("ns", 1m),
                < 1_000_000m => ("µs", 1_000m),
                _ => ("ms", 1_000_000m),
            };
            return builder.Append((nanos / scale).ToString("0.#########", CultureInfo.InvariantCulture)).Append(unit).ToString();
        }

        var hours = (long)(nanos / 3_600_000_000_000m);
        nanos -= hours * 3_600_000_000_000m;
        var minutes = (long)(nanos / 60_000_000_000m);
        nanos -= minutes * 60_000_000_000m;
        var seconds = nanos / 1_000_000_000m;
        if (hours > 0)
        {
            builder.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            builder.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        return builder.Append(seconds.ToString("0.#########", CultureInfo.InvariantCulture)).Append('s').ToString();
    }

    public bool Equals(Duration other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is Duration other && Equals(other);

    public override int GetHashCode() => Value.GetHashCode();

    public int CompareTo(Duration other) => Value.CompareTo(other.Value);

    public static bool operator ==(Duration left, Duration right) => left.Equals(right);

    public static bool operator !=(Duration left, Duration right) => !left.Equals(right);

    public static bool operator <(Duration left, Duration right) => left.CompareTo(right) < 0;

    public static bool operator >(Duration left, Duration right) => left.CompareTo(right) > 0;

    public static bool operator <=(Duration left, Duration right) => left.CompareTo(right) <= 0;

    public static bool operator >=(Duration left, Duration right) => left.CompareTo(right) >= 0;
}

internal sealed class DurationJsonConverter : JsonConverter<Duration>
{
    public override Duration Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Duration.TryParse(reader.GetString(), out var duration, out var error) ? duration : throw new JsonException(error);

    public override void Write(Utf8JsonWriter writer, Duration value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

/// <summary>Reads and writes times as Kubernetes does: RFC 3339, UTC, whole seconds (<c>2024-05-01T10:00:00Z</c>).</summary>
public sealed class KubernetesTimeJsonConverter : JsonConverter<DateTimeOffset>
{
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static bool TryParse(string? text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value) &&
        text!.Contains('T', StringComparison.Ordinal);

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TryParse(reader.GetString(), out var value) ? value : throw new JsonException("expected an RFC 3339 time such as 2024-05-01T10:00:00Z");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));
}
