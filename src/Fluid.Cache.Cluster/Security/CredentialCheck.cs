using System.Buffers.Text;
using System.Security.Cryptography;

namespace Fluid.Cache.Cluster.Security;

/// <summary>Why a request was refused.</summary>
public enum AuthFailure
{
    None,
    Missing,
    Wrong,
}

/// <summary>
/// Checks presented credentials against the one a worker expects, in constant time: both sides are
/// hashed to 32 bytes first, so neither the length nor the content of the expected value leaks.
/// </summary>
internal sealed class CredentialCheck
{
    private readonly byte[] _expectedHash;

    public CredentialCheck(ReadOnlySpan<byte> expectedCredential)
    {
        _expectedHash = SHA256.HashData(expectedCredential);
    }

    /// <summary>Checks a credential; all zeros or empty counts as missing.</summary>
    public AuthFailure Check(ReadOnlySpan<byte> presented)
    {
        if (presented.IsEmpty || !presented.ContainsAnyExcept((byte)0))
        {
            return AuthFailure.Missing;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(presented, hash);
        return CryptographicOperations.FixedTimeEquals(hash, _expectedHash) ? AuthFailure.None : AuthFailure.Wrong;
    }

    /// <summary>Checks an HTTP <c>Authorization</c> header value (<c>Bearer &lt;base64url&gt;</c>).</summary>
    public AuthFailure CheckHeader(string? header)
    {
        const string Scheme = "Bearer ";
        if (string.IsNullOrEmpty(header))
        {
            return AuthFailure.Missing;
        }

        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return AuthFailure.Wrong;
        }

        Span<byte> presented = stackalloc byte[64];
        int written;
        try
        {
            if (!Base64Url.TryDecodeFromChars(header.AsSpan(Scheme.Length).Trim(), presented, out written))
            {
                return AuthFailure.Wrong;
            }
        }
        catch (FormatException)
        {
            return AuthFailure.Wrong;
        }

        // A header that is present but decodes to nothing usable is a wrong credential, not a missing one.
        var result = Check(presented[..written]);
        return result == AuthFailure.Missing ? AuthFailure.Wrong : result;
    }
}
