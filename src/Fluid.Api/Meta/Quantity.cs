using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fluid.Api.Meta;

/// <summary>How a quantity is written: binary suffixes (Ki, Mi), decimal suffixes (k, M, m) or an exponent (1e3).</summary>
public enum QuantityFormat
{
    DecimalSI,
    BinarySI,
    DecimalExponent,
}

/// <summary>
/// A Kubernetes resource quantity (<c>4Gi</c>, <c>500M</c>, <c>100m</c>, <c>1e3</c>): exact to the nano unit,
/// compared by value, and written back in Kubernetes' canonical form.
/// </summary>
[JsonConverter(typeof(QuantityJsonConverter))]
public readonly struct Quantity : IEquatable<Quantity>, IComparable<Quantity>
{
    private static readonly BigInteger NanosPerUnit = 1_000_000_000;

    // Kubernetes caps any quantity at 2^63-1 in magnitude.
    private static readonly BigInteger MaxNanos = new BigInteger(long.MaxValue) * NanosPerUnit;

    private static readonly string[] BinarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    private readonly BigInteger _nanos;

    private Quantity(BigInteger nanos, QuantityFormat format)
    {
        _nanos = nanos;
        Format = format;
    }

    /// <summary>The notation this quantity was written in; canonical output keeps it.</summary>
    public QuantityFormat Format { get; }

    public bool IsZero => _nanos.IsZero;

    public int Sign => _nanos.Sign;

    /// <summary>The value in whole units, rounded up (as Kubernetes' <c>Value()</c>).</summary>
    public long Value => (long)CeilDiv(_nanos, NanosPerUnit);

    /// <summary>The value in thousandths, rounded up (as Kubernetes' <c>MilliValue()</c>).</summary>
    public long MilliValue => (long)CeilDiv(_nanos, 1_000_000);

    /// <summary>The exact value as a decimal number.</summary>
    public decimal ToDecimal() => (decimal)_nanos / 1_000_000_000m;

    public static Quantity FromBytes(long bytes) => new(bytes * NanosPerUnit, QuantityFormat.BinarySI);

    public static Quantity FromDecimal(long value) => new(value * NanosPerUnit, QuantityFormat.DecimalSI);

    public static Quantity Parse(string text) =>
        TryParse(text, out var quantity, out var error) ? quantity : throw new FormatException(error);

    public static bool TryParse(string? text, out Quantity quantity) => TryParse(text, out quantity, out _);

    /// <summary>Parses a quantity with the grammar and rounding rules of Kubernetes' <c>resource.ParseQuantity</c>.</summary>
    public static bool TryParse(string? text, out Quantity quantity, [NotNullWhen(false)] out string? error)
    {
        quantity = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "quantity is empty";
            return false;
        }

        var pos = 0;
        var negative = false;
        if (text[0] is '+' or '-')
        {
            negative = text[0] == '-';
            pos = 1;
        }

        var integerStart = pos;
        while (pos < text.Length && char.IsAsciiDigit(text[pos]))
        {
            pos++;
        }

        var integerPart = text[integerStart..pos];
        var fractionPart = string.Empty;
        if (pos < text.Length && text[pos] == '.')
        {
            pos++;
            var fractionStart = pos;
            while (pos < text.Length && char.IsAsciiDigit(text[pos]))
            {
                pos++;
            }

            fractionPart = text[fractionStart..pos];
        }

        if (integerPart.Length == 0 && fractionPart.Length == 0)
        {
            error = $"\"{text}\" is not a valid quantity (e.g. 10Gi, 500M, 100m)";
            return false;
        }

        var suffix = text[pos..];
        if (!TryParseSuffix(suffix, out var numberBase, out var exponent, out var format))
        {
            error = $"\"{text}\" is not a valid quantity (e.g. 10Gi, 500M, 100m)";
            return false;
        }

        var mantissa = BigInteger.Parse(integerPart + fractionPart + "0", CultureInfo.InvariantCulture) / 10;
        var numerator = mantissa * NanosPerUnit;
        var denominator = BigInteger.Pow(10, fractionPart.Length);

        if (!mantissa.IsZero)
        {
            if (numberBase == 2)
            {
                numerator *= BigInteger.Pow(2, exponent);
            }
            else if (exponent > 40)
            {
                // Anything non-zero this large is past the cap.
                numerator = MaxNanos;
                denominator = 1;
            }
            else if (exponent < -40)
            {
                numerator = 1;
                denominator = BigInteger.Pow(10, 60);
            }
            else if (exponent >= 0)
            {
                numerator *= BigInteger.Pow(10, exponent);
            }
            else
            {
                denominator *= BigInteger.Pow(10, -exponent);
            }
        }

        // Cap, then round any fraction of a nano up (away from zero), as Kubernetes does.
        if (numerator > MaxNanos * denominator)
        {
            numerator = MaxNanos;
            denominator = 1;
        }

        var nanos = CeilDiv(numerator, denominator);
        if (format == QuantityFormat.BinarySI && !nanos.IsZero && nanos < NanosPerUnit)
        {
            format = QuantityFormat.DecimalSI;
        }

        quantity = new Quantity(negative ? -nanos : nanos, format);
        error = null;
        return true;
    }

    private static bool TryParseSuffix(string suffix, out int numberBase, out int exponent, out QuantityFormat format)
    {
        numberBase = 10;
        format = QuantityFormat.DecimalSI;
        exponent = suffix switch
        {
            "" => 0,
            "n" => -9,
            "u" => -6,
            "m" => -3,
            "k" => 3,
            "M" => 6,
            "G" => 9,
            "T" => 12,
            "P" => 15,
            "E" => 18,
            _ => int.MinValue,
        };
        if (exponent != int.MinValue)
        {
            return true;
        }

        var binary = Array.IndexOf(BinarySuffixes, suffix);
        if (binary > 0)
        {
            numberBase = 2;
            exponent = binary * 10;
            format = QuantityFormat.BinarySI;
            return true;
        }

        if (suffix.Length >= 2 && suffix[0] is 'e' or 'E')
        {
            var digits = suffix.AsSpan(1);
            var start = digits[0] is '+' or '-' ? 1 : 0;
            if (digits.Length > start && !digits[start..].ContainsAnyExcept("0123456789") && digits.Length <= 10 &&
                int.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
            {
                format = QuantityFormat.DecimalExponent;
                return true;
            }
        }

        exponent = 0;
        return false;
    }

    private static BigInteger CeilDiv(BigInteger numerator, BigInteger denominator)
    {
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        if (!remainder.IsZero)
        {
            quotient += numerator.Sign == denominator.Sign ? 1 : -1;
        }

        return quotient;
    }

    /// <summary>Writes the canonical form, as Kubernetes' <c>Quantity.String()</c> does.</summary>
    public override string ToString()
    {
        if (_nanos.IsZero)
        {
            return "0";
        }

        var format = Format;
        var magnitude = BigInteger.Abs(_nanos);
        if (format == QuantityFormat.BinarySI &&
            (magnitude < 1024 * NanosPerUnit || !(magnitude % NanosPerUnit).IsZero))
        {
            // Small or fractional binary values read better (and exactly) in decimal.
            format = QuantityFormat.DecimalSI;
        }

        var builder = new StringBuilder();
        if (_nanos.Sign < 0)
        {
            builder.Append('-');
        }

        if (format == QuantityFormat.BinarySI)
        {
            var units = magnitude / NanosPerUnit;
            var power = 0;
            while (power < BinarySuffixes.Length - 1 && (units % 1024).IsZero)
            {
                units /= 1024;
                power++;
            }

            return builder.Append(units.ToString(CultureInfo.InvariantCulture)).Append(BinarySuffixes[power]).ToString();
        }

        var mantissa = magnitude;
        var exponent = -9;
        while ((mantissa % 10).IsZero)
        {
            mantissa /= 10;
            exponent++;
        }

        switch (exponent % 3)
        {
            case 1 or -2:
                mantissa *= 10;
                exponent -= 1;
                break;
            case 2 or -1:
                mantissa *= 100;
                exponent -= 2;
                break;
        }

        string suffix;
        if (format == QuantityFormat.DecimalExponent)
        {
            suffix = exponent == 0 ? string.Empty : "e" + exponent.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            if (exponent > 18)
            {
                mantissa *= BigInteger.Pow(10, exponent - 18);
                exponent = 18;
            }

            suffix = exponent switch
            {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                0 => string.Empty,
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                _ => "E",
            };
        }

        return builder.Append(mantissa.ToString(CultureInfo.InvariantCulture)).Append(suffix).ToString();
    }

    public bool Equals(Quantity other) => _nanos == other._nanos;

    public override bool Equals(object? obj) => obj is Quantity other && Equals(other);

    public override int GetHashCode() => _nanos.GetHashCode();

    public int CompareTo(Quantity other) => _nanos.CompareTo(other._nanos);

    public static bool operator ==(Quantity left, Quantity right) => left.Equals(right);

    public static bool operator !=(Quantity left, Quantity right) => !left.Equals(right);

    public static bool operator <(Quantity left, Quantity right) => left.CompareTo(right) < 0;

    public static bool operator >(Quantity left, Quantity right) => left.CompareTo(right) > 0;

    public static bool operator <=(Quantity left, Quantity right) => left.CompareTo(right) <= 0;

    public static bool operator >=(Quantity left, Quantity right) => left.CompareTo(right) >= 0;
}

internal sealed class QuantityJsonConverter : JsonConverter<Quantity>
{
    public override Quantity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // Kubernetes accepts a quantity as a JSON string or a bare number.
        var text = reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString()!,
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray()),
            _ => throw new JsonException("a quantity must be a string or a number"),
        };
        return Quantity.TryParse(text, out var quantity, out var error) ? quantity : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, Quantity value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
