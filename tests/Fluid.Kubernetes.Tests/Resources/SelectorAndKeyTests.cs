using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.Selectors;

namespace Fluid.Kubernetes.Tests.Resources;

public sealed class SelectorAndKeyTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "worker", ["tier"] = "cache" };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=worker", true)]
    [InlineData("app==worker", true)]
    [InlineData("app=client", false)]
    [InlineData("app!=client", true)]
    [InlineData("zone!=a", true)]
    [InlineData("tier in (cache, fuse)", true)]
    [InlineData("tier notin (cache)", false)]
    [InlineData("zone notin (a)", true)]
    [InlineData("tier", true)]
    [InlineData("zone", false)]
    [InlineData("!zone", true)]
    [InlineData("!app", false)]
    [InlineData("app=worker,tier in (fuse)", false)]
    public void LabelSelector_Matches_FollowsKubernetesMeaning(string selector, bool expected) =>
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("app in worker)")]
    [InlineData("app,,tier")]
    [InlineData("a b")]
    public void LabelSelector_Malformed_ThrowsNamingSelector(string selector)
    {
        var error = Assert.Throws<FormatException>(() => LabelSelector.Parse(selector));

        Assert.Contains(selector, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectKey_ParseAndFormat_RoundTrip()
    {
        Assert.Equal(new ObjectKey("ns", "name"), ObjectKey.Parse("ns/name"));
        Assert.Equal(new ObjectKey(null, "node-1"), ObjectKey.Parse("node-1"));
        Assert.Equal("ns/name", new ObjectKey("ns", "name").ToString());
        Assert.Equal("node-1", new ObjectKey(null, "node-1").ToString());
        Assert.Throws<FormatException>(() => ObjectKey.Parse("a/b/c"));
        Assert.Throws<FormatException>(() => ObjectKey.Parse("/b"));
    }
}
