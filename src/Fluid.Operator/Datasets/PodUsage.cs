using k8s.Models;

namespace Fluid.Operator.Datasets;

/// <summary>Questions about pods the controllers ask: who uses a claim, which pods are ready.</summary>
public static class PodUsage
{
    /// <summary>Whether the pod has not finished (phase is not Succeeded or Failed); a terminating pod still counts.</summary>
    public static bool IsActive(V1Pod pod) => pod?.Status?.Phase is not ("Succeeded" or "Failed");

    /// <summary>Whether the pod mounts the PersistentVolumeClaim <paramref name="claim"/>.</summary>
    public static bool UsesClaim(V1Pod pod, string claim) =>
        pod?.Spec?.Volumes?.Any(v => v.PersistentVolumeClaim?.ClaimName == claim) == true;

    /// <summary>Whether the pod's Ready condition is True.</summary>
    public static bool IsReady(V1Pod pod) =>
        pod?.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>The active pods of <paramref name="pods"/> that use <paramref name="claim"/>, sorted by name.</summary>
    public static IReadOnlyList<V1Pod> UsingClaim(IEnumerable<V1Pod> pods, string claim) =>
        [.. pods.Where(p => IsActive(p) && UsesClaim(p, claim)).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)];
}
