using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Fluid.Cache.Cluster.Security;

/// <summary>
/// A runtime's shared secret. It never travels and is never printed: requests carry a credential
/// derived from it and the dataset's identity (HMAC-SHA256), so a credential for one dataset opens
/// nothing of another, even if two runtimes were given the same secret.
/// </summary>
public sealed class ClusterToken
{
    /// <summary>The environment variable read when no token file is given.</summary>
    public const string EnvironmentVariable = "FLUID_TOKEN";

    /// <summary>Fewest bytes a secret may have.</summary>
    public const int MinimumLength = 16;

    private const string Purpose = "fluid-cache-cluster/v1\n";
    private readonly byte[] _secret;

    private ClusterToken(byte[] secret)
    {
        _secret = secret;
    }

    /// <summary>Creates a token from the secret's text (surrounding whitespace, such as a file's final newline, is ignored).</summary>
    /// <exception cref="ArgumentException">The secret is shorter than <see cref="MinimumLength"/> bytes.</exception>
    public static ClusterToken FromSecret(string secret, string origin = "token")
    {
        ArgumentNullException.ThrowIfNull(secret);
        var bytes = Encoding.UTF8.GetBytes(secret.Trim());
        if (bytes.Length < MinimumLength)
        {
            throw new ArgumentException($"{origin}: the token has {bytes.Length} bytes; at least {MinimumLength} are required", nameof(secret));
        }

        return new ClusterToken(bytes);
    }

    /// <summary>Reads the token from a file (a Kubernetes secret volume, or a file <c>fluid up</c> wrote).</summary>
    public static ClusterToken FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"token file {path}: {ex.Message}", nameof(path), ex);
        }

        return FromSecret(text, $"token file {path}");
    }

    /// <summary>Reads the token from an environment variable; null when it is unset or empty.</summary>
    public static ClusterToken? FromEnvironment(string variable = EnvironmentVariable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? FromSecret(value, $"environment variable {variable}") : null;

    /// <summary>A new random secret (32 bytes, base64url) for a runtime.</summary>
    public static string GenerateSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The credential requests for <paramref name="dataset"/> carry: HMAC-SHA256 keyed with the secret
    /// over <c>"fluid-cache-cluster/v1\n" + dataset</c> (32 bytes).
    /// </summary>
    public byte[] DeriveCredential(string dataset)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataset);
        return HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(Purpose + dataset));
    }

    /// <summary>The credential as an HTTP <c>Authorization</c> header value (<c>Bearer</c> + base64url).</summary>
    public string AuthorizationHeader(string dataset) => "Bearer " + Base64Url.EncodeToString(DeriveCredential(dataset));

    public override string ToString() => "ClusterToken(***)";
}
