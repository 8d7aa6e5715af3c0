using System.Text;

namespace Fluid.Storage.Mounts;

/// <summary>
/// One mount of a dataset as the storage layer needs it: a name, a mount point URI
/// (<c>local:///data</c>, <c>pvc://claim/sub</c>, <c>s3://bucket/prefix</c>, <c>https://host/dir/</c>),
/// plain options and secret options whose values the caller has already resolved
/// (Kubernetes secrets, local files). <see cref="ToString"/> never prints a secret value.
/// </summary>
/// <param name="Name">The mount's name (Fluid's <c>mounts[].name</c>).</param>
/// <param name="MountPoint">The mount point URI (Fluid's <c>mounts[].mountPoint</c>).</param>
/// <param name="Options">Plain options (Fluid's <c>mounts[].options</c>).</param>
/// <param name="SecretOptions">Resolved secret options (Fluid's <c>mounts[].encryptOptions</c>).</param>
public sealed record UfsMount(
    string Name,
    string MountPoint,
    IReadOnlyDictionary<string, string> Options,
    IReadOnlyDictionary<string, string> SecretOptions)
{
    private static readonly IReadOnlyDictionary<string, string> EmptyOptions = new Dictionary<string, string>();

    /// <summary>A mount without options.</summary>
    public UfsMount(string name, string mountPoint)
        : this(name, mountPoint, EmptyOptions, EmptyOptions)
    {
    }

    /// <summary>A mount with plain options only.</summary>
    public UfsMount(string name, string mountPoint, IReadOnlyDictionary<string, string> options)
        : this(name, mountPoint, options, EmptyOptions)
    {
    }

    /// <summary>The mount point with any user:password part removed, safe to show.</summary>
    public string SafeMountPoint => SecretRedactor.RedactUri(MountPoint);

    /// <summary>Prints the name, the safe mount point, plain option values unless their key looks sensitive, and secret option keys only.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("UfsMount { Name = ").Append(Name).Append(", MountPoint = ").Append(SafeMountPoint);
        text.Append(", Options = {");
        AppendOptions(text, Options, redactAll: false);
        text.Append(" }, SecretOptions = {");
        AppendOptions(text, SecretOptions, redactAll: true);
        text.Append(" } }");
        return text.ToString();
    }

    private static void AppendOptions(StringBuilder text, IReadOnlyDictionary<string, string>? options, bool redactAll)
    {
        if (options is null)
        {
            return;
        }

        var first = true;
        foreach (var key in options.Keys.Order(StringComparer.Ordinal))
        {
            text.Append(first ? " " : ", ").Append(key).Append(" = ");
            text.Append(redactAll || SecretRedactor.IsSensitiveKey(key) ? SecretRedactor.Mask : options[key]);
            first = false;
        }
    }
}
