using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Fluid.Api.Meta;

namespace Fluid.Api.Runtimes;

/// <summary>The cache's storage tiers (Fluid's <c>TieredStore</c>).</summary>
public sealed record TieredStore
{
    [Description("Configurations of the tiers, fastest first (MEM, SSD, HDD).")]
    [JsonPropertyName("levels")]
    public ValueList<Level>? Levels { get; init; }
}

/// <summary>One cache tier: medium, directories, quota and watermarks (Fluid's <c>Level</c>).</summary>
public sealed record Level
{
    /// <summary>The Kubernetes quantity list pattern Fluid puts on quotaList.</summary>
    public const string QuotaListPattern =
        @"^((\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+)))),)+((\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?)$";

    [Required]
    [Description("Medium type of the tier: MEM, SSD or HDD.")]
    [JsonPropertyName("mediumtype")]
    public MediumType? MediumType { get; init; }

    [DefaultValue("hostPath")]
    [Description("Volume type of the tier: hostPath (default) or emptyDir.")]
    [JsonPropertyName("volumeType")]
    public VolumeType? VolumeType { get; init; }

    [Required]
    [MinLength(1)]
    [Description("Directories of the tier, separated by commas (for example /mnt/cache1,/mnt/cache2).")]
    [JsonPropertyName("path")]
    public string? Path { get; init; }

    [Description("Quota of the whole tier (for example 100Gi), divided equally among its directories.")]
    [JsonPropertyName("quota")]
    public Quantity? Quota { get; init; }

    [RegularExpression(QuotaListPattern)]
    [Description("Quotas of the directories in the order of path, separated by commas (for example 100Gi,50Gi).")]
    [JsonPropertyName("quotaList")]
    public string? QuotaList { get; init; }

    [Description("High watermark ratio of the tier (for example \"0.95\"); eviction starts above it.")]
    [JsonPropertyName("high")]
    public string? High { get; init; }

    [Description("Low watermark ratio of the tier (for example \"0.7\"); eviction stops below it.")]
    [JsonPropertyName("low")]
    public string? Low { get; init; }
}

/// <summary>Cache media, fastest first.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MediumType>))]
public enum MediumType
{
    MEM,
    SSD,
    HDD,
}

/// <summary>How a tier's directories are provided to a cache worker on Kubernetes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VolumeType>))]
public enum VolumeType
{
    [JsonStringEnumMemberName("hostPath")]
    HostPath,

    [JsonStringEnumMemberName("emptyDir")]
    EmptyDir,
}
