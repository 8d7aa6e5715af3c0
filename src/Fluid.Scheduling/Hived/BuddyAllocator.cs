namespace Fluid.Scheduling.Hived;

/// <summary>
/// HiveD's buddy cell allocation over the levels from the node up: a free list per level; allocating a
/// cell takes a free one at its level or splits a free higher-level cell (its children become free
/// buddies); releasing a cell merges it with its buddies into their parent whenever all are free.
/// </summary>
public sealed class BuddyAllocator
{
    private readonly CellTree _tree;
    private readonly SortedSet<Cell>[] _free;

    /// <summary>Creates an allocator with every top-level cell free.</summary>
    public BuddyAllocator(CellTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        _tree = tree;
        _free = new SortedSet<Cell>[tree.TopLevel + 1];
        for (var l = 0; l <= tree.TopLevel; l++)
        {
            _free[l] = new SortedSet<Cell>(CellAddressComparer.Instance);
        }

        foreach (var cell in tree.CellsAt(tree.TopLevel))
        {
            _free[tree.TopLevel].Add(cell);
        }
    }

    private BuddyAllocator(CellTree tree, SortedSet<Cell>[] free)
    {
        _tree = tree;
        _free = free;
    }

    /// <summary>Free cells of a level, in address order.</summary>
    public IReadOnlyCollection<Cell> FreeCells(int level) => _free[level];

    /// <summary>Whether the cell itself is on its level's free list.</summary>
    public bool IsFree(Cell cell) => _free[cell.Level].Contains(cell);

    /// <summary>Whether the cell can be allocated: it or one of its ancestors is free.</summary>
    public bool IsAvailable(Cell cell) => FreeAncestor(cell) is not null;

    /// <summary>
    /// Allocates a cell of <paramref name="level"/>, or returns null. Without a preference this is the
    /// classic buddy choice: a free cell of that level if any, else one split out of the lowest free
    /// higher-level cell, first address first. With one, the highest-scoring reachable cell wins and the
    /// classic order breaks ties.
    /// </summary>
    public Cell? Allocate(int level, Func<Cell, int>? preference = null)
    {
        var target = Choose(level, preference);
        if (target is not null)
        {
            AllocateSpecific(target);
        }

        return target;
    }

    /// <summary>The cell <see cref="Allocate"/> would take, without taking it.</summary>
    public Cell? Choose(int level, Func<Cell, int>? preference = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, _tree.NodeLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, _tree.TopLevel);
        Cell? best = null;
        var bestScore = int.MinValue;
        for (var l = level; l <= _tree.TopLevel; l++)
        {
            foreach (var free in _free[l])
            {
                foreach (var candidate in Descendants(free, level))
                {
                    var score = preference?.Invoke(candidate) ?? 0;
                    if (best is null || score > bestScore)
                    {
                        best = candidate;
                        bestScore = score;
                    }
                }
            }

            if (best is not null && preference is null)
            {
                // Classic buddy: never split a higher cell while a lower one can serve.
                return best;
            }
        }

        return best;
    }

    /// <summary>Allocates <paramref name="target"/>, splitting the free ancestor that contains it.</summary>
    public void AllocateSpecific(Cell target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var ancestor = FreeAncestor(target) ?? throw new InvalidOperationException($"cell {target} is not free");
        _free[ancestor.Level].Remove(ancestor);
        var current = ancestor;
        while (current != target)
        {
            Cell? next = null;
            foreach (var child in current.Children)
            {
                if (Contains(child, target))
                {
                    next = child;
                }
                else
                {
                    _free[child.Level].Add(child);
                }
            }

            current = next ?? throw new InvalidOperationException($"cell {target} is not below {ancestor}");
        }
    }

    /// <summary>Returns <paramref name="cell"/> to the free lists, merging buddies upwards.</summary>
    public void Release(Cell cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        if (IsAvailable(cell))
        {
            throw new InvalidOperationException($"cell {cell} is already free");
        }

        _free[cell.Level].Add(cell);
        var current = cell;
        while (current.Parent is { } parent && parent.Level <= _tree.TopLevel)
        {
            foreach (var sibling in parent.Children)
            {
                if (!_free[sibling.Level].Contains(sibling))
                {
                    return;
                }
            }

            foreach (var sibling in parent.Children)
            {
                _free[sibling.Level].Remove(sibling);
            }

            _free[parent.Level].Add(parent);
            current = parent;
        }
    }

    /// <summary>An independent copy, for planning placements without committing them.</summary>
    public BuddyAllocator Clone()
    {
        var free = new SortedSet<Cell>[_free.Length];
        for (var l = 0; l < free.Length; l++)
        {
            free[l] = new SortedSet<Cell>(_free[l], CellAddressComparer.Instance);
        }

        return new BuddyAllocator(_tree, free);
    }

    private Cell? FreeAncestor(Cell cell)
    {
        for (Cell? c = cell; c is not null && c.Level <= _tree.TopLevel; c = c.Parent)
        {
            if (_free[c.Level].Contains(c))
            {
                return c;
            }
        }

        return null;
    }

    private static bool Contains(Cell ancestor, Cell cell)
    {
        for (Cell? c = cell; c is not null; c = c.Parent)
        {
            if (c == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<Cell> Descendants(Cell cell, int level)
    {
        if (cell.Level == level)
        {
            yield return cell;
            yield break;
        }

        foreach (var child in cell.Children)
        {
            foreach (var d in Descendants(child, level))
            {
                yield return d;
            }
        }
    }

    private sealed class CellAddressComparer : IComparer<Cell>
    {
        public static readonly CellAddressComparer Instance = new();

        public int Compare(Cell? x, Cell? y) => (x?.Address ?? -1).CompareTo(y?.Address ?? -1);
    }
}
