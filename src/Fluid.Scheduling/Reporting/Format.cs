using System.Globalization;

namespace Fluid.Scheduling.Reporting;

/// <summary>Culture-invariant number formats used by every report.</summary>
public static class Format
{
    /// <summary>Seconds as hours with two decimals.</summary>
    public static string Hours(double seconds) => (seconds / 3600).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A ratio as a percentage with one decimal.</summary>
    public static string Percent(double ratio) => (ratio * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>A signed relative change as a percentage with one decimal.</summary>
    public static string Change(double ratio) => (ratio * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>Bytes as GB with one decimal.</summary>
    public static string GB(double bytes) => (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>A number with up to <paramref name="decimals"/> decimals.</summary>
    public static string Number(double value, int decimals = 3) =>
        value.ToString(decimals <= 0 ? "0" : "0." + new string('#', decimals), CultureInfo.InvariantCulture);
}
