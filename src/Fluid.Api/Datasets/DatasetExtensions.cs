namespace Fluid.Api.Datasets;

/// <summary>Fluid's defaults and derived values of a Dataset.</summary>
public static class DatasetExtensions
{
    /// <summary>Where a mount appears in the dataset: its path, or <c>/{name}</c> when no path is set (as in Fluid).</summary>
    public static string MountPath(this Mount mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        var path = string.IsNullOrEmpty(mount.Path) ? "/" + mount.Name : mount.Path;
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    /// <summary>The access modes, ReadOnlyMany when none are set (as in Fluid).</summary>
    public static IReadOnlyList<PersistentVolumeAccessMode> EffectiveAccessModes(this DatasetSpec spec) =>
        spec?.AccessModes is { Count: > 0 } modes ? modes : [PersistentVolumeAccessMode.ReadOnlyMany];

    /// <summary>The placement mode, Exclusive when none is set (as in Fluid).</summary>
    public static PlacementMode EffectivePlacement(this DatasetSpec spec) => spec?.Placement ?? PlacementMode.Exclusive;
}
