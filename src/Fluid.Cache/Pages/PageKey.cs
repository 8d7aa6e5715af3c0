namespace Fluid.Cache.Pages;

/// <summary>
/// Identifies a page: <see cref="FileId"/> names one (mount, path, version) triple, so pages of
/// different versions of a file never share a key.
/// </summary>
internal readonly record struct PageKey(int FileId, int Index);
