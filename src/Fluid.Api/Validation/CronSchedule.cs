using System.Globalization;
using Fluid.Api.Meta;

namespace Fluid.Api.Validation;

/// <summary>Checks cron schedules as Fluid reads them (robfig/cron standard: five fields, or @hourly-style descriptors).</summary>
public static class CronSchedule
{
    private static readonly string[] Descriptors = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

    private static readonly string[] Days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private static readonly (string Name, int Min, int Max, string[]? Names)[] Fields =
    [
        ("minute", 0, 59, null),
        ("hour", 0, 23, null),
        ("day of month", 1, 31, null),
        ("month", 1, 12, Months),
        ("day of week", 0, 6, Days),
    ];

    /// <summary>Returns what is wrong with a schedule, or null when it is valid.</summary>
    public static string? Check(string schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var text = schedule.Trim();
        if (text.StartsWith("TZ=", StringComparison.Ordinal) || text.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            text = space < 0 ? string.Empty : text[(space + 1)..].Trim();
        }

        if (text.StartsWith('@'))
        {
            if (text.StartsWith("@every ", StringComparison.Ordinal))
            {
                return Duration.TryParse(text[7..].Trim(), out var every, out _) && every.Value > TimeSpan.Zero
                    ? null
                    : $"\"{schedule}\": @every needs a positive duration such as 1h30m";
            }

            return Descriptors.Contains(text) ? null : $"\"{schedule}\" is not a known descriptor (use {string.Join(", ", Descriptors)} or @every <duration>)";
        }

        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
        {
            return $"\"{schedule}\" is not a valid cron schedule (5 fields: minute hour day-of-month month day-of-week)";
        }

        for (var i = 0; i < 5; i++)
        {
            var error = CheckField(parts[i], Fields[i]);
            if (error is not null)
            {
                return $"\"{schedule}\": {Fields[i].Name} field \"{parts[i]}\" {error}";
            }
        }

        return null;
    }

    private static string? CheckField(string field, (string Name, int Min, int Max, string[]? Names) spec)
    {
        foreach (var item in field.Split(','))
        {
            var rangeText = item;
            var slash = item.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                rangeText = item[..slash];
                if (!int.TryParse(item[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step <= 0)
                {
                    return "has a bad step";
                }
            }

            if (rangeText is "*" or "?")
            {
                continue;
            }

            var dash = rangeText.IndexOf('-', StringComparison.Ordinal);
            var low = dash < 0 ? rangeText : rangeText[..dash];
            var high = dash < 0 ? null : rangeText[(dash + 1)..];
            if (!TryValue(low, spec, out var lowValue) || (high is not null && !TryValue(high, spec, out var highValue)) ||
                (high is not null && TryValue(high, spec, out highValue) && highValue < lowValue))
            {
                return $"must be values from {spec.Min} to {spec.Max}";
            }
        }

        return null;
    }

    private static bool TryValue(string text, (string Name, int Min, int Max, string[]? Names) spec, out int value)
    {
        if (spec.Names is not null)
        {
            var named = Array.FindIndex(spec.Names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (named >= 0)
            {
                value = named + spec.Min;
                return true;
            }
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= spec.Min && value <= spec.Max;
    }
}
