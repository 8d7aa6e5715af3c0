using Fluid.Api.Datasets;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;

namespace Fluid.Api.Tests;

public class TrickyValueTests
{
    [Theory]
    [InlineData("a: b")]
    [InlineData("- item")]
    [InlineData("#not a comment")]
    [InlineData(" leading space")]
    [InlineData("trailing space ")]
    [InlineData("line one\nline two\n")]
    [InlineData("tab\there")]
    [InlineData("quote \" and ' both")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("0x1F")]
    [InlineData("1e3")]
    [InlineData("2024-05-01")]
    [InlineData(".inf")]
    [InlineData("Off")]
    [InlineData("*alias")]
    [InlineData("&anchor")]
    [InlineData("!tag")]
    [InlineData("{flow}")]
    [InlineData("[flow]")]
    [InlineData("ünïcödé ✓")]
    [InlineData("")]
    [InlineData("<<")]
    public void OptionValue_SurvivesYamlAndJsonRoundTrips(string value)
    {
        var dataset = new Dataset
        {
            Metadata = new ObjectMeta { Name = "demo", Annotations = ValueMap.Of(("note", value)) },
            Spec = new DatasetSpec { Mounts = [new Mount { MountPoint = "local:///srv", Name = "srv", Options = ValueMap.Of(("value", value)) }] },
        };

        var fromYaml = ManifestReader.Read(ManifestWriter.ToYaml(dataset));
        var fromJson = ManifestReader.Read(ManifestWriter.ToJson(dataset));

        Assert.Empty(fromYaml.Problems);
        Assert.Equal(dataset, Assert.Single(fromYaml.Objects));
        Assert.Equal(dataset, Assert.Single(fromJson.Objects));
    }
}
