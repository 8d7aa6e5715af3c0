using System.Globalization;

namespace Fluid.Engine.Control;

/// <summary>Sizes, rates and percentages the way Fluid prints them in dataset status ("1.50GiB", "42.0%").</summary>
public static class Units
{
    private static readonly string[] Binary = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>Bytes with two decimals in binary units, as Fluid's <c>ufsTotal</c> and <c>cacheStates</c> show them.</summary>
    public static string Bytes(double bytes)
    {
        var unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < Binary.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        return bytes.ToString("0.00", CultureInfo.InvariantCulture) + Binary[unit];
    }

    public static string Rate(double bytesPerSecond) => Bytes(bytesPerSecond) + "/s";

    /// <summary>A percentage with one decimal ("100.0%").</summary>
    public static string Percent(double percent) => percent.ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>A duration as "1h02m", "3m04s" or "12.3s".</summary>
    public static string Duration(TimeSpan value)
    {
        if (value.TotalHours >= 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalHours}h{value.Minutes:00}m");
        }

        return value.TotalMinutes >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalMinutes}m{value.Seconds:00}s")
            : value.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
    }
}
