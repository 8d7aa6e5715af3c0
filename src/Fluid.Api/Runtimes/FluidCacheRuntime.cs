using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Fluid.Api.Core;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;

namespace Fluid.Api.Runtimes;

/// <summary>The runtime of this project's own cache engine; binds to the Dataset of the same namespace and name.</summary>
[Description("FluidCacheRuntime is the Schema for the fluidcacheruntimes API")]
public sealed record FluidCacheRuntime : IManifestObject
{
    public const string KindName = "FluidCacheRuntime";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; init; } = FluidApi.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = KindName;

    [JsonPropertyName("metadata")]
    public ObjectMeta? Metadata { get; init; }

    [JsonPropertyName("spec")]
    public FluidCacheRuntimeSpec? Spec { get; init; }

    [JsonPropertyName("status")]
    public RuntimeStatus? Status { get; init; }
}

/// <summary>The desired state of a FluidCacheRuntime.</summary>
[Description("FluidCacheRuntimeSpec defines the desired state of FluidCacheRuntime")]
public sealed record FluidCacheRuntimeSpec
{
    [Range(0, int.MaxValue)]
    [Description("The number of cache workers; defaults to 1.")]
    [JsonPropertyName("replicas")]
    public int? Replicas { get; init; }

    [Description("Size of a cache page, a power of two from 64Ki to 64Mi; defaults to 1Mi.")]
    [JsonPropertyName("pageSize")]
    public Quantity? PageSize { get; init; }

    [Description("How long listings and file attributes are cached before the source is asked again; defaults to 60s.")]
    [JsonPropertyName("metadataTTL")]
    public Duration? MetadataTtl { get; init; }

    [Description("How the cache talks to the dataset's sources.")]
    [JsonPropertyName("source")]
    public SourceSpec? Source { get; init; }

    [Description("Tiered storage of the cache.")]
    [JsonPropertyName("tieredstore")]
    public TieredStore? TieredStore { get; init; }

    [Description("The cache worker component.")]
    [JsonPropertyName("worker")]
    public FluidCacheWorkerSpec? Worker { get; init; }

    [Description("The FUSE client component.")]
    [JsonPropertyName("fuse")]
    public FluidCacheFuseSpec? Fuse { get; init; }

    [Description("The user that runs the cache.")]
    [JsonPropertyName("runAs")]
    public User? RunAs { get; init; }

    [Description("Labels and annotations of every pod of the runtime.")]
    [JsonPropertyName("podMetadata")]
    public PodMetadata? PodMetadata { get; init; }

    [Description("Policies for managing the runtime.")]
    [JsonPropertyName("management")]
    public RuntimeManagement? Management { get; init; }
}

/// <summary>How the cache reads from a dataset's under file systems (fields of this project, not of Fluid).</summary>
public sealed record SourceSpec
{
    [Description("Time limit of one request to a source; defaults to 30s.")]
    [JsonPropertyName("timeout")]
    public Duration? Timeout { get; init; }

    [Range(0, 100)]
    [Description("Retries of a failed source request; defaults to 3.")]
    [JsonPropertyName("retries")]
    public int? Retries { get; init; }
}

/// <summary>The cache worker component of a FluidCacheRuntime.</summary>
public sealed record FluidCacheWorkerSpec
{
    [JsonPropertyName("resources")]
    public ResourceRequirements? Resources { get; init; }

    [Description("Nodes the workers may run on.")]
    [JsonPropertyName("nodeSelector")]
    public ValueMap<string>? NodeSelector { get; init; }

    [JsonPropertyName("env")]
    public ValueList<EnvVar>? Env { get; init; }

    [Description("Extra arguments of the worker process.")]
    [JsonPropertyName("args")]
    public ValueList<string>? Args { get; init; }

    [JsonPropertyName("podMetadata")]
    public PodMetadata? PodMetadata { get; init; }
}

/// <summary>The FUSE client component of a FluidCacheRuntime.</summary>
public sealed record FluidCacheFuseSpec
{
    [JsonPropertyName("resources")]
    public ResourceRequirements? Resources { get; init; }

    [Description("Nodes the FUSE clients may run on.")]
    [JsonPropertyName("nodeSelector")]
    public ValueMap<string>? NodeSelector { get; init; }

    [JsonPropertyName("env")]
    public ValueList<EnvVar>? Env { get; init; }

    [Description("Extra arguments of the FUSE process.")]
    [JsonPropertyName("args")]
    public ValueList<string>? Args { get; init; }

    [JsonPropertyName("podMetadata")]
    public PodMetadata? PodMetadata { get; init; }

