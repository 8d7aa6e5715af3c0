using System.Globalization;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Naming;
using k8s.Models;

namespace Fluid.Operator.Engines.FluidCache;

/// <summary>What a runtime wants on one node.</summary>
/// <param name="Cache">The node runs a ready cache worker of the runtime.</param>
/// <param name="Fuse">The node should run the runtime's FUSE pod.</param>
/// <param name="FuseRemovable">Whether an unwanted FUSE label may be removed (cleanPolicy OnDemand, or the runtime is going).</param>
public readonly record struct NodeWish(bool Cache, bool Fuse, bool FuseRemovable);

/// <summary>
/// Fluid's node labels for a runtime: <c>fluid.io/s-ns-name</c>, <c>fluid.io/s-fluidcache-ns-name</c>, the capacity labels
/// <c>fluid.io/s-h-fluidcache-{m,d,t}-ns-name</c> and the <c>fluid.io/dataset-num</c> count on cache nodes, and
/// <c>fluid.io/f-ns-name</c> where FUSE runs. Patches are conditional on the node's resourceVersion, so two runtimes
/// counting datasets on one node never lose an update.
/// </summary>
public static class NodeLabels
{
    /// <summary>The label changes a node needs (null value removes); empty when it already matches. Pure.</summary>
    public static Dictionary<string, string?> Plan(V1Node node, RuntimeNames names, (long Memory, long Disk, long Total) capacity, NodeWish wish)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(names);
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        var patch = new Dictionary<string, string?>(StringComparer.Ordinal);
        bool hasCache = labels.TryGetValue(names.CommonLabel, out var common) && common == "true";
        int count = labels.TryGetValue(FluidLabels.DatasetNum, out var num) && int.TryParse(num, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

        if (wish.Cache)
        {
            var wanted = new Dictionary<string, string?>
            {
                [names.CommonLabel] = "true",
                [names.RuntimeLabel] = "true",
                [names.MemoryCapacityLabel] = capacity.Memory > 0 ? Units.Bytes(capacity.Memory) : null,
                [names.DiskCapacityLabel] = capacity.Disk > 0 ? Units.Bytes(capacity.Disk) : null,
                [names.TotalCapacityLabel] = Units.Bytes(capacity.Total),
            };
            foreach (var (key, value) in wanted)
            {
                labels.TryGetValue(key, out var existing);
                if (existing != value)
                {
                    patch[key] = value;
                }
            }

            if (!hasCache)
            {
                patch[FluidLabels.DatasetNum] = (count + 1).ToString(CultureInfo.InvariantCulture);
            }
        }
        else if (hasCache)
        {
            foreach (var key in new[] { names.CommonLabel, names.RuntimeLabel, names.MemoryCapacityLabel, names.DiskCapacityLabel, names.TotalCapacityLabel })
            {
                if (labels.ContainsKey(key))
                {
                    patch[key] = null;
                }
            }

            patch[FluidLabels.DatasetNum] = count > 1 ? (count - 1).ToString(CultureInfo.InvariantCulture) : null;
        }

        bool hasFuse = labels.TryGetValue(names.FuseLabel, out var fuse) && fuse == "true";
        if (wish.Fuse && !hasFuse)
        {
            patch[names.FuseLabel] = "true";
        }
        else if (!wish.Fuse && labels.ContainsKey(names.FuseLabel) && wish.FuseRemovable)
        {
            patch[names.FuseLabel] = null;
        }

        return patch;
    }

    /// <summary>Applies <paramref name="wishFor"/> to each named node, re-reading a node whose patch conflicted.</summary>
    public static async Task ApplyAsync(ResourceClient<V1Node> nodes, IEnumerable<V1Node> candidates, RuntimeNames names, (long, long, long) capacity, Func<string, NodeWish> wishFor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(wishFor);
        foreach (var cached in candidates)
        {
            var node = cached;
            for (int attempt = 1; ; attempt++)
            {
                var patch = Plan(node, names, capacity, wishFor(node.Metadata.Name));
                if (patch.Count == 0)
                {
                    break;
                }

                try
                {
                    await nodes.PatchAsync(new ObjectKey(null, node.Metadata.Name), MergePatches.Labels(patch, node.Metadata.ResourceVersion), cancellationToken);
                    break;
                }
                catch (Exception e) when (e.IsConflict() && attempt < ObjectUpdates.MaxAttempts)
                {
                    node = await nodes.GetAsync(new ObjectKey(null, node.Metadata.Name), cancellationToken) ?? node;
                }
                catch (Exception e) when (e.IsNotFound())
                {
                    break;
                }
            }
        }
    }
}
