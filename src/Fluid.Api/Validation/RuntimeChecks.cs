using System.Globalization;
using System.Numerics;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Api.Runtimes;

namespace Fluid.Api.Validation;

/// <summary>Checks of a FluidCacheRuntime on its own.</summary>
internal static class RuntimeChecks
{
    private static readonly Quantity MinPageSize = Quantity.Parse("64Ki");
    private static readonly Quantity MaxPageSize = Quantity.Parse("64Mi");

    public static void Check(FluidCacheRuntime runtime, ProblemSink sink)
    {
        CommonChecks.Metadata(runtime.Metadata, CommonChecks.NameRule.Dns1035Label, sink);
        var spec = runtime.Spec;
        if (spec is null)
        {
            if (!sink.WasReported("spec"))
            {
                sink.Error("spec", "is required (a FluidCacheRuntime needs spec.tieredstore)");
            }

            return;
        }

        if (spec.PageSize is { } pageSize)
        {
            var bytes = pageSize.Value;
            if (pageSize < MinPageSize || pageSize > MaxPageSize || !BitOperations.IsPow2(bytes) || pageSize.ToDecimal() != bytes)
            {
                sink.Error("spec.pageSize", $"must be a power of two from 64Ki to 64Mi (got {pageSize})");
            }
        }

        if (spec.MetadataTtl is { } ttl && ttl.Value < TimeSpan.Zero)
        {
            sink.Error("spec.metadataTTL", $"must not be negative (got {ttl})");
        }

        if (spec.Source?.Timeout is { } timeout && timeout.Value <= TimeSpan.Zero)
        {
            sink.Error("spec.source.timeout", $"must be greater than 0 (got {timeout})");
        }

        TieredStore(spec.TieredStore, sink);
        if (spec.Worker is { } worker)
        {
            CommonChecks.Resources(worker.Resources, "spec.worker.resources", sink);
            CommonChecks.NodeSelectorMap(worker.NodeSelector, "spec.worker.nodeSelector", sink);
            CommonChecks.Env(worker.Env, "spec.worker.env", sink);
            CommonChecks.PodMetadata(worker.PodMetadata, "spec.worker.podMetadata", sink);
        }

        if (spec.Fuse is { } fuse)
        {
            CommonChecks.Resources(fuse.Resources, "spec.fuse.resources", sink);
            CommonChecks.NodeSelectorMap(fuse.NodeSelector, "spec.fuse.nodeSelector", sink);
            CommonChecks.Env(fuse.Env, "spec.fuse.env", sink);
            CommonChecks.PodMetadata(fuse.PodMetadata, "spec.fuse.podMetadata", sink);
        }

        CommonChecks.PodMetadata(spec.PodMetadata, "spec.podMetadata", sink);
        if (spec.RunAs is { } runAs && (runAs.Uid < 0 || runAs.Gid < 0))
        {
            sink.Error(runAs.Uid < 0 ? "spec.runAs.uid" : "spec.runAs.gid", "must not be negative");
        }
    }

