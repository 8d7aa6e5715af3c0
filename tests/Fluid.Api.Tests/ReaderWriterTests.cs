using Fluid.Api.Datasets;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Api.Runtimes;

namespace Fluid.Api.Tests;

public class ReaderWriterTests
{
    private const string DatasetYaml = "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: demo\nspec:\n  mounts:\n    - mountPoint: local:///srv/demo\n      name: demo\n";
    private const string RuntimeYaml = "apiVersion: data.fluid.io/v1alpha1\nkind: FluidCacheRuntime\nmetadata:\n  name: demo\nspec:\n  tieredstore:\n    levels:\n      - mediumtype: MEM\n        path: /dev/shm/demo\n        quota: 1Gi\n";

    [Fact]
    public void Read_MultiDocumentYaml_KeepsOrderTypesAndPositions()
    {
        var set = ManifestReader.Read(DatasetYaml + "---\n" + RuntimeYaml, "demo.yaml");

        Assert.True(set.IsValid);
        Assert.Collection(set.Entries,
            e => Assert.Equal((typeof(Dataset), 1), (e.Object.GetType(), e.Position.Line)),
            e => Assert.Equal((typeof(FluidCacheRuntime), 10), (e.Object.GetType(), e.Position.Line)));
        var dataset = Assert.Single(set.Datasets);
        Assert.Same(set.Runtimes.Single(), set.FindRuntime(dataset));
        Assert.Equal("/demo", dataset.Spec!.Mounts![0].MountPath());
        Assert.Equal(Quantity.Parse("1Gi"), set.Runtimes.Single().Spec!.TieredStore!.Levels![0].Quota);
    }

    [Fact]
    public void Read_JsonArray_And_YamlFlowMapping_AreAccepted()
    {
        var json = ManifestReader.Read("[" + ManifestWriter.ToJson(ManifestReader.Read(DatasetYaml).Objects[0]) + "]", "a.json");
        var flow = ManifestReader.Read("{apiVersion: data.fluid.io/v1alpha1, kind: Dataset, metadata: {name: demo}, spec: {mounts: [{mountPoint: 'local:///srv/demo', name: demo}]}}", "flow.yaml");

        Assert.True(json.IsValid);
        Assert.True(flow.IsValid);
        Assert.Equal(json.Objects, flow.Objects);
    }

