namespace Fluid.Engine.Namespace;

/// <summary>What a dataset path names.</summary>
public enum NamespaceTargetKind
{
    /// <summary>Nothing: no mount appears at or above the path.</summary>
    None,

    /// <summary>A directory that only exists because mounts appear below it (for example "/" or "/data" for a mount at /data/train).</summary>
    Virtual,

    /// <summary>A path inside a mount; <see cref="NamespaceTarget.CachePath"/> is its path in the cache.</summary>
    Mount,
}

/// <summary>The result of resolving a dataset path.</summary>
/// <param name="Kind">What the path names.</param>
/// <param name="CachePath">For <see cref="NamespaceTargetKind.Mount"/>: "/&lt;mount name&gt;/rest" in the cache's namespace.</param>
/// <param name="MountIndex">For <see cref="NamespaceTargetKind.Mount"/>: which mount.</param>
/// <param name="Children">For <see cref="NamespaceTargetKind.Virtual"/>: the names below it, sorted.</param>
public readonly record struct NamespaceTarget(NamespaceTargetKind Kind, string CachePath, int MountIndex, IReadOnlyList<string> Children);

/// <summary>
/// The dataset's namespace as users see it: each mount at its <c>path</c> (Fluid's <c>mounts[].path</c>,
/// default <c>/{name}</c>; "/" puts a single mount at the root), over the cache's namespace where every
/// mount sits at <c>/{name}</c>. Directories above mount paths are virtual. Paths with empty, "." or ".."
/// segments are never resolved, so no path can leave its mount.
/// </summary>
public sealed class DatasetNamespace
{
    private readonly (string Path, string Name)[] _mounts;
    private readonly Dictionary<string, string[]> _virtual = new(StringComparer.Ordinal);

    /// <param name="mounts">Each mount's path in the dataset and its name in the cache.</param>
    public DatasetNamespace(IReadOnlyList<(string Path, string Name)> mounts)
    {
        ArgumentNullException.ThrowIfNull(mounts);
        _mounts = new (string, string)[mounts.Count];
        for (var i = 0; i < mounts.Count; i++)
        {
            var path = NormalizeMountPath(mounts[i].Path)
                ?? throw new ArgumentException($"mounts[{i}].path: \"{mounts[i].Path}\" is not an absolute path without empty, '.' or '..' segments", nameof(mounts));
            for (var j = 0; j < i; j++)
            {
                if (Overlaps(path, _mounts[j].Path))
                {
                    throw new ArgumentException($"mounts[{i}].path: \"{path}\" overlaps \"{_mounts[j].Path}\" of mounts[{j}]", nameof(mounts));
                }
            }

            _mounts[i] = (path, mounts[i].Name);
        }

        var children = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (path, _) in _mounts)
        {
            // Every proper ancestor of a mount path is a virtual directory listing the next segment.
            var parent = "/";
            foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!children.TryGetValue(parent, out var set))
                {
                    children[parent] = set = new SortedSet<string>(StringComparer.Ordinal);
                }

                set.Add(segment);
                parent = parent == "/" ? "/" + segment : parent + "/" + segment;
            }
        }

        foreach (var (path, set) in children)
        {
            _virtual[path] = [.. set];
        }
    }

    /// <summary>The mounts' paths in the dataset, in order.</summary>
    public IReadOnlyList<string> MountPaths => [.. _mounts.Select(m => m.Path)];

    /// <summary>Resolves an absolute dataset path ("/", "/train/x.jpg"); a trailing slash is allowed.</summary>
    public NamespaceTarget Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!IsClean(path))
        {
            return default;
        }

        var normalized = path.Length > 1 && path[^1] == '/' ? path[..^1] : path;
        for (var i = 0; i < _mounts.Length; i++)
        {
            var (mountPath, name) = _mounts[i];
            if (mountPath == "/")
            {
                return new NamespaceTarget(NamespaceTargetKind.Mount, normalized == "/" ? "/" + name : "/" + name + normalized, i, []);
            }

            if (normalized == mountPath)
            {
                return new NamespaceTarget(NamespaceTargetKind.Mount, "/" + name, i, []);
            }

            if (normalized.Length > mountPath.Length && normalized[mountPath.Length] == '/' && normalized.StartsWith(mountPath, StringComparison.Ordinal))
            {
                return new NamespaceTarget(NamespaceTargetKind.Mount, "/" + name + normalized[mountPath.Length..], i, []);
            }
        }

        return _virtual.TryGetValue(normalized, out var children)
            ? new NamespaceTarget(NamespaceTargetKind.Virtual, string.Empty, -1, children)
            : default;
    }

    /// <summary>The dataset path of a cache path ("/name/rest" → "/mount/path/rest").</summary>
    public string ToDatasetPath(string cachePath)
    {
        ArgumentNullException.ThrowIfNull(cachePath);
        foreach (var (mountPath, name) in _mounts)
        {
            var prefix = "/" + name;
            if (cachePath == prefix)
            {
                return mountPath;
            }

            if (cachePath.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                var rest = cachePath[prefix.Length..];
                return mountPath == "/" ? rest : mountPath + rest;
            }
        }

        return cachePath;
    }

    /// <summary>
    /// The cache paths a load of <paramref name="path"/> covers: the path inside one mount, or every
    /// mount below a virtual directory; empty when the path names nothing.
    /// </summary>
    public IReadOnlyList<string> CachePathsUnder(string path)
    {
        var target = Resolve(path);
        switch (target.Kind)
        {
            case NamespaceTargetKind.Mount:
                return [target.CachePath];
            case NamespaceTargetKind.Virtual:
                var normalized = path.Length > 1 && path[^1] == '/' ? path[..^1] : path;
                var prefix = normalized == "/" ? "/" : normalized + "/";
                return [.. _mounts.Where(m => m.Path.StartsWith(prefix, StringComparison.Ordinal)).Select(m => "/" + m.Name)];
            default:
                return [];
        }
    }

    /// <summary>"/a/b/" → "/a/b"; null when not absolute or when a segment is empty, "." or "..".</summary>
    public static string? NormalizeMountPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return null;
        }

        var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        if (trimmed.Length == 0)
        {
            return "/";
        }

        return IsClean(trimmed) ? trimmed : null;
    }

    /// <summary>True when one path equals the other or lies under it.</summary>
    public static bool Overlaps(string a, string b) => a == b || a == "/" || b == "/" || IsUnder(a, b) || IsUnder(b, a);

    private static bool IsUnder(string path, string root) =>
        path.Length > root.Length && path[root.Length] == '/' && path.StartsWith(root, StringComparison.Ordinal);

    /// <summary>Absolute, and no empty (except one trailing slash), "." or ".." segment, no NUL.</summary>
    private static bool IsClean(string path)
    {
        if (path.Length == 0 || path[0] != '/' || path.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        if (path == "/")
        {
            return true;
        }

        var span = path.AsSpan(1);
        if (span[^1] == '/')
        {
            span = span[..^1];
        }

        foreach (var range in span.Split('/'))
        {
            var segment = span[range];
            if (segment.Length == 0 || segment is "." or "..")
            {
                return false;
            }
        }

        return true;
    }
}
