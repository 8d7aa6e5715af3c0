using Fluid.Operator.Naming;

namespace Fluid.Operator.Engines.FluidCache;

/// <summary>
/// The command lines the runtime pods run. The image's entrypoint is the <c>fluid</c> binary, so these are the
/// container <c>args</c>; docs/operator.md lists the same flags for the worker, FUSE and load commands.
/// </summary>
public static class ContainerContract
{
    /// <summary>The manifest path given to every command.</summary>
    public const string ConfigPath = RuntimeNames.ConfigDirectory + "/" + RuntimeNames.ConfigFile;

    /// <summary>The token file given to every command.</summary>
    public const string TokenPath = RuntimeNames.TokenDirectory + "/" + RuntimeNames.TokenKey;

    /// <summary>The uid and gid the worker runs as when the runtime's runAs does not say.</summary>
    public const long DefaultUser = 65532;

    /// <summary>Worker readiness path on the HTTP port: 200 once it serves pages.</summary>
    public const string ReadyPath = "/readyz";

    /// <summary>Worker liveness path on the HTTP port.</summary>
    public const string HealthPath = "/healthz";

    /// <summary>Worker figures on the HTTP port (bearer token), read by the controller.</summary>
    public const string SummaryPath = "/summary";

    /// <summary><c>fluid worker ...</c>.</summary>
    public static List<string> Worker(IEnumerable<string>? extra) =>
    [
        "worker",
        "--config", ConfigPath,
        "--token-file", TokenPath,
        "--listen", $"0.0.0.0:{RuntimeNames.DataPort}",
        "--http", $"0.0.0.0:{RuntimeNames.HttpPort}",
        "--totals", "first-replica", // one listing of the source per start, not one per worker
        .. extra ?? [],
    ];

    /// <summary><c>fluid fuse ...</c>.</summary>
    public static List<string> Fuse(RuntimeNames names, IEnumerable<string>? extra)
    {
        ArgumentNullException.ThrowIfNull(names);
        return
        [
            "fuse",
            "--config", ConfigPath,
            "--token-file", TokenPath,
            "--mount-point", names.FuseMountPoint,
            "--membership", names.Membership,
            .. extra ?? [],
        ];
    }

    /// <summary><c>fluid load NAME [paths...] ...</c>; <c>--replicas</c> when more than one copy; options are passed sorted by key as <c>--option key=value</c>.</summary>
    public static List<string> Load(RuntimeNames names, IEnumerable<string> paths, int replicas, bool loadMetadata, IEnumerable<KeyValuePair<string, string>>? options)
    {
        ArgumentNullException.ThrowIfNull(names);
        var args = new List<string> { "load", names.Name };
        args.AddRange(paths);
        args.AddRange(["--config", ConfigPath, "--token-file", TokenPath, "--membership", names.Membership]);
        if (replicas > 1)
        {
            args.AddRange(["--replicas", replicas.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (loadMetadata)
        {
            args.Add("--load-metadata");
        }

        foreach (var (key, value) in (options ?? []).OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            args.AddRange(["--option", $"{key}={value}"]);
        }

        return args;
    }
}
