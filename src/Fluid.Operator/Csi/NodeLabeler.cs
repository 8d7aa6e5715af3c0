using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using k8s.Models;

namespace Fluid.Operator.Csi;

/// <summary>Sets a label on this plugin's Node with a JSON merge patch, so the runtime's FUSE DaemonSet schedules a pod here.</summary>
public sealed class NodeLabeler(ResourceClient<V1Node> nodes)
{
    /// <summary>Sets <paramref name="label"/>=true on <paramref name="node"/> (a no-op for the server when it is already set).</summary>
    public async Task LabelAsync(string node, string label, CancellationToken cancellationToken)
    {
        var patch = new Dictionary<string, string?>(StringComparer.Ordinal) { [label] = "true" };
        await nodes.PatchAsync(new ObjectKey(null, node), MergePatches.Labels(patch), cancellationToken);
    }
}