    [DefaultValue("OnRuntimeDeleted")]
    [Description("When FUSE pods are cleaned: OnRuntimeDeleted (default) or OnDemand.")]
    [JsonPropertyName("cleanPolicy")]
    public FuseCleanPolicy? CleanPolicy { get; init; }
}

/// <summary>When FUSE clients are removed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FuseCleanPolicy>))]
public enum FuseCleanPolicy
{
    OnDemand,
    OnRuntimeDeleted,
}

/// <summary>Policies for managing a runtime (Fluid's <c>RuntimeManagement</c>).</summary>
public sealed record RuntimeManagement
{
    [JsonPropertyName("cleanCachePolicy")]
    public CleanCachePolicy? CleanCachePolicy { get; init; }

    [JsonPropertyName("metadataSyncPolicy")]
    public MetadataSyncPolicy? MetadataSyncPolicy { get; init; }
}

/// <summary>How the cache is cleaned when the runtime shuts down.</summary>
public sealed record CleanCachePolicy
{
    [DefaultValue(60)]
    [Range(0, int.MaxValue)]
    [Description("Seconds the cache may take to clean gracefully; defaults to 60.")]
    [JsonPropertyName("gracePeriodSeconds")]
    public int? GracePeriodSeconds { get; init; }

    [DefaultValue(3)]
    [Range(0, int.MaxValue)]
    [Description("Retries when cleaning fails; defaults to 3.")]
    [JsonPropertyName("maxRetryAttempts")]
    public int? MaxRetryAttempts { get; init; }
}

/// <summary>How metadata is synchronised when the runtime starts.</summary>
public sealed record MetadataSyncPolicy
{
    [DefaultValue(true)]
    [Description("Sync metadata automatically when the runtime is set up; defaults to true.")]
    [JsonPropertyName("autoSync")]
    public bool? AutoSync { get; init; }
}

/// <summary>Defaults of the FluidCacheRuntime fields, and accessors that apply them.</summary>
public static class FluidCacheRuntimeDefaults
{
    public const int Replicas = 1;
    public static readonly Quantity PageSize = Quantity.Parse("1Mi");
    public static readonly Duration MetadataTtl = Duration.Parse("60s");
    public static readonly Duration SourceTimeout = Duration.Parse("30s");
    public const int SourceRetries = 3;
    public const VolumeType LevelVolumeType = VolumeType.HostPath;
    public const decimal HighWatermark = 0.95m;
    public const decimal LowWatermark = 0.7m;
    public const FuseCleanPolicy CleanPolicy = FuseCleanPolicy.OnRuntimeDeleted;
    public const int GracePeriodSeconds = 60;
    public const int MaxRetryAttempts = 3;
    public const bool AutoSync = true;

    public static int EffectiveReplicas(this FluidCacheRuntimeSpec spec) => spec?.Replicas ?? Replicas;

    public static Quantity EffectivePageSize(this FluidCacheRuntimeSpec spec) => spec?.PageSize ?? PageSize;

    public static Duration EffectiveMetadataTtl(this FluidCacheRuntimeSpec spec) => spec?.MetadataTtl ?? MetadataTtl;

    public static Duration EffectiveSourceTimeout(this FluidCacheRuntimeSpec spec) => spec?.Source?.Timeout ?? SourceTimeout;

    public static int EffectiveSourceRetries(this FluidCacheRuntimeSpec spec) => spec?.Source?.Retries ?? SourceRetries;

    public static bool EffectiveAutoSync(this FluidCacheRuntimeSpec spec) => spec?.Management?.MetadataSyncPolicy?.AutoSync ?? AutoSync;

    public static FuseCleanPolicy EffectiveCleanPolicy(this FluidCacheRuntimeSpec spec) => spec?.Fuse?.CleanPolicy ?? CleanPolicy;

    public static VolumeType EffectiveVolumeType(this Level level) => level?.VolumeType ?? LevelVolumeType;

    /// <summary>The tier's directories, in the order of <see cref="Level.Path"/>.</summary>
    public static IReadOnlyList<string> Directories(this Level level) =>
        (level?.Path ?? string.Empty).Split(',', StringSplitOptions.TrimEntries);

    /// <summary>The quota of each directory: from quotaList, or quota divided equally.</summary>
    public static IReadOnlyList<Quantity> DirectoryQuotas(this Level level)
    {
        ArgumentNullException.ThrowIfNull(level);
        var directories = level.Directories();
        if (!string.IsNullOrWhiteSpace(level.QuotaList))
        {
            return [.. level.QuotaList.Split(',', StringSplitOptions.TrimEntries).Select(Quantity.Parse)];
        }

        if (level.Quota is not { } quota)
        {
            return [];
        }

        var each = quota.Value / directories.Count;
        return [.. directories.Select(_ => Quantity.FromBytes(each))];
    }
}
