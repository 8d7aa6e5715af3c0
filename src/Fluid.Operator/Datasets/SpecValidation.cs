using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Operator.Resources;

namespace Fluid.Operator.Datasets;

/// <summary>The problems of a Dataset, its runtime and a DataLoad, found by the same checks as <c>fluid validate</c>.</summary>
/// <param name="Dataset">Errors of the Dataset.</param>
/// <param name="Runtime">Errors of the runtime.</param>
/// <param name="DataLoad">Errors of the DataLoad.</param>
public sealed record SpecProblems(IReadOnlyList<string> Dataset, IReadOnlyList<string> Runtime, IReadOnlyList<string> DataLoad)
{
    /// <summary>Checks the given objects together (so cross-object checks apply) and splits the errors by object.</summary>
    public static SpecProblems Check(DatasetResource? dataset, FluidCacheRuntimeResource? runtime = null, DataLoadResource? load = null)
    {
        var objects = new List<IManifestObject>();
        if (dataset is not null)
        {
            objects.Add(dataset.ToManifest());
        }

        if (runtime is not null)
        {
            objects.Add(runtime.ToManifest());
        }

        if (load is not null)
        {
            objects.Add(load.ToManifest());
        }

        var set = ManifestSet.FromObjects(objects, "cluster");
        List<string> ErrorsOf(IManifestObject? obj) => obj is null
            ? []
            : [.. set.Errors.Where(p => p.Subject == obj.DisplayName()).Select(p => p.Path is null ? p.Message : $"{p.Path}: {p.Message}")];

        return new SpecProblems(
            ErrorsOf(dataset?.ToManifest()),
            ErrorsOf(runtime?.ToManifest()),
            ErrorsOf(load?.ToManifest()));
    }
}
