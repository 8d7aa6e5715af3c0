using Fluid.Api.Meta;

namespace Fluid.Api.Tests;

public class QuantityTests
{
    [Theory]
    [InlineData("4Gi", "4Gi")]
    [InlineData("500M", "500M")]
    [InlineData("1.5Ti", "1536Gi")]
    [InlineData("1.5Gi", "1536Mi")]
    [InlineData("0.5Gi", "512Mi")]
    [InlineData("100m", "100m")]
    [InlineData("0.1", "100m")]
    [InlineData("1.5", "1500m")]
    [InlineData("1e3", "1e3")]
    [InlineData("1E3", "1e3")]
    [InlineData("12e6", "12e6")]
    [InlineData("1.5e3", "1500")]
    [InlineData("1000", "1k")]
    [InlineData("1500", "1500")]
    [InlineData("1024", "1024")]
    [InlineData("1Ki", "1Ki")]
    [InlineData("1024Ki", "1Mi")]
    [InlineData("0.5Ki", "512")]
    [InlineData("1.1Ki", "1126400m")]
    [InlineData("0", "0")]
    [InlineData("0Gi", "0")]
    [InlineData("-0", "0")]
    [InlineData("+5", "5")]
    [InlineData("-1.5Gi", "-1536Mi")]
    [InlineData("-100m", "-100m")]
    [InlineData("1E", "1E")]
    [InlineData("1000E", "9223372036854775807")]
    [InlineData("5.", "5")]
    [InlineData(".5", "500m")]
    [InlineData("1n", "1n")]
    [InlineData("0.0000000001", "1n")]
    [InlineData("1u", "1u")]
    [InlineData("10Ei", "9223372036854775807")]
    [InlineData("1e-3", "1e-3")]
    [InlineData("100k", "100k")]
    [InlineData("2000M", "2G")]
    public void Parse_KubernetesForms_FormatsCanonically(string text, string canonical)
    {
        var quantity = Quantity.Parse(text);

        Assert.Equal(canonical, quantity.ToString());
        Assert.Equal(quantity, Quantity.Parse(quantity.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1Gi")]
    [InlineData("1Gi ")]
    [InlineData("1 Gi")]
    [InlineData("1GB")]
    [InlineData("1K")]
    [InlineData("1gi")]
    [InlineData("Gi")]
    [InlineData(".")]
    [InlineData("1.2.3")]
    [InlineData("--1")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData("1e1.5")]
    [InlineData("0x10")]
    [InlineData("1Mib")]
    public void TryParse_Malformed_ReturnsErrorNamingTheText(string text)
    {
        Assert.False(Quantity.TryParse(text, out _, out var error));
        Assert.Contains("quantity", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1Gi", "1024Mi", 0)]
    [InlineData("1G", "1Gi", -1)]
    [InlineData("1000M", "1G", 0)]
    [InlineData("100m", "0.1", 0)]
    [InlineData("1e3", "1k", 0)]
    [InlineData("-1", "0", -1)]
    [InlineData("1Ti", "1099511627776", 0)]
    [InlineData("1n", "0", 1)]
    public void CompareTo_EquivalentForms_OrdersByValue(string left, string right, int expected)
    {
        Assert.Equal(expected, Math.Sign(Quantity.Parse(left).CompareTo(Quantity.Parse(right))));
        Assert.Equal(expected == 0, Quantity.Parse(left) == Quantity.Parse(right));
        if (expected == 0)
        {
            Assert.Equal(Quantity.Parse(left).GetHashCode(), Quantity.Parse(right).GetHashCode());
        }
    }

    [Fact]
    public void Value_RoundsUpAndCapsAtInt64Max()
    {
        Assert.Equal(4L * 1024 * 1024 * 1024, Quantity.Parse("4Gi").Value);
        Assert.Equal(1, Quantity.Parse("100m").Value);
        Assert.Equal(100, Quantity.Parse("100m").MilliValue);
        Assert.Equal(2, Quantity.Parse("1.5").Value);
        Assert.Equal(long.MaxValue, Quantity.Parse("100Ei").Value);
        Assert.Equal(long.MaxValue, Quantity.Parse("1e100").Value);
        Assert.Equal(-long.MaxValue, Quantity.Parse("-1e100").Value);
        Assert.Equal(1.5m, Quantity.Parse("1500m").ToDecimal());
    }

    [Fact]
    public void Format_KeepsNotation_ButSmallOrFractionalBinaryIsDecimal()
    {
        Assert.Equal(QuantityFormat.BinarySI, Quantity.Parse("4Gi").Format);
        Assert.Equal(QuantityFormat.DecimalSI, Quantity.Parse("4G").Format);
        Assert.Equal(QuantityFormat.DecimalExponent, Quantity.Parse("4e9").Format);
        Assert.Equal(QuantityFormat.DecimalSI, Quantity.Parse("0.5").Format);
        Assert.Equal("1Gi", Quantity.FromBytes(1L << 30).ToString());
        Assert.Equal("1G", Quantity.FromDecimal(1_000_000_000).ToString());
    }

    [Fact]
    public void Json_WritesCanonicalString_AndReadsStringsOrNumbers()
    {
        Assert.Equal("\"1536Mi\"", System.Text.Json.JsonSerializer.Serialize(Quantity.Parse("1.5Gi")));
        Assert.Equal(Quantity.Parse("1k"), System.Text.Json.JsonSerializer.Deserialize<Quantity>("1000"));
        Assert.Equal(Quantity.Parse("2Gi"), System.Text.Json.JsonSerializer.Deserialize<Quantity>("\"2Gi\""));
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<Quantity>("\"2GB\""));
    }
}