    [Fact]
    public void Read_JsonSyntaxError_NamesLineAndColumn()
    {
        var set = ManifestReader.Read("{\n  \"apiVersion\": \"data.fluid.io/v1alpha1\",\n  \"kind\": \"Dataset\" \"metadata\": {}\n}", "bad.json");

        var problem = Assert.Single(set.Problems);
        Assert.StartsWith("bad.json:3:", problem.Subject, StringComparison.Ordinal);
        Assert.StartsWith("JSON syntax error", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SyntaxErrorInSecondDocument_KeepsTheFirst()
    {
        var set = ManifestReader.Read(DatasetYaml + "---\nkind: [unclosed\n", "two.yaml");

        Assert.Single(set.Datasets);
        Assert.Equal("two.yaml:11:1", Assert.Single(set.Problems).Subject);
    }

    [Fact]
    public void Read_AnchorsAndMergeKeys_AreResolved()
    {
        var yaml = DatasetYaml.Replace("  mounts:\n", "  sharedOptions: &opts\n    region: eu-1\n  mounts:\n", StringComparison.Ordinal)
            .Replace("      name: demo\n", "      name: demo\n      options:\n        <<: *opts\n        endpoint: http://minio:9000\n", StringComparison.Ordinal);

        var dataset = ManifestReader.Read(yaml).Datasets.Single();

        Assert.Equal(ValueMap.Of(("endpoint", "http://minio:9000"), ("region", "eu-1")), dataset.Spec!.Mounts![0].Options);
    }

    [Fact]
    public void Read_NonFluidObjects_AreKeptAsWritten()
    {
        const string pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: trainer\nspec:\n  containers:\n    - name: main\n      image: pytorch:2\n      args:\n        - \"--epochs\"\n        - '3'\n  volumes:\n    - name: data\n      persistentVolumeClaim:\n        claimName: demo\n";

        var set = ManifestReader.Read(DatasetYaml + "---\n" + pod, "app.yaml");
        var kept = Assert.Single(set.Unstructured);

        Assert.True(set.IsValid);
        Assert.Equal(("Pod", "trainer"), (kept.Kind, kept.Metadata!.Name));
        Assert.EndsWith(pod, ManifestWriter.ToYaml(set.Objects), StringComparison.Ordinal);
        Assert.Contains("\"args\":[\"--epochs\",\"3\"]", kept.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_KubernetesList_IsExpanded()
    {
        var list = ManifestWriter.ToJson(ManifestReader.Read(DatasetYaml + "---\n" + RuntimeYaml).Objects);

        Assert.Contains("\"kind\": \"List\"", list, StringComparison.Ordinal);
        Assert.Equal(2, ManifestReader.Read(list).Objects.Count);
    }

    [Fact]
    public void Combine_ResolvesReferencesAcrossFiles()
    {
        var runtimeAlone = ManifestReader.Read(RuntimeYaml, "runtime.yaml");
        var both = ManifestSet.Combine([ManifestReader.Read(DatasetYaml, "dataset.yaml"), runtimeAlone]);
        var other = ManifestSet.Combine([ManifestReader.Read(DatasetYaml.Replace("name: demo\nspec", "name: other\nspec", StringComparison.Ordinal), "dataset.yaml"), runtimeAlone]);

        Assert.False(runtimeAlone.IsValid);
        Assert.True(both.IsValid);
        Assert.Equal(
            "FluidCacheRuntime/demo: no Dataset \"demo\" in namespace \"default\" in these files (a runtime binds to the Dataset of the same name and namespace)",
            Assert.Single(other.Problems).ToString());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/text")]
    [InlineData("/text/wiki/2024")]
    [InlineData("/demo/")]
    public void DataLoad_TargetInsideOrAboveAMount_IsAccepted(string target)
    {
        var yaml = DatasetYaml + "    - mountPoint: local:///srv/wiki\n      name: wiki\n      path: /text/wiki\n---\n" +
            "apiVersion: data.fluid.io/v1alpha1\nkind: DataLoad\nmetadata:\n  name: load\nspec:\n  dataset:\n    name: demo\n  target:\n    - path: " + target + "\n";

        Assert.Empty(ManifestReader.Read(yaml).Problems);
    }

    [Fact]
    public void FromObjects_ChecksObjectsBuiltInCode()
    {
        var dataset = new Dataset
        {
            Metadata = new ObjectMeta { Name = "demo" },
            Spec = new DatasetSpec { Mounts = [new Mount { MountPoint = "gs://bucket/x", Name = "x" }] },
        };
        var runtime = new FluidCacheRuntime
        {
            Metadata = new ObjectMeta { Name = "demo" },
            Spec = new FluidCacheRuntimeSpec { TieredStore = new TieredStore { Levels = [new Level { Path = "/dev/shm", Quota = Quantity.Parse("1Gi") }] } },
        };

        var set = ManifestSet.FromObjects([dataset, runtime]);

        Assert.Equal(
            [
                "Dataset/demo: spec.mounts[0].mountPoint: scheme \"gs\" is not supported (use s3://, http(s)://, pvc://, local://)",
                "FluidCacheRuntime/demo: spec.tieredstore.levels[0].mediumtype: is required",
            ],
            set.Problems.Select(p => p.ToString()));
    }

    [Fact]
    public void Defaults_AreFluids_AndOurs()
    {
        var spec = new FluidCacheRuntimeSpec();
        var level = new Level { Path = "/a, /b", Quota = Quantity.Parse("10Gi") };

        Assert.Equal(1, spec.EffectiveReplicas());
        Assert.Equal("1Mi", spec.EffectivePageSize().ToString());
        Assert.Equal(TimeSpan.FromSeconds(60), spec.EffectiveMetadataTtl().Value);
        Assert.Equal(TimeSpan.FromSeconds(30), spec.EffectiveSourceTimeout().Value);
        Assert.Equal(3, spec.EffectiveSourceRetries());
        Assert.True(spec.EffectiveAutoSync());
        Assert.Equal(FuseCleanPolicy.OnRuntimeDeleted, spec.EffectiveCleanPolicy());
        Assert.Equal(VolumeType.HostPath, level.EffectiveVolumeType());
        Assert.Equal(["/a", "/b"], level.Directories());
        Assert.Equal([Quantity.Parse("5Gi"), Quantity.Parse("5Gi")], level.DirectoryQuotas());
        Assert.Equal([Quantity.Parse("1Gi"), Quantity.Parse("2Gi")], (level with { QuotaList = "1Gi,2Gi" }).DirectoryQuotas());
        Assert.Equal([PersistentVolumeAccessMode.ReadOnlyMany], new DatasetSpec().EffectiveAccessModes());
        Assert.Equal(PlacementMode.Exclusive, new DatasetSpec().EffectivePlacement());
    }

    [Fact]
    public void ToYaml_QuotesStringsThatWouldReadAsOtherTypes()
    {
        var dataset = new Dataset
        {
            Metadata = new ObjectMeta { Name = "demo", Labels = ValueMap.Of(("enabled", "true"), ("version", "1.10"), ("plain", "text"), ("answer", "yes"), ("empty", "")) },
            Spec = new DatasetSpec { Mounts = [new Mount { MountPoint = "local:///srv", Name = "on", ReadOnly = false }], SharedOptions = ValueMap<string>.Empty },
        };

        var yaml = ManifestWriter.ToYaml(dataset);

        Assert.Equal(
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: demo\n  labels:\n    enabled: \"true\"\n    version: \"1.10\"\n    plain: text\n    answer: \"yes\"\n    empty: \"\"\n" +
            "spec:\n  mounts:\n    - mountPoint: local:///srv\n      name: \"on\"\n      readOnly: false\n  sharedOptions: {}\n",
            yaml);
        Assert.Equal(dataset, ManifestReader.Read(yaml).Objects.Single());
    }

    [Fact]
    public void Records_CompareByValue_IncludingCollections()
    {
        Mount Make() => new() { MountPoint = "s3://b/x", Name = "x", Options = ValueMap.Of(("a", "1"), ("b", "2")) };

        Assert.Equal(Make(), Make());
        Assert.Equal(Make().GetHashCode(), Make().GetHashCode());
        Assert.Equal(Make(), Make() with { Options = ValueMap.Of(("b", "2"), ("a", "1")) });
        Assert.NotEqual(Make(), Make() with { Options = ValueMap.Of(("a", "1")) });
        Assert.NotEqual(ValueList.Of(1, 2), ValueList.Of(2, 1));
    }

    [Fact]
    public void ProblemMessages_NeverPrintOptionValues()
    {
        var yaml = DatasetYaml + "      options:\n        aws.secretKey: hunter2\n        password: hunter3\n";

        var text = string.Join("\n", ManifestReader.Read(yaml).Problems);

        Assert.Contains("aws.secretKey", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter", text, StringComparison.Ordinal);
    }
}
