using Fluid.Api.Datasets;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;

namespace Fluid.Api.Manifests;

/// <summary>The kinds of <c>data.fluid.io/v1alpha1</c>: what this build runs, and what it recognises but cannot run yet.</summary>
public static class KnownKinds
{
    /// <summary>Kinds this build reads into typed objects and runs.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Supported = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [Dataset.KindName] = typeof(Dataset),
        [FluidCacheRuntime.KindName] = typeof(FluidCacheRuntime),
        [DataLoad.KindName] = typeof(DataLoad),
    };

    /// <summary>Fluid runtime kinds this build recognises but cannot run; FluidCacheRuntime takes their place.</summary>
    public static readonly IReadOnlyList<string> UnsupportedRuntimes =
    [
        "AlluxioRuntime", "JuiceFSRuntime", "ThinRuntime", "JindoRuntime", "GooseFSRuntime", "EFCRuntime", "VineyardRuntime",
    ];

    /// <summary>Fluid data operation and other kinds this build recognises but cannot run.</summary>
    public static readonly IReadOnlyList<string> UnsupportedOthers =
    [
        "DataMigrate", "DataBackup", "DataProcess", "ThinRuntimeProfile",
    ];

    public static bool IsRuntimeKind(string kind) => kind == FluidCacheRuntime.KindName || UnsupportedRuntimes.Contains(kind);

    /// <summary>The message for a recognised kind this build cannot run, naming what to use instead.</summary>
    public static string UnsupportedMessage(string kind) => kind switch
    {
        _ when UnsupportedRuntimes.Contains(kind) =>
            $"this build cannot run {kind} yet; use kind FluidCacheRuntime with the same tieredstore",
        "DataMigrate" => "this build cannot run DataMigrate yet; copy the data with another tool, then use a DataLoad to warm the cache",
        "DataProcess" => "this build cannot run DataProcess yet; run the processing as a Job that mounts the dataset",
        "DataBackup" => "this build cannot run DataBackup yet; this build runs Dataset, FluidCacheRuntime and DataLoad",
        _ => $"this build cannot run {kind} yet; this build runs Dataset, FluidCacheRuntime and DataLoad",
    };

    public static IEnumerable<string> AllFluidKinds => Supported.Keys.Concat(UnsupportedRuntimes).Concat(UnsupportedOthers);
}
