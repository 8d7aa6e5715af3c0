using System.Text.RegularExpressions;

namespace Fluid.Api.Validation;

/// <summary>The sources this build can read, and the checks on a mount point's URI.</summary>
public static partial class MountPoints
{
    /// <summary>Schemes this build can mount.</summary>
    public static readonly IReadOnlyList<string> SupportedSchemes = ["s3", "http", "https", "pvc", "local"];

    internal const string SupportedList = "use s3://, http(s)://, pvc://, local://";

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex S3Bucket();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*$")]
    private static partial Regex SchemeName();

    /// <summary>The scheme of a mount point (lower case), or null when it has none.</summary>
    public static string? SchemeOf(string mountPoint)
    {
        var at = mountPoint.IndexOf("://", StringComparison.Ordinal);
        return at > 0 ? mountPoint[..at].ToLowerInvariant() : null;
    }

    /// <summary>The mount point with any user:password@ part hidden, so it can be printed.</summary>
    public static string Redact(string mountPoint)
    {
        var at = mountPoint.IndexOf("://", StringComparison.Ordinal);
        if (at < 0)
        {
            return mountPoint;
        }

        var authorityStart = at + 3;
        var authorityEnd = mountPoint.IndexOf('/', authorityStart);
        var authority = authorityEnd < 0 ? mountPoint[authorityStart..] : mountPoint[authorityStart..authorityEnd];
        var userInfoEnd = authority.LastIndexOf('@');
        return userInfoEnd < 0
            ? mountPoint
            : mountPoint[..authorityStart] + "***@" + mountPoint[(authorityStart + userInfoEnd + 1)..];
    }

    /// <summary>Returns what is wrong with a mount point, or null when this build can mount it.</summary>
    public static string? Check(string mountPoint)
    {
        var shown = Redact(mountPoint);
        if (mountPoint.Any(char.IsControl) || mountPoint.Trim() != mountPoint)
        {
            return $"\"{shown}\" contains control characters or surrounding spaces";
        }

        var at = mountPoint.IndexOf("://", StringComparison.Ordinal);
        if (at < 0)
        {
            return $"\"{shown}\" has no scheme ({SupportedList})";
        }

        var schemeText = mountPoint[..at];
        if (!SchemeName().IsMatch(schemeText))
        {
            return $"\"{shown}\" is not a valid URI: bad scheme \"{schemeText}\"";
        }

        var scheme = schemeText.ToLowerInvariant();
        var rest = mountPoint[(at + 3)..];
        switch (scheme)
        {
            case "s3":
                var bucket = rest.Split('/')[0];
                if (bucket.Length == 0)
                {
                    return $"\"{shown}\" has no bucket (write s3://bucket/prefix)";
                }

                if (!S3Bucket().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
                {
                    return $"bucket \"{bucket}\" is not a valid S3 bucket name (3-63 lower-case letters, digits, '.' and '-')";
                }

                return CheckDotDot(shown, rest);
            case "http" or "https":
                if (!Uri.TryCreate(mountPoint, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) ||
                    rest.StartsWith('/'))
                {
                    return $"\"{shown}\" is not a valid URL (write {scheme}://host/path)";
                }

                if (!string.IsNullOrEmpty(uri.UserInfo))
                {
                    return $"\"{shown}\" must not carry credentials in the URL (use encryptOptions with a secretKeyRef)";
                }

                return CheckDotDot(shown, uri.AbsolutePath);
            case "pvc":
                var claim = rest.Split('/')[0];
                if (claim.Length == 0)
                {
                    return $"\"{shown}\" has no claim name (write pvc://claim/subpath)";
                }

                if (!Names.IsDns1123Subdomain(claim))
                {
                    return $"claim \"{claim}\" is not {Names.Dns1123SubdomainRule}";
                }

                return CheckDotDot(shown, rest);
            case "local":
                if (!rest.StartsWith('/'))
                {
                    return $"\"{shown}\" must name an absolute path (write local:///{rest})";
                }

                return CheckDotDot(shown, rest);
            default:
                return $"scheme \"{scheme}\" is not supported ({SupportedList})";
        }
    }

    private static string? CheckDotDot(string shown, string path) =>
        Paths.HasDotDot(path) ? $"\"{shown}\" must not contain \"..\"" : null;
}
