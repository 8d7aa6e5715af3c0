namespace Fluid.Storage.Mounts;

/// <summary>
/// Keeps credentials out of messages: recognises sensitive option keys, strips user:password from
/// URIs and replaces every known secret value in a text with a mask.
/// </summary>
public sealed class SecretRedactor
{
    /// <summary>What a redacted value is replaced with.</summary>
    public const string Mask = "***";

    // Fragments of normalised option keys (lower case, no '.', '-' or '_') that hold credentials.
    private static readonly string[] SensitiveFragments =
        ["secret", "password", "passwd", "token", "accesskey", "credential", "authorization", "apikey", "privatekey", "cookie"];

    private readonly string[] _secrets;

    /// <summary>Creates a redactor for the given secret values (empty and very short values are ignored).</summary>
    public SecretRedactor(IEnumerable<string?> secrets)
    {
        // Longest first so a secret that contains another is masked whole.
        _secrets = secrets
            .Where(s => !string.IsNullOrEmpty(s) && s.Length >= 3)
            .Select(s => s!)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(s => s.Length)
            .ToArray();
    }

    /// <summary>A redactor that knows no secrets (still masks URI user info).</summary>
    public static SecretRedactor None { get; } = new([]);

    /// <summary>Builds a redactor from every secret option value and every plain option whose key looks sensitive.</summary>
    public static SecretRedactor ForMount(UfsMount mount, IEnumerable<string?>? extraSecrets = null)
    {
        var values = new List<string?>();
        foreach (var (_, value) in mount.SecretOptions)
        {
            values.Add(value);
        }

        foreach (var (key, value) in mount.Options)
        {
            if (IsSensitiveKey(key))
            {
                values.Add(value);
            }
        }

        if (extraSecrets is not null)
        {
            values.AddRange(extraSecrets);
        }

        return new SecretRedactor(values);
    }

    /// <summary>True when an option key names a credential (access keys, secrets, passwords, tokens, auth headers).</summary>
    public static bool IsSensitiveKey(string key)
    {
        Span<char> normalised = stackalloc char[Math.Min(key.Length, 256)];
        var length = 0;
        foreach (var c in key.AsSpan(0, normalised.Length))
        {
            if (c is not ('.' or '-' or '_'))
            {
                normalised[length++] = char.ToLowerInvariant(c);
            }
        }

        var text = normalised[..length];
        foreach (var fragment in SensitiveFragments)
        {
            if (text.Contains(fragment, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes the user:password part of a URI-like string ("https://u:p@host/x" → "https://***@host/x").</summary>
    public static string RedactUri(string uri)
    {
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return uri;
        }

        var authorityStart = schemeEnd + 3;
        var authorityEnd = uri.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0)
        {
            authorityEnd = uri.Length;
        }

        var at = uri.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart);
        return at < 0 ? uri : string.Concat(uri.AsSpan(0, authorityStart), Mask, uri.AsSpan(at));
    }

    /// <summary>Replaces every known secret in <paramref name="text"/> with <see cref="Mask"/>.</summary>
    public string Scrub(string text)
    {
        foreach (var secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>True when <paramref name="text"/> contains a known secret.</summary>
    public bool Contains(string text)
    {
        foreach (var secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Returns <paramref name="inner"/> when no secret appears anywhere in it (messages, data, inner
    /// exceptions), otherwise null, so an exception chain can never carry a credential.
    /// </summary>
    public Exception? SafeInner(Exception? inner)
    {
        if (inner is null || _secrets.Length == 0)
        {
            return inner;
        }

        return Contains(inner.ToString()) ? null : inner;
    }
}
