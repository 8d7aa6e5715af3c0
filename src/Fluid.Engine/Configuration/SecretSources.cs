using System.Text;
using System.Text.Json;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;

namespace Fluid.Engine.Configuration;

/// <summary>The outcome of looking up one key of a secret: its value, nothing, or why the secret is unusable.</summary>
public readonly record struct SecretLookup(bool Found, string? Value, string? Problem)
{
    public static SecretLookup Missing { get; } = new(false, null, null);

    public static SecretLookup Of(string value) => new(true, value, null);

    public static SecretLookup Broken(string problem) => new(false, null, problem);
}

/// <summary>Where <c>encryptOptions[].valueFrom.secretKeyRef</c> values come from; values are never printed or logged.</summary>
public interface ISecretSource
{
    /// <summary>Where the source looks, for error messages (e.g. <c>Secrets in the manifest files</c>).</summary>
    string Description { get; }

    SecretLookup Find(string ns, string secret, string key);
}

/// <summary>Secrets of kind <c>v1/Secret</c> given in the same manifest files (<c>data</c> in base64, or <c>stringData</c>).</summary>
public sealed class ManifestSecretSource : ISecretSource
{
    private readonly Dictionary<(string Ns, string Name), Dictionary<string, SecretLookup>> _secrets = [];

    public ManifestSecretSource(ManifestSet manifests)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        foreach (var obj in manifests.Unstructured)
        {
            if (obj.Kind != "Secret" || obj.ApiVersion != "v1" || obj.Metadata?.Name is not { Length: > 0 } name)
            {
                continue;
            }

            var keys = new Dictionary<string, SecretLookup>(StringComparer.Ordinal);
            using var document = JsonDocument.Parse(obj.ToJson());
            if (document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in data.EnumerateObject())
                {
                    keys[property.Name] = Decode(name, property);
                }
            }

            // As the API server does: stringData is merged over data.
            if (document.RootElement.TryGetProperty("stringData", out var stringData) && stringData.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in stringData.EnumerateObject())
                {
                    keys[property.Name] = property.Value.ValueKind == JsonValueKind.String
                        ? SecretLookup.Of(property.Value.GetString()!)
                        : SecretLookup.Broken($"Secret \"{name}\": stringData[{property.Name}]: must be a string");
                }
            }

            _secrets[(obj.NamespaceOrDefault(), name)] = keys;
        }
    }

    public string Description => "the Secrets in the manifest files";

    public SecretLookup Find(string ns, string secret, string key) =>
        _secrets.TryGetValue((ns, secret), out var keys) && keys.TryGetValue(key, out var value) ? value : SecretLookup.Missing;

    private static SecretLookup Decode(string secret, JsonProperty property)
    {
        if (property.Value.ValueKind != JsonValueKind.String)
        {
            return SecretLookup.Broken($"Secret \"{secret}\": data[{property.Name}]: must be a base64 string");
        }

        var text = property.Value.GetString()!;
        var bytes = new byte[(text.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(text, bytes, out var written))
        {
            // The value is never shown: it is a credential.
            return SecretLookup.Broken($"Secret \"{secret}\": data[{property.Name}]: is not valid base64 (use stringData for plain text)");
        }

        try
        {
            return SecretLookup.Of(new UTF8Encoding(false, true).GetString(bytes, 0, written));
        }
        catch (DecoderFallbackException)
        {
            return SecretLookup.Broken($"Secret \"{secret}\": data[{property.Name}]: does not decode to UTF-8 text");
        }
    }
}

/// <summary>
/// Secrets laid out as Kubernetes mounts them: <c>DIR/&lt;secret&gt;/&lt;key&gt;</c> holds the value
/// (the pods mount them under /etc/fluid/secrets). Trailing line breaks are dropped, since a file
/// written with <c>echo</c> ends in one and no credential does.
/// </summary>
public sealed class DirectorySecretSource : ISecretSource
{
    /// <summary>Where the engine's pods mount the secrets of a dataset.</summary>
    public const string PodSecretsDirectory = "/etc/fluid/secrets";

    private readonly string _root;

    public DirectorySecretSource(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
    }

    public string Description => $"the secrets directory {_root}";

    public SecretLookup Find(string ns, string secret, string key)
    {
        if (!IsPlainName(secret) || !IsPlainName(key))
        {
            return SecretLookup.Missing; // a name that could leave the directory is never a file there
        }

        var path = Path.Combine(_root, secret, key);
        try
        {
            if (!File.Exists(path))
            {
                return SecretLookup.Missing;
            }

            return SecretLookup.Of(File.ReadAllText(path).TrimEnd('\r', '\n'));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return SecretLookup.Broken($"cannot read secret \"{secret}\" key \"{key}\" in {_root}: {ex.GetType().Name}");
        }
    }

    private static bool IsPlainName(string name) =>
        name.Length > 0 && name is not "." and not ".." && !name.Contains('/', StringComparison.Ordinal) && !name.Contains('\0', StringComparison.Ordinal);
}

/// <summary>Tries several sources in order (the manifest's Secrets first, then a secrets directory).</summary>
public sealed class CompositeSecretSource(IReadOnlyList<ISecretSource> sources) : ISecretSource
{
    public string Description => sources.Count == 0 ? "no secret source" : string.Join(" or ", sources.Select(s => s.Description));

    public SecretLookup Find(string ns, string secret, string key)
    {
        string? problem = null;
        foreach (var source in sources)
        {
            var found = source.Find(ns, secret, key);
            if (found.Found)
            {
                return found;
            }

            problem ??= found.Problem;
        }

        return problem is null ? SecretLookup.Missing : SecretLookup.Broken(problem);
    }
}
