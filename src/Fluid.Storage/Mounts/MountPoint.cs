namespace Fluid.Storage.Mounts;

/// <summary>Splits mount point URIs without <see cref="Uri"/>'s silent normalisation (which would resolve "..").</summary>
public static class MountPoint
{
    /// <summary>Splits "scheme://rest"; the scheme is lower-cased.</summary>
    public static bool TrySplitScheme(string mountPoint, out string scheme, out string rest)
    {
        var separator = mountPoint.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0 || !IsScheme(mountPoint.AsSpan(0, separator)))
        {
            scheme = rest = string.Empty;
            return false;
        }

        scheme = mountPoint[..separator].ToLowerInvariant();
        rest = mountPoint[(separator + 3)..];
        return true;
    }

    /// <summary>
    /// Checks a root path inside a mount point ("bucket/prefix" part or a local directory) segment by
    /// segment: no "." or ".." segments, no NUL. Empty segments (double slashes) are tolerated and dropped.
    /// </summary>
    /// <returns>The segments joined with '/', without leading or trailing slash; null when invalid.</returns>
    public static string? NormalizeRoot(string path)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var segment in segments)
        {
            if (segment is "." or "..")
            {
                return null;
            }
        }

        return string.Join('/', segments);
    }

    private static bool IsScheme(ReadOnlySpan<char> text)
    {
        if (!char.IsAsciiLetter(text[0]))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
