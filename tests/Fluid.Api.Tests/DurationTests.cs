using Fluid.Api.Meta;

namespace Fluid.Api.Tests;

public class DurationTests
{
    [Theory]
    [InlineData("60s", 60_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("250ms", 250)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("0", 0)]
    [InlineData("-5s", -5_000)]
    [InlineData("1h0m0s", 3_600_000)]
    [InlineData("1500us", 1.5)]
    [InlineData("1500µs", 1.5)]
    public void Parse_GoForms_GivesValue(string text, double milliseconds)
    {
        var duration = Duration.Parse(text);

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration.Value);
        Assert.Equal(text, duration.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("60")]
    [InlineData("60 s")]
    [InlineData("1d")]
    [InlineData("s")]
    [InlineData("1..5s")]
    [InlineData("-")]
    [InlineData("3000000h")]
    public void TryParse_Malformed_Fails(string text) => Assert.False(Duration.TryParse(text, out _, out _));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(60_000, "1m0s")]
    [InlineData(3_661_500, "1h1m1.5s")]
    [InlineData(1.5, "1.5ms")]
    [InlineData(-90_000, "-1m30s")]
    public void Format_LikeGo(double milliseconds, string expected) =>
        Assert.Equal(expected, new Duration(TimeSpan.FromMilliseconds(milliseconds)).ToString());

    [Fact]
    public void Equality_IsByValue() => Assert.Equal(Duration.Parse("60s"), Duration.Parse("1m"));
}
