using System.Globalization;

namespace Fluid.Storage.Mounts;

/// <summary>
/// Reads a mount's options by a list of accepted keys (ours first, then Fluid's and other engines'
/// spellings), collecting every problem so a bad configuration is reported at once. Never echoes the
/// value of a secret or sensitive option.
/// </summary>
public sealed class MountOptionReader
{
    private readonly UfsMount _mount;
    private readonly List<string> _problems = [];

    /// <summary>Creates a reader for <paramref name="mount"/>.</summary>
    public MountOptionReader(UfsMount mount)
    {
        _mount = mount;
    }

    /// <summary>The problems found so far.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Records a problem with the configuration.</summary>
    public void AddProblem(string problem) => _problems.Add(problem);

    /// <summary>The first of <paramref name="keys"/> set in the plain options, or null.</summary>
    public string? GetString(params ReadOnlySpan<string> keys) => Find(keys, includeSecrets: false)?.Value;

    /// <summary>
    /// The first of <paramref name="keys"/> set in the secret options, else in the plain options
    /// (Fluid's samples also put credentials there), or null.
    /// </summary>
    public string? GetSecret(params ReadOnlySpan<string> keys) => Find(keys, includeSecrets: true)?.Value;

    /// <summary>Reads a boolean (true/false, yes/no, on/off, 1/0).</summary>
    public bool GetBool(bool defaultValue, params ReadOnlySpan<string> keys)
    {
        if (Find(keys, includeSecrets: false) is not { } found)
        {
            return defaultValue;
        }

        switch (found.Value.Trim().ToLowerInvariant())
        {
            case "true" or "yes" or "on" or "1":
                return true;
            case "false" or "no" or "off" or "0":
                return false;
            default:
                _problems.Add($"{found.Where}.{found.Key}: {Show(found)} is not a boolean (use true or false)");
                return defaultValue;
        }
    }

    /// <summary>Reads a whole number within [min, max].</summary>
    public int GetInt(int defaultValue, int min, int max, params ReadOnlySpan<string> keys)
    {
        if (Find(keys, includeSecrets: false) is not { } found)
        {
            return defaultValue;
        }

        if (!int.TryParse(found.Value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            _problems.Add($"{found.Where}.{found.Key}: {Show(found)} is not a whole number between {min} and {max}");
            return defaultValue;
        }

        return value;
    }

    /// <summary>Reads a duration: "30s", "500ms", "2m", "1h" or a plain number of seconds; must be positive.</summary>
    public TimeSpan GetDuration(TimeSpan defaultValue, params ReadOnlySpan<string> keys)
    {
        if (Find(keys, includeSecrets: false) is not { } found)
        {
            return defaultValue;
        }

        if (TryParseDuration(found.Value, out var value) && value > TimeSpan.Zero)
        {
            return value;
        }

        _problems.Add($"{found.Where}.{found.Key}: {Show(found)} is not a positive duration (examples: 30s, 500ms, 2m, or a number of seconds)");
        return defaultValue;
    }

    /// <summary>Parses "30s", "500ms", "2m", "1h" or a plain number of seconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        var span = text.AsSpan().Trim();
        double scale = 1000;
        if (span.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            scale = 1;
            span = span[..^2];
        }
        else if (span.EndsWith("s", StringComparison.OrdinalIgnoreCase))
        {
            span = span[..^1];
        }
        else if (span.EndsWith("m", StringComparison.OrdinalIgnoreCase))
        {
            scale = 60_000;
            span = span[..^1];
        }
        else if (span.EndsWith("h", StringComparison.OrdinalIgnoreCase))
        {
            scale = 3_600_000;
            span = span[..^1];
        }

        if (double.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) && number * scale < int.MaxValue)
        {
            value = TimeSpan.FromMilliseconds(number * scale);
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Throws one <see cref="UfsException"/> (InvalidConfiguration) listing every problem, if there are any.</summary>
    public void ThrowIfProblems(string mountLabel)
    {
        if (_problems.Count > 0)
        {
            throw new UfsException(UfsErrorKind.InvalidConfiguration, mountLabel, string.Empty, "configure", string.Join("; ", _problems));
        }
    }

    private static string Show(FoundOption found) =>
        found.Where == "secretOptions" || SecretRedactor.IsSensitiveKey(found.Key) ? "the value" : $"'{found.Value}'";

    private FoundOption? Find(ReadOnlySpan<string> keys, bool includeSecrets)
    {
        foreach (var key in keys)
        {
            if (includeSecrets && _mount.SecretOptions.TryGetValue(key, out var secret))
            {
                return new FoundOption(key, secret, "secretOptions");
            }

            if (_mount.Options.TryGetValue(key, out var plain))
            {
                return new FoundOption(key, plain, "options");
            }

            if (!includeSecrets && _mount.SecretOptions.TryGetValue(key, out secret))
            {
                return new FoundOption(key, secret, "secretOptions");
            }
        }

        return null;
    }

    private sealed record FoundOption(string Key, string Value, string Where);
}
