using Fluid.Api.Crds;
using YamlDotNet.RepresentationModel;

namespace Fluid.Api.Tests;

public class CrdTests
{
    [Fact]
    public void CommittedCrds_MatchWhatTheCodeGenerates()
    {
        var generated = CrdGenerator.Generate();

        foreach (var crd in generated)
        {
            var path = Path.Combine(Repo.CrdDirectory, crd.FileName);
            Assert.True(File.Exists(path), $"{path} is missing; run ./fluid crds");
            Assert.True(File.ReadAllText(path) == crd.Yaml, $"{path} differs from the generated CRD; run ./fluid crds and commit the result");
        }

        Assert.Equal(
            generated.Select(c => c.FileName).Order(StringComparer.Ordinal),
            Directory.GetFiles(Repo.CrdDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DatasetCrd_HasFluidsColumnsAndStatusSubresource()
    {
        var version = Version("data.fluid.io_datasets.yaml", out var spec);

        Assert.Equal("datasets.data.fluid.io", Root("data.fluid.io_datasets.yaml")["metadata"]["name"].ToString());
        Assert.Equal("dataset", ((YamlSequenceNode)spec["names"]["shortNames"])[0].ToString());
        Assert.Equal(
            ["Ufs Total Size=.status.ufsTotal", "Cached=.status.cacheStates.cached", "Cache Capacity=.status.cacheStates.cacheCapacity",
             "Cached Percentage=.status.cacheStates.cachedPercentage", "Phase=.status.phase", "HCFS URL=.status.hcfs.endpoint",
             "TOTAL FILES=.status.fileNum", "CACHE HIT RATIO=.status.cacheStates.cacheHitRatio", "Age=.metadata.creationTimestamp"],
            Columns(version));
        Assert.True(((YamlMappingNode)version["subresources"]).Children.ContainsKey("status"));
        var mounts = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["mounts"];
        Assert.Equal("1", mounts["minItems"].ToString());
        Assert.Equal("mountPoint", ((YamlSequenceNode)mounts["items"]["required"])[0].ToString());
    }

    [Fact]
    public void RuntimeCrd_HasShortNameScaleAndTierSchema()
    {
        var version = Version("data.fluid.io_fluidcacheruntimes.yaml", out var spec);
        var scale = version["subresources"]["scale"];
        var level = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["tieredstore"]["properties"]["levels"]["items"];

        Assert.Equal("fcache", ((YamlSequenceNode)spec["names"]["shortNames"])[0].ToString());
        Assert.Equal("fluidcacheruntimes", spec["names"]["plural"].ToString());
        Assert.Equal(".spec.replicas", scale["specReplicasPath"].ToString());
        Assert.Equal(".status.currentWorkerNumberScheduled", scale["statusReplicasPath"].ToString());
        Assert.Equal(".status.selector", scale["labelSelectorPath"].ToString());
        Assert.Equal(["MEM", "SSD", "HDD"], ((YamlSequenceNode)level["properties"]["mediumtype"]["enum"]).Select(n => n.ToString()));
        Assert.Equal(["mediumtype", "path"], ((YamlSequenceNode)level["required"]).Select(n => n.ToString()));
        Assert.Equal("hostPath", level["properties"]["volumeType"]["default"].ToString());
        Assert.Equal("true", level["properties"]["quota"]["x-kubernetes-int-or-string"].ToString());
        Assert.Contains("Worker Phase=.status.workerPhase", Columns(version));
    }

    [Fact]
    public void DataLoadCrd_DefaultsPolicyToOnce_AndShowsFluidsColumns()
    {
        var version = Version("data.fluid.io_dataloads.yaml", out var spec);
        var policy = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["policy"];

        Assert.Equal("load", ((YamlSequenceNode)spec["names"]["shortNames"])[0].ToString());
        Assert.Equal("Once", policy["default"].ToString());
        Assert.Equal(["Once", "Cron", "OnEvent"], ((YamlSequenceNode)policy["enum"]).Select(n => n.ToString()));
        Assert.Equal(["Dataset=.spec.dataset.name", "Phase=.status.phase", "Age=.metadata.creationTimestamp", "Duration=.status.duration"], Columns(version));
    }

    private static YamlMappingNode Root(string file)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(CrdGenerator.Generate().Single(c => c.FileName == file).Yaml));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlMappingNode Version(string file, out YamlMappingNode spec)
    {
        spec = (YamlMappingNode)Root(file)["spec"];
        return (YamlMappingNode)((YamlSequenceNode)spec["versions"]).Single();
    }

    private static List<string> Columns(YamlMappingNode version) =>
        [.. ((YamlSequenceNode)version["additionalPrinterColumns"]).Select(c => $"{c["name"]}={c["jsonPath"]}")];
}
