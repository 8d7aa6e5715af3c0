namespace Fluid.Storage.Tests;

public sealed class UfsPathTests
{
    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("a/b/c.bin")]
    [InlineData("with space/naïve.dat")]
    [InlineData("...")]
    [InlineData("a/..b/c..")]
    public void Validate_RelativePaths_AreAccepted(string path)
    {
        Assert.Null(UfsPath.Validate(path));
    }

    [Theory]
    [InlineData("/abs", "absolute")]
    [InlineData("a/", "end with '/'")]
    [InlineData("a//b", "empty segments")]
    [InlineData("..", "'..' segments")]
    [InlineData("a/../b", "'..' segments")]
    [InlineData("./a", "'..' segments")]
    [InlineData("a\0b", "NUL")]
    public void Validate_BadPaths_SayWhy(string path, string expected)
    {
        Assert.Contains(expected, UfsPath.Validate(path), StringComparison.Ordinal);
    }

    [Fact]
    public void CombineAndParent_RoundTrip()
    {
        Assert.Equal("a", UfsPath.Combine(string.Empty, "a"));
        Assert.Equal("a/b", UfsPath.Combine("a", "b"));
        Assert.Equal("a", UfsPath.Parent("a/b"));
        Assert.Equal(string.Empty, UfsPath.Parent("a"));
        Assert.Equal(string.Empty, UfsPath.Parent(string.Empty));
    }
}
