using Fluid.Api.Core;
using Fluid.Api.Datasets;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;
using Fluid.Operator.Resources;
using k8s.Models;

namespace Fluid.Operator.Tests.Harness;

/// <summary>Datasets, runtimes and loads for tests, from the repository's examples or built in code.</summary>
public static class Samples
{
    /// <summary>The Dataset and runtime of examples/s3/imagenet.yaml (namespace training).</summary>
    public static (DatasetResource Dataset, FluidCacheRuntimeResource Runtime) ImageNet(string? ns = null)
    {
        var set = ManifestReader.Read(File.ReadAllText(Repo.PathOf("examples", "s3", "imagenet.yaml")), "imagenet.yaml");
        Assert.True(set.IsValid, string.Join("\n", set.Problems));
        var dataset = set.Datasets.Single();
        var runtime = set.Runtimes.Single();
        return (ToResource(dataset, ns), ToResource(runtime, ns));
    }

    public static DatasetResource ToResource(Dataset dataset, string? ns = null) => new()
    {
        Metadata = Meta(dataset.Metadata!, ns),
        Spec = dataset.Spec,
    };

    public static FluidCacheRuntimeResource ToResource(FluidCacheRuntime runtime, string? ns = null) => new()
    {
        Metadata = Meta(runtime.Metadata!, ns),
        Spec = runtime.Spec,
    };

    /// <summary>A small Dataset on an HTTP source.</summary>
    public static DatasetResource Dataset(string name, string ns = "default", PlacementMode? placement = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new DatasetSpec
        {
            Mounts = ValueList.Of(new Mount { MountPoint = "https://mirror.example.com/data", Name = "data" }),
            Placement = placement,
        },
    };

    /// <summary>A runtime with one emptyDir memory tier.</summary>
    public static FluidCacheRuntimeResource Runtime(string name, string ns = "default", int replicas = 1, string volumeType = "emptyDir") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new FluidCacheRuntimeSpec
        {
            Replicas = replicas,
            TieredStore = new TieredStore
            {
                Levels = ValueList.Of(new Level
                {
                    MediumType = MediumType.MEM,
                    VolumeType = volumeType == "emptyDir" ? VolumeType.EmptyDir : VolumeType.HostPath,
                    Path = "/dev/shm/fluid",
                    Quota = Quantity.Parse("2Gi"),
                }),
            },
        },
    };

    /// <summary>A DataLoad of <paramref name="dataset"/>.</summary>
    public static DataLoadResource Load(string name, string dataset, string ns = "default", params string[] paths) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new DataLoadSpec
        {
            Dataset = new TargetDataset { Name = dataset, Namespace = ns },
            Target = paths.Length > 0 ? new ValueList<TargetPath>(paths.Select(p => new TargetPath { Path = p })) : null,
        },
    };

    private static V1ObjectMeta Meta(ObjectMeta meta, string? ns) => new()
    {
        Name = meta.Name,
        NamespaceProperty = ns ?? meta.Namespace ?? "default",
        Labels = meta.Labels?.ToDictionary(p => p.Key, p => p.Value),
        Annotations = meta.Annotations?.ToDictionary(p => p.Key, p => p.Value),
    };
}
