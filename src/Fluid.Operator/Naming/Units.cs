using System.Globalization;

namespace Fluid.Operator.Naming;

/// <summary>The human-readable figures Fluid writes into statuses and node labels.</summary>
public static class Units
{
    private static readonly string[] BinaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>Bytes with a binary unit and four significant digits, as Fluid's <c>BytesSize</c> (<c>38.4MiB</c>, <c>0B</c>).</summary>
    public static string Bytes(double bytes)
    {
        int unit = 0;
        while (bytes >= 1024 && unit < BinaryUnits.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        return bytes.ToString("G4", CultureInfo.InvariantCulture) + BinaryUnits[unit];
    }

    /// <summary>A ratio as a percentage with one decimal (<c>50.0%</c>), as Fluid writes cachedPercentage and hit ratios.</summary>
    public static string Percent(double part, double whole) =>
        (whole <= 0 ? 0 : part / whole * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    /// <summary>A duration rounded to whole seconds in Go's form (<c>1m30s</c>), as Fluid's <c>CalculateDuration</c>.</summary>
    public static string Duration(TimeSpan elapsed) =>
        Fluid.Api.Meta.Duration.Format(TimeSpan.FromSeconds(Math.Max(0, Math.Round(elapsed.TotalSeconds, MidpointRounding.AwayFromZero))));
}
