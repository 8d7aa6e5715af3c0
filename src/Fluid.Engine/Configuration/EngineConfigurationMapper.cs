using System.Globalization;
using System.Text;
using Fluid.Api.Datasets;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Api.Runtimes;
using Fluid.Cache;
using Fluid.Engine.Control;
using Fluid.Engine.Namespace;
using Fluid.Storage.Mounts;
using Fluid.Storage.Resilience;
using ApiMedium = Fluid.Api.Runtimes.MediumType;
using CacheMedium = Fluid.Cache.MediumType;

namespace Fluid.Engine.Configuration;

/// <summary>
/// Maps a Dataset and its FluidCacheRuntime (as <see cref="ManifestReader"/> reads them) to the cache's
/// options and the list of under file system mounts, with Fluid's semantics for mount names and paths,
/// shared options, secrets and tiered storage. Every problem is reported at once, naming its field.
/// </summary>
public static class EngineConfigurationMapper
{
    /// <summary>Picks the Dataset (by <paramref name="datasetId"/>, or the only one), its runtime and secrets from manifests, and maps them.</summary>
    /// <param name="manifests">The manifest files, read and checked.</param>
    /// <param name="datasetId">"name" or "namespace/name"; needed when the files hold several Datasets.</param>
    /// <param name="secretsDirectory">A directory laid out like mounted Kubernetes secrets (DIR/secret/key), tried after the manifests' Secrets.</param>
    /// <param name="memAvailable">Available memory for the default MEM tier; null reads /proc/meminfo.</param>
    public static EngineConfiguration FromManifests(ManifestSet manifests, string? datasetId = null, string? secretsDirectory = null, long? memAvailable = null)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        var errors = manifests.Errors.Select(p => p.ToString()).ToList();
        if (errors.Count > 0)
        {
            throw new ConfigurationException(errors);
        }

        var datasets = manifests.Datasets.ToList();
        Dataset dataset;
        if (datasets.Count == 0)
        {
            throw new ConfigurationException(["no Dataset in the manifest files (expected kind: Dataset, apiVersion: data.fluid.io/v1alpha1)"]);
        }

        var names = string.Join(", ", datasets.Select(d => DatasetId.Format(d.NamespaceOrDefault(), d.Metadata?.Name ?? "?")));
        if (!string.IsNullOrEmpty(datasetId))
        {
            var (ns, name) = DatasetId.Parse(datasetId);
            dataset = datasets.FirstOrDefault(d => d.Metadata?.Name == name && (!datasetId.Contains('/', StringComparison.Ordinal) || d.NamespaceOrDefault() == ns))
                ?? throw new ConfigurationException([$"--name: no Dataset \"{datasetId}\" in the manifest files (found: {names})"]);
        }
        else if (datasets.Count > 1)
        {
            throw new ConfigurationException([$"the manifest files hold {datasets.Count} Datasets ({names}); choose one with --name"]);
        }
        else
        {
            dataset = datasets[0];
        }

        var sources = new List<ISecretSource> { new ManifestSecretSource(manifests) };
        if (!string.IsNullOrEmpty(secretsDirectory))
        {
            sources.Add(new DirectorySecretSource(secretsDirectory));
        }

