using Fluid.Engine.Namespace;

namespace Fluid.Engine.Tests;

/// <summary>Mount paths over the cache's namespace: resolution, virtual directories, no escapes.</summary>
public sealed class NamespaceTests
{
    private readonly DatasetNamespace _namespace = new([("/train", "s3"), ("/data/val", "http"), ("/data/test/set", "local")]);

    [Theory]
    [InlineData("/train", "/s3")]
    [InlineData("/train/", "/s3")]
    [InlineData("/train/a/b.jpg", "/s3/a/b.jpg")]
    [InlineData("/data/val/x", "/http/x")]
    [InlineData("/data/test/set/y/z", "/local/y/z")]
    public void Resolve_MapsMountPathsToCachePaths(string path, string cachePath)
    {
        var target = _namespace.Resolve(path);
        Assert.Equal(NamespaceTargetKind.Mount, target.Kind);
        Assert.Equal(cachePath, target.CachePath);
        Assert.Equal(path.TrimEnd('/'), _namespace.ToDatasetPath(cachePath));
    }

    [Fact]
    public void DirectoriesAboveMounts_AreVirtual()
    {
        Assert.Equal(["data", "train"], _namespace.Resolve("/").Children);
        Assert.Equal(["test", "val"], _namespace.Resolve("/data").Children);
        Assert.Equal(["set"], _namespace.Resolve("/data/test/").Children);
        Assert.Equal(NamespaceTargetKind.Virtual, _namespace.Resolve("/data/test").Kind);
        Assert.Equal(NamespaceTargetKind.None, _namespace.Resolve("/data/other").Kind);
        Assert.Equal(NamespaceTargetKind.None, _namespace.Resolve("/trainx").Kind);
    }

    [Theory]
    [InlineData("/train/../data")]
    [InlineData("/train/./a")]
    [InlineData("/train//a")]
    [InlineData("/..")]
    [InlineData("train")]
    [InlineData("")]
    [InlineData("/train/a\0b")]
    public void Resolve_RefusesPathsThatCouldLeaveAMount(string path) =>
        Assert.Equal(NamespaceTargetKind.None, _namespace.Resolve(path).Kind);

    [Fact]
    public void AMountAtTheRoot_HoldsTheWholeNamespace()
    {
        var single = new DatasetNamespace([("/", "only")]);
        Assert.Equal("/only", single.Resolve("/").CachePath);
        Assert.Equal("/only/a/b", single.Resolve("/a/b").CachePath);
        Assert.Equal("/a/b", single.ToDatasetPath("/only/a/b"));
        Assert.Throws<ArgumentException>(() => new DatasetNamespace([("/", "a"), ("/x", "b")]));
    }

    [Fact]
    public void NestedOrEqualMountPaths_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new DatasetNamespace([("/a", "x"), ("/a/b", "y")]));
        Assert.Throws<ArgumentException>(() => new DatasetNamespace([("/a", "x"), ("/a/", "y")]));
        Assert.Throws<ArgumentException>(() => new DatasetNamespace([("/a/../b", "x")]));
    }

    [Fact]
    public void CachePathsUnder_CoversEveryMountBelowAVirtualDirectory()
    {
        Assert.Equal(["/s3", "/http", "/local"], _namespace.CachePathsUnder("/"));
        Assert.Equal(["/http", "/local"], _namespace.CachePathsUnder("/data"));
        Assert.Equal(["/s3/a"], _namespace.CachePathsUnder("/train/a"));
        Assert.Empty(_namespace.CachePathsUnder("/nothing"));
    }
}