    private static void TieredStore(TieredStore? store, ProblemSink sink)
    {
        if (store?.Levels is not { Count: > 0 } levels)
        {
            var path = store is null ? "spec.tieredstore" : "spec.tieredstore.levels";
            if (!sink.WasReported(path))
            {
                sink.Error(path, "is required (at least one cache level, for example mediumtype: MEM with a path and a quota)");
            }

            return;
        }

        var media = new Dictionary<MediumType, int>();
        var directories = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < levels.Count; i++)
        {
            var level = levels[i];
            var at = FieldPath.Index("spec.tieredstore.levels", i);
            if (level.MediumType is { } medium && !media.TryAdd(medium, i))
            {
                sink.Error(FieldPath.Child(at, "mediumtype"), $"{medium} is already used by levels[{media[medium]}] (one level per medium)");
            }

            var count = Directories(level, at, i, directories, sink);
            Quotas(level, at, count, sink);
            Watermarks(level, at, sink);
        }
    }

    private static int Directories(Level level, string at, int index, Dictionary<string, int> seen, ProblemSink sink)
    {
        var path = FieldPath.Child(at, "path");
        if (level.Path is null)
        {
            return 0;
        }

        if (level.Path.Trim().Length == 0)
        {
            sink.Error(path, "is required (one or more directories separated by commas)");
            return 0;
        }

        var directories = level.Path.Split(',', StringSplitOptions.TrimEntries);
        foreach (var directory in directories)
        {
            if (directory.Length == 0)
            {
                sink.Error(path, $"\"{level.Path}\" has an empty directory between commas");
            }
            else if (!directory.StartsWith('/'))
            {
                sink.Error(path, $"directory \"{directory}\" must be an absolute path");
            }
            else if (Paths.HasDotDot(directory))
            {
                sink.Error(path, $"directory \"{directory}\" must not contain \"..\"");
            }
            else if (!seen.TryAdd(Paths.Normalize(directory), index))
            {
                var other = seen[Paths.Normalize(directory)];
                sink.Error(path, other == index
                    ? $"directory \"{directory}\" is listed twice"
                    : $"directory \"{directory}\" is also used by levels[{other}]");
            }
        }

        return directories.Length;
    }

    private static void Quotas(Level level, string at, int directories, ProblemSink sink)
    {
        var quotaPath = FieldPath.Child(at, "quota");
        var listPath = FieldPath.Child(at, "quotaList");
        if (level.Quota is null && string.IsNullOrEmpty(level.QuotaList))
        {
            if (!sink.WasReported(quotaPath) && !sink.WasReported(listPath))
            {
                sink.Error(quotaPath, "quota or quotaList is required");
            }

            return;
        }

        if (level.Quota is { } quota)
        {
            if (quota.Sign <= 0)
            {
                sink.Error(quotaPath, $"must be greater than 0 (got {quota})");
            }

            if (!string.IsNullOrEmpty(level.QuotaList))
            {
                sink.Warning(quotaPath, "is ignored because quotaList is set");
            }
        }

        if (string.IsNullOrEmpty(level.QuotaList))
        {
            return;
        }

        var entries = level.QuotaList.Split(',');
        var valid = true;
        foreach (var entry in entries)
        {
            var text = entry.Trim();
            if (!Quantity.TryParse(text, out var each, out _))
            {
                sink.Error(listPath, $"\"{text}\" is not a valid quantity (e.g. 10Gi, 500M, 100m)");
                valid = false;
            }
            else if (each.Sign <= 0)
            {
                sink.Error(listPath, $"quotas must be greater than 0 (got {text})");
                valid = false;
            }
        }

        if (valid && level.QuotaList.Any(char.IsWhiteSpace))
        {
            sink.Error(listPath, $"\"{level.QuotaList}\" must not contain spaces (write {string.Join(',', entries.Select(e => e.Trim()))}); Kubernetes rejects it");
        }

        if (directories > 0 && entries.Length != directories)
        {
            sink.Error(listPath, $"{entries.Length} quota{(entries.Length == 1 ? string.Empty : "s")} for {directories} director{(directories == 1 ? "y" : "ies")} in path (they must match one to one)");
        }
    }

    private static void Watermarks(Level level, string at, ProblemSink sink)
    {
        var high = Ratio(level.High, FieldPath.Child(at, "high"), sink);
        var low = Ratio(level.Low, FieldPath.Child(at, "low"), sink);
        if (level.High is not null && high is null || level.Low is not null && low is null)
        {
            return;
        }

        var effectiveHigh = high ?? FluidCacheRuntimeDefaults.HighWatermark;
        var effectiveLow = low ?? FluidCacheRuntimeDefaults.LowWatermark;
        if (effectiveLow < effectiveHigh)
        {
            return;
        }

        if (low is null)
        {
            sink.Error(FieldPath.Child(at, "high"), $"must be greater than low ({FluidCacheRuntimeDefaults.LowWatermark.ToString(CultureInfo.InvariantCulture)} when low is not set)");
        }
        else if (high is null)
        {
            sink.Error(FieldPath.Child(at, "low"), $"must be less than high ({FluidCacheRuntimeDefaults.HighWatermark.ToString(CultureInfo.InvariantCulture)} when high is not set)");
        }
        else
        {
            sink.Error(FieldPath.Child(at, "low"), $"must be less than high (\"{level.Low}\" >= \"{level.High}\")");
        }
    }

    private static decimal? Ratio(string? text, string path, ProblemSink sink)
    {
        if (text is null)
        {
            return null;
        }

        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ratio))
        {
            sink.Error(path, $"\"{text}\" is not a number (write a ratio such as \"0.95\")");
            return null;
        }

        if (ratio <= 0)
        {
            sink.Error(path, $"must be greater than 0 (got \"{text}\")");
            return null;
        }

        if (ratio > 1)
        {
            sink.Error(path, $"must be at most 1 (got \"{text}\")");
            return null;
        }

        return ratio;
    }
}
