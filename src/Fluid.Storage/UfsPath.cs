namespace Fluid.Storage;

/// <summary>Validation and composition of the mount-relative paths every under file system accepts.</summary>
public static class UfsPath
{
    /// <summary>
    /// Checks that <paramref name="path"/> is a mount-relative path: "" for the root, otherwise
    /// '/'-separated segments with no leading or trailing slash, no empty, "." or ".." segment and no NUL.
    /// </summary>
    /// <returns>null when the path is valid, otherwise what is wrong with it.</returns>
    public static string? Validate(string? path)
    {
        if (path is null)
        {
            return "the path is null";
        }

        if (path.Length == 0)
        {
            return null;
        }

        if (path[0] == '/')
        {
            return "absolute paths are not allowed (paths are relative to the mount root)";
        }

        if (path[^1] == '/')
        {
            return "a path must not end with '/'";
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return "a path must not contain a NUL character";
        }

        foreach (var range in path.AsSpan().Split('/'))
        {
            var segment = path.AsSpan(range);
            if (segment.Length == 0)
            {
                return "a path must not contain empty segments ('//')";
            }

            if (segment is "." or "..")
            {
                return "'.' and '..' segments are not allowed";
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="name"/> can be a single path segment (used to filter listings).</summary>
    public static bool IsValidName(ReadOnlySpan<char> name) =>
        name.Length > 0 && name is not "." and not ".." && !name.Contains('/') && !name.Contains('\0');

    /// <summary>Joins a directory path and a child name.</summary>
    public static string Combine(string directory, string name) =>
        directory.Length == 0 ? name : string.Concat(directory, "/", name);

    /// <summary>The parent of <paramref name="path"/> ("" for a top-level entry and for the root).</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }
}
