using Fluid.Storage.Http;
using Fluid.Storage.Local;
using Fluid.Storage.Resilience;
using Fluid.Storage.S3;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Storage.Mounts;

/// <summary>Creates the under file system for one mount scheme.</summary>
public interface IUfsFactory
{
    /// <summary>
    /// Validates <paramref name="mount"/> (throwing <see cref="UfsException"/> with
    /// <see cref="UfsErrorKind.InvalidConfiguration"/> listing every problem) and creates its file system.
    /// </summary>
    IUnderFileSystem Create(UfsMount mount, UfsRegistryOptions options);
}

/// <summary>Settings shared by every mount a registry creates.</summary>
public sealed record UfsRegistryOptions
{
    /// <summary>The directory under which <c>pvc://claim/sub</c> resolves to <c>{PvcRoot}/claim/sub</c>.</summary>
    /// <remarks>Defaults to the <c>FLUID_PVC_ROOT</c> environment variable, else <see cref="DefaultPvcRoot"/>.</remarks>
    public string PvcRoot { get; init; } = Environment.GetEnvironmentVariable("FLUID_PVC_ROOT") is { Length: > 0 } root ? root : DefaultPvcRoot;

    /// <summary>Where claims are mounted when nothing else is configured.</summary>
    public const string DefaultPvcRoot = "/runtime-mnt/pvc";

    /// <summary>Where connectors log (retries, skipped entries); never receives credentials.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Timeout and retry defaults; a mount's <c>timeout</c>/<c>retries</c> options override them.</summary>
    public UfsCallPolicy DefaultPolicy { get; init; } = UfsCallPolicy.Default;
}

/// <summary>
/// Maps mount point schemes (<c>local</c>, <c>pvc</c>, <c>s3</c>, <c>http</c>, <c>https</c>) to the
/// factories that create their under file systems. Thread-safe for lookups once built.
/// </summary>
public sealed class UfsRegistry
{
    private readonly Dictionary<string, IUfsFactory> _factories = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates an empty registry; see <see cref="CreateDefault"/> for the built-in schemes.</summary>
    public UfsRegistry(UfsRegistryOptions? options = null)
    {
        Options = options ?? new UfsRegistryOptions();
    }

    /// <summary>The settings handed to every factory.</summary>
    public UfsRegistryOptions Options { get; }

    /// <summary>The registered schemes, sorted.</summary>
    public IReadOnlyList<string> Schemes => [.. _factories.Keys.Order(StringComparer.Ordinal)];

    /// <summary>A registry with the built-in schemes: local, pvc, s3, http, https.</summary>
    public static UfsRegistry CreateDefault(UfsRegistryOptions? options = null)
    {
        var registry = new UfsRegistry(options);
        registry.Register("local", new LocalUfsFactory(isPvc: false));
        registry.Register("pvc", new LocalUfsFactory(isPvc: true));
        registry.Register("s3", new S3UfsFactory());
        var http = new HttpUfsFactory();
        registry.Register("http", http);
        registry.Register("https", http);
        return registry;
    }

    /// <summary>Adds or replaces the factory for <paramref name="scheme"/> (without "://").</summary>
    public void Register(string scheme, IUfsFactory factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scheme);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[scheme] = factory;
    }

    /// <summary>Creates the under file system of <paramref name="mount"/>.</summary>
    /// <exception cref="UfsException">InvalidConfiguration: no name, a malformed mount point, an unknown scheme or bad options.</exception>
    public IUnderFileSystem Create(UfsMount mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        var label = MountLabel(mount);
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(mount.Name))
        {
            problems.Add("name: a mount needs a name");
        }

        if (mount.Options is null || mount.SecretOptions is null)
        {
            problems.Add("options: must not be null (use an empty dictionary)");
        }

        IUfsFactory? factory = null;
        if (string.IsNullOrWhiteSpace(mount.MountPoint))
        {
            problems.Add("mountPoint: is empty (expected scheme://..., one of " + string.Join(", ", Schemes) + ")");
        }
        else if (!MountPoint.TrySplitScheme(mount.MountPoint, out var scheme, out _))
        {
            problems.Add($"mountPoint: '{mount.SafeMountPoint}' has no scheme (expected scheme://..., one of {string.Join(", ", Schemes)})");
        }
        else if (!_factories.TryGetValue(scheme, out factory))
        {
            problems.Add($"mountPoint: unknown scheme '{scheme}' in '{mount.SafeMountPoint}' (supported: {string.Join(", ", Schemes)})");
        }

        if (problems.Count > 0)
        {
            throw new UfsException(UfsErrorKind.InvalidConfiguration, label, string.Empty, "configure", string.Join("; ", problems));
        }

        var ufs = factory!.Create(mount, Options);
        StorageLog.Created(Options.LoggerFactory.CreateLogger<UfsRegistry>(), ufs.DisplayName, mount.MountPoint.AsSpan(0, mount.MountPoint.IndexOf(':', StringComparison.Ordinal)).ToString());
        return ufs;
    }

    /// <summary>How errors and logs name a mount: <c>mount "name" (safe mount point)</c>.</summary>
    public static string MountLabel(UfsMount mount) => $"mount \"{mount.Name}\" ({mount.SafeMountPoint})";
}