        return Map(dataset, manifests.FindRuntime(dataset), new CompositeSecretSource(sources), memAvailable);
    }

    /// <summary>Maps one Dataset and its runtime (null: defaults, with a MEM tier sized from free memory).</summary>
    public static EngineConfiguration Map(Dataset dataset, FluidCacheRuntime? runtime, ISecretSource secrets, long? memAvailable = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(secrets);
        var name = dataset.Metadata?.Name;
        var ns = dataset.NamespaceOrDefault();
        var subject = $"Dataset/{name}";
        var problems = new List<string>();
        var notes = new List<string>();
        if (string.IsNullOrEmpty(name))
        {
            throw new ConfigurationException(["Dataset: metadata.name: is required"]);
        }

        var spec = runtime?.Spec ?? new FluidCacheRuntimeSpec();
        var runtimeSubject = $"{FluidCacheRuntime.KindName}/{name}";
        var policy = UfsCallPolicy.Default with
        {
            Timeout = spec.EffectiveSourceTimeout().Value,
            Retries = spec.EffectiveSourceRetries(),
        };
        if (policy.Timeout <= TimeSpan.Zero)
        {
            problems.Add($"{runtimeSubject}: spec.source.timeout: must be greater than 0 (got {spec.EffectiveSourceTimeout()})");
        }

        if (policy.Retries is < 0 or > 20)
        {
            problems.Add($"{runtimeSubject}: spec.source.retries: must be between 0 and 20 (got {policy.Retries})");
        }

        var mounts = MapMounts(dataset, subject, secrets, problems);
        var pageSize = MapPageSize(spec, runtimeSubject, problems);
        var tiers = runtime is null
            ? DefaultTiers(name, pageSize, memAvailable, notes)
            : MapTiers(spec, ns, name, runtimeSubject, pageSize, problems, notes);
        if (spec.EffectiveReplicas() > 1)
        {
            notes.Add($"{runtimeSubject}: spec.replicas: {spec.EffectiveReplicas()} applies on Kubernetes; standalone runs one cache in this process");
        }

        var ttl = spec.EffectiveMetadataTtl().Value;
        if (ttl < TimeSpan.Zero)
        {
            problems.Add($"{runtimeSubject}: spec.metadataTTL: must not be negative (got {spec.EffectiveMetadataTtl()})");
        }

        var bound = mounts.Count == 0 ? SourceBound(policy) : mounts.Max(m => SourceBound(UfsCallPolicy.FromOptions(new MountOptionReader(m.Source), policy)));
        var cache = new CacheOptions
        {
            Name = DatasetId.Format(ns, name),
            PageSize = pageSize,
            Tiers = tiers,
            MetadataTtl = ttl < TimeSpan.Zero ? TimeSpan.Zero : ttl,
            SourceTimeout = bound > TimeSpan.Zero ? bound : TimeSpan.FromSeconds(1),
        };
        if (problems.Count == 0)
        {
            // A backstop for anything the field checks above did not catch.
            problems.AddRange(cache.Validate().Select(p => $"{runtimeSubject}: {p}"));
        }

        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }

        return new EngineConfiguration
        {
            Name = name,
            Namespace = ns,
            Cache = cache,
            Mounts = mounts,
            SourcePolicy = policy,
            RequestTimeout = cache.SourceTimeout + TimeSpan.FromSeconds(2),
            Notes = notes,
        };
    }

    /// <summary>The longest a source call may take: every attempt timing out, with the largest backoffs in between.</summary>
    public static TimeSpan SourceBound(UfsCallPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var total = policy.Timeout * (policy.Retries + 1);
        for (var retry = 1; retry <= policy.Retries; retry++)
        {
            var ceiling = Math.Min(policy.MaxDelay.TotalMilliseconds, policy.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30)));
            total += TimeSpan.FromMilliseconds(ceiling);
        }

        return total;
    }

    /// <summary>
    /// The name a mount gets when the manifest gives none (Fluid then requires <c>path</c>): the last
    /// segment of its path, or the Dataset's name for path "/", with characters outside
    /// <c>[A-Za-z0-9._-]</c> replaced by '-'.
    /// </summary>
    public static string DeriveMountName(string? path, string datasetName)
    {
        var trimmed = (path ?? string.Empty).TrimEnd('/');
        var last = trimmed.Length == 0 ? datasetName : trimmed[(trimmed.LastIndexOf('/') + 1)..];
        var text = new StringBuilder(last.Length);
        foreach (var c in last)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        }

        var result = text.ToString().Trim('.');
        return result.Length == 0 ? datasetName : result;
    }

    private static List<EngineMount> MapMounts(Dataset dataset, string subject, ISecretSource secrets, List<string> problems)
    {
        var spec = dataset.Spec;
        var datasetName = dataset.Metadata!.Name!;
        var ns = dataset.NamespaceOrDefault();
        var result = new List<EngineMount>();
        if (spec?.Mounts is not { Count: > 0 } mounts)
        {
            problems.Add($"{subject}: spec.mounts: is required (at least one mount, for example mountPoint: s3://bucket/prefix)");
            return result;
        }

        var shared = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in spec.SharedOptions ?? ValueMap<string>.Empty)
        {
            shared[key] = value;
        }

        var sharedSecrets = ResolveSecrets(spec.SharedEncryptOptions, "spec.sharedEncryptOptions", subject, ns, secrets, problems);
        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        var paths = new List<(int Index, string Path)>();
        for (var i = 0; i < mounts.Count; i++)
        {
            var mount = mounts[i];
            var at = $"spec.mounts[{i}]";
            if (string.IsNullOrEmpty(mount.MountPoint))
            {
                problems.Add($"{subject}: {at}.mountPoint: is required");
                continue;
            }

            var mountName = string.IsNullOrEmpty(mount.Name) ? DeriveMountName(mount.Path, datasetName) : mount.Name;
            if (!usedNames.Add(mountName))
            {
                if (!string.IsNullOrEmpty(mount.Name))
                {
                    problems.Add($"{subject}: {at}.name: \"{mountName}\" is used by another mount");
                    continue;
                }

                // A derived name that collides gets the mount's index, so it stays stable across restarts.
                mountName = $"{mountName}-{i}";
                usedNames.Add(mountName);
            }

            var path = string.IsNullOrEmpty(mount.Path) ? "/" + mountName : mount.Path;
            if (DatasetNamespace.NormalizeMountPath(path) is not { } normalized)
            {
                problems.Add($"{subject}: {at}.path: \"{path}\" must be an absolute path without empty, \".\" or \"..\" segments");
                continue;
            }

            foreach (var (other, otherPath) in paths)
            {
                if (DatasetNamespace.Overlaps(normalized, otherPath))
                {
                    problems.Add($"{subject}: {at}.path: \"{normalized}\" overlaps \"{otherPath}\" of spec.mounts[{other}] (mount paths must not nest)");
                }
            }

            paths.Add((i, normalized));
            var options = new Dictionary<string, string>(shared, StringComparer.Ordinal);
            foreach (var (key, value) in mount.Options ?? ValueMap<string>.Empty)
            {
                options[key] = value; // a mount's own options win over sharedOptions, as in Fluid
            }

            var secretOptions = new Dictionary<string, string>(sharedSecrets, StringComparer.Ordinal);
            foreach (var (key, value) in ResolveSecrets(mount.EncryptOptions, $"{at}.encryptOptions", subject, ns, secrets, problems))
            {
                secretOptions[key] = value;
            }

            result.Add(new EngineMount(mountName, normalized, new UfsMount(mountName, mount.MountPoint, options, secretOptions)));
        }

        return result;
    }

    private static Dictionary<string, string> ResolveSecrets(ValueList<EncryptOption>? options, string at, string subject, string ns, ISecretSource secrets, List<string> problems)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < (options?.Count ?? 0); i++)
        {
            var option = options![i];
            var field = $"{at}[{i}]";
            if (string.IsNullOrEmpty(option.Name))
            {
                problems.Add($"{subject}: {field}.name: is required");
                continue;
            }

            if (option.ValueFrom?.SecretKeyRef is not { Name: { Length: > 0 } secret } selector)
            {
                problems.Add($"{subject}: {field}.valueFrom.secretKeyRef.name: is required");
                continue;
            }

            // Kubernetes' SecretKeySelector needs a key; Fluid's samples name it after the option.
            var key = string.IsNullOrEmpty(selector.Key) ? option.Name : selector.Key;
            var found = secrets.Find(ns, secret, key);
            if (found.Found)
            {
                values[option.Name] = found.Value!;
            }
            else
            {
                problems.Add(found.Problem is { } problem
                    ? $"{subject}: {field}.valueFrom.secretKeyRef: {problem}"
                    : $"{subject}: {field}.valueFrom.secretKeyRef: secret \"{secret}\" key \"{key}\" was not found in {secrets.Description}");
            }
        }

        return values;
    }

    private static int MapPageSize(FluidCacheRuntimeSpec spec, string subject, List<string> problems)
    {
        var quantity = spec.EffectivePageSize();
        var bytes = quantity.Value;
        if (bytes < (64 << 10) || bytes > (64 << 20) || (bytes & (bytes - 1)) != 0)
        {
            problems.Add($"{subject}: spec.pageSize: must be a power of two from 64Ki to 64Mi (got {quantity})");
            return CacheOptions.DefaultPageSize;
        }

        return (int)bytes;
    }

    private static List<TierOptions> DefaultTiers(string name, int pageSize, long? memAvailable, List<string> notes)
    {
        var available = memAvailable ?? MemoryDefaults.ReadMemAvailable();
        var quota = MemoryDefaults.QuotaFor(available, pageSize);
        notes.Add($"no {FluidCacheRuntime.KindName} for Dataset/{name}: caching in a MEM tier of {Units.Bytes(quota)} " +
            $"({MemoryDefaults.Fraction * 100:0}% of {(available is { } a ? Units.Bytes(a) : "unknown")} available memory, between {Units.Bytes(MemoryDefaults.Minimum)} and {Units.Bytes(MemoryDefaults.Maximum)})");
        return [new TierOptions { Medium = CacheMedium.Mem, Quota = quota }];
    }

    private static List<TierOptions> MapTiers(FluidCacheRuntimeSpec spec, string ns, string name, string subject, int pageSize, List<string> problems, List<string> notes)
    {
        var tiers = new List<(ApiMedium Medium, TierOptions Tier)>();
        var levels = spec.TieredStore?.Levels;
        if (levels is not { Count: > 0 })
        {
            problems.Add($"{subject}: spec.tieredstore.levels: is required (at least one level, for example mediumtype: MEM with a quota)");
            return [];
        }

        var seen = new Dictionary<ApiMedium, int>();
        for (var i = 0; i < levels.Count; i++)
        {
            var level = levels[i];
            var at = $"spec.tieredstore.levels[{i}]";
            if (level.MediumType is not { } medium)
            {
                problems.Add($"{subject}: {at}.mediumtype: is required (MEM, SSD or HDD)");
                continue;
            }

            if (!seen.TryAdd(medium, i))
            {
                problems.Add($"{subject}: {at}.mediumtype: {medium} is already used by levels[{seen[medium]}] (one level per medium)");
                continue;
            }

            var high = Ratio(level.High, FluidCacheRuntimeDefaults.HighWatermark, $"{at}.high", subject, problems);
            var low = Ratio(level.Low, FluidCacheRuntimeDefaults.LowWatermark, $"{at}.low", subject, problems);
            if (low >= high)
            {
                problems.Add($"{subject}: {at}.low: must be less than high ({low.ToString(CultureInfo.InvariantCulture)} >= {high.ToString(CultureInfo.InvariantCulture)})");
            }

            var directories = level.Directories();
            IReadOnlyList<Quantity> quotas;
            try
            {
                quotas = level.DirectoryQuotas();
            }
            catch (FormatException)
            {
                problems.Add($"{subject}: {at}.quotaList: \"{level.QuotaList}\" is not a list of quantities (e.g. 10Gi,20Gi)");
                continue;
            }

            if (quotas.Count == 0)
            {
                problems.Add($"{subject}: {at}.quota: quota or quotaList is required");
                continue;
            }

            if (quotas.Count != directories.Count)
            {
                problems.Add($"{subject}: {at}.quotaList: {quotas.Count} quotas for {directories.Count} directories in path (they must match one to one)");
                continue;
            }

            if (medium == ApiMedium.MEM)
            {
                var quota = quotas.Sum(q => q.Value);
                if (quota < pageSize)
                {
                    problems.Add($"{subject}: {at}.{(level.QuotaList is { Length: > 0 } ? "quotaList" : "quota")}: {Units.Bytes(quota)} is less than one page ({Units.Bytes(pageSize)})");
                    continue;
                }

                notes.Add($"{subject}: {at} (MEM): {Units.Bytes(quota)} of process memory outside the GC heap; path \"{level.Path}\" is not used");
                tiers.Add((medium, new TierOptions { Medium = CacheMedium.Mem, Quota = quota, High = high, Low = low }));
                continue;
            }

            var tierDirectories = new List<TierDirectory>();
            for (var d = 0; d < directories.Count; d++)
            {
                var directory = directories[d];
                if (!Path.IsPathFullyQualified(directory) || directory.Split('/').Any(s => s is "." or ".."))
                {
                    problems.Add($"{subject}: {at}.path: directory \"{directory}\" must be an absolute path without \".\" or \"..\"");
                    continue;
                }

                if (quotas[d].Value < 4096)
                {
                    problems.Add($"{subject}: {at}.{(level.QuotaList is { Length: > 0 } ? "quotaList" : "quota")}: {quotas[d]} for \"{directory}\" is less than 4096 bytes");
                    continue;
                }

                // Each dataset gets its own subdirectory, so datasets sharing a cache disk never see each other's pages.
                tierDirectories.Add(new TierDirectory(Path.Combine(directory, ns, name), quotas[d].Value));
            }

            tiers.Add((medium, new TierOptions
            {
                Medium = medium == ApiMedium.SSD ? CacheMedium.Ssd : CacheMedium.Hdd,
                Directories = tierDirectories,
                High = high,
                Low = low,
            }));
        }

        // The cache wants tiers fastest first; Fluid manifests may list them in any order.
        return [.. tiers.OrderBy(t => t.Medium).Select(t => t.Tier)];
    }

    private static double Ratio(string? text, decimal fallback, string field, string subject, List<string> problems)
    {
        if (string.IsNullOrEmpty(text))
        {
            return (double)fallback;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            problems.Add($"{subject}: {field}: \"{text}\" is not a number (write a ratio such as \"0.95\")");
            return (double)fallback;
        }

        if (value is <= 0 or > 1)
        {
            problems.Add($"{subject}: {field}: must be greater than 0 and at most 1 (got \"{text}\")");
            return (double)fallback;
        }

        return value;
    }
}
