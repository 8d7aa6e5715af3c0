namespace Fluid.Api.Validation;

/// <summary>Checks on the slash-separated paths of a dataset's namespace.</summary>
internal static class Paths
{
    public static bool HasDotDot(string path) =>
        path.Split('/', '\\').Any(segment => segment == "..");

    /// <summary>Removes a trailing slash (except for the root) so that /a and /a/ compare equal.</summary>
    public static string Normalize(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or inside it.</summary>
    public static bool IsUnder(string path, string root)
    {
        path = Normalize(path);
        root = Normalize(root);
        return root == "/" || path == root || path.StartsWith(root + "/", StringComparison.Ordinal);
    }
}
