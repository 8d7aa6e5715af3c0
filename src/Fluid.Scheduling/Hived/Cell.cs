using System.Globalization;
using Fluid.Scheduling.Model;

namespace Fluid.Scheduling.Hived;

/// <summary>
/// A HiveD cell: a GPU (level 1) or a group of buddy cells one level down (PCIe switch, CPU socket, node,
/// rack). Cells at or below the node level belong to one node.
/// </summary>
public sealed class Cell
{
    private readonly List<Cell> _children = [];

    internal Cell(int level, int address, int node, int firstGpu)
    {
        Level = level;
        Address = address;
        Node = node;
        FirstGpu = firstGpu;
    }

    /// <summary>Level in the chain; 1 is a single GPU.</summary>
    public int Level { get; }

    /// <summary>Position among the cells of its level, in tree order.</summary>
    public int Address { get; }

    /// <summary>Node index for cells at or below the node level; -1 above it.</summary>
    public int Node { get; }

    /// <summary>Index of the first GPU inside the node for cells at or below the node level.</summary>
    public int FirstGpu { get; }

    /// <summary>Number of GPUs in the cell.</summary>
    public int GpuCount { get; internal set; }

    /// <summary>The cell one level up, or null for a top-level cell.</summary>
    public Cell? Parent { get; private set; }

    /// <summary>Buddy cells one level down.</summary>
    public IReadOnlyList<Cell> Children => _children;

    internal void AddChild(Cell child)
    {
        child.Parent = this;
        _children.Add(child);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"L{Level}#{Address}");
}

/// <summary>The physical cell hierarchy of a cluster: GPUs up to nodes, nodes grouped into top-level rack cells.</summary>
public sealed class CellTree
{
    private readonly List<Cell>[] _levels;
    private readonly Cell[] _nodeCells;

    private CellTree(List<Cell>[] levels, Cell[] nodeCells, int nodeLevel)
    {
        _levels = levels;
        _nodeCells = nodeCells;
        NodeLevel = nodeLevel;
    }

    /// <summary>Level of node cells.</summary>
    public int NodeLevel { get; }

    /// <summary>Highest level (rack cells, or node cells when racks hold one node).</summary>
    public int TopLevel => _levels.Length - 1;

    /// <summary>Cells of a level in address order.</summary>
    public IReadOnlyList<Cell> CellsAt(int level) => _levels[level];

    /// <summary>The node-level cell of a node.</summary>
    public Cell NodeCell(int node) => _nodeCells[node];

    /// <summary>
    /// Builds the tree. <paramref name="splits"/> lists children per cell from the GPU up to the node (for
    /// example 2, 2, 2 for 8 GPUs); <paramref name="nodesPerRack"/> consecutive nodes form a top-level cell.
    /// </summary>
    public static CellTree Build(ClusterSpec cluster, IReadOnlyList<int> splits, int nodesPerRack)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(splits);
        var gpusPerNode = 1;
        foreach (var s in splits)
        {
            if (s <= 0)
            {
                throw new ArgumentException($"policy.hived.cell-splits: every split must be > 0 (got {string.Join('x', splits)})");
            }

            gpusPerNode *= s;
        }

        if (nodesPerRack <= 0)
        {
            throw new ArgumentException($"policy.hived.nodes-per-rack: must be > 0 (got {nodesPerRack})");
        }

        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            if (cluster.Nodes[i].Gpus != gpusPerNode)
            {
                throw new ArgumentException($"policy.hived.cell-splits: {string.Join('x', splits)} gives {gpusPerNode} GPUs per node, but {cluster.Nodes[i].Name} has {cluster.Nodes[i].Gpus}");
            }
        }

        var nodeLevel = splits.Count + 1;
        var top = nodesPerRack > 1 ? nodeLevel + 1 : nodeLevel;
        var levels = new List<Cell>[top + 1];
        for (var l = 0; l <= top; l++)
        {
            levels[l] = [];
        }

        var nodeCells = new Cell[cluster.Nodes.Count];
        for (var node = 0; node < cluster.Nodes.Count; node++)
        {
            nodeCells[node] = BuildNodeCell(levels, splits, nodeLevel, node, 0);
        }

        if (top > nodeLevel)
        {
            for (var first = 0; first < nodeCells.Length; first += nodesPerRack)
            {
                var rack = new Cell(top, levels[top].Count, -1, -1);
                for (var node = first; node < Math.Min(first + nodesPerRack, nodeCells.Length); node++)
                {
                    rack.AddChild(nodeCells[node]);
                    rack.GpuCount += nodeCells[node].GpuCount;
                }

                levels[top].Add(rack);
            }
        }

        return new CellTree(levels, nodeCells, nodeLevel);
    }

    private static Cell BuildNodeCell(List<Cell>[] levels, IReadOnlyList<int> splits, int level, int node, int firstGpu)
    {
        var cell = new Cell(level, levels[level].Count, node, firstGpu);
        levels[level].Add(cell);
        if (level == 1)
        {
            cell.GpuCount = 1;
            return cell;
        }

        var gpu = firstGpu;
        for (var i = 0; i < splits[level - 2]; i++)
        {
            var child = BuildNodeCell(levels, splits, level - 1, node, gpu);
            cell.AddChild(child);
            cell.GpuCount += child.GpuCount;
            gpu += child.GpuCount;
        }

        return cell;
    }
}
