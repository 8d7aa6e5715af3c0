using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;
using Fluid.Api.Validation;

namespace Fluid.Api.Manifests;

/// <summary>Checks that look at several objects: duplicates, runtime-to-dataset binding, DataLoad targets, secret keys.</summary>
internal static class CrossChecks
{
    public static void Check(IReadOnlyList<ManifestEntry> entries, List<Problem> problems)
    {
        var where = entries.Select(e => e.Source).Distinct().Count() > 1 ? "these files" : "this file";
        var seen = new Dictionary<(string Kind, string Ns, string Name), ManifestEntry>();
        var datasets = new Dictionary<(string Ns, string Name), Dataset>();
        var runtimes = new Dictionary<(string Ns, string Name), ManifestEntry>();
        foreach (var entry in entries)
        {
            var obj = entry.Object;
            if (obj.Metadata?.Name is not { Length: > 0 } name)
            {
                continue;
            }

            var ns = obj.NamespaceOrDefault();
            if (!seen.TryAdd((obj.Kind, ns, name), entry))
            {
                var first = seen[(obj.Kind, ns, name)];
                Add(problems, entry, null, $"is defined more than once (first at {first.Source}:{first.Position.Line})");
                continue;
            }

            if (obj is Dataset dataset)
            {
                datasets[(ns, name)] = dataset;
            }

            if (KnownKinds.IsRuntimeKind(obj.Kind) && obj.ApiVersion == FluidApi.ApiVersion)
            {
                if (runtimes.TryGetValue((ns, name), out var other))
                {
                    Add(problems, entry, null, $"Dataset \"{name}\" already has runtime {other.Object.DisplayName()} (a Dataset binds one runtime)");
                }
                else
                {
                    runtimes[(ns, name)] = entry;
                }
            }
        }

        foreach (var entry in entries)
        {
            var obj = entry.Object;
            var ns = obj.NamespaceOrDefault();
            switch (obj)
            {
                case FluidCacheRuntime runtime when runtime.Metadata?.Name is { Length: > 0 } name && !datasets.ContainsKey((ns, name)):
                    Add(problems, entry, null, $"no Dataset \"{name}\" in namespace \"{ns}\" in {where} (a runtime binds to the Dataset of the same name and namespace)");
                    break;
                case DataLoad load when load.Spec?.Dataset?.Name is { Length: > 0 } datasetName:
                    var datasetNs = string.IsNullOrEmpty(load.Spec.Dataset.Namespace) ? ns : load.Spec.Dataset.Namespace;
                    if (!datasets.TryGetValue((datasetNs, datasetName), out var target))
                    {
                        Add(problems, entry, "spec.dataset.name", $"Dataset \"{datasetName}\" is not in {where}; the target paths were not checked against its mounts", ProblemSeverity.Warning);
                    }
                    else
                    {
                        Targets(load, target, entry, problems);
                    }

                    break;
                case Dataset dataset:
                    SecretKeys(dataset, entry, entries, problems, where);
                    break;
            }
        }
    }

    private static void Targets(DataLoad load, Dataset dataset, ManifestEntry entry, List<Problem> problems)
    {
        var mountPaths = (dataset.Spec?.Mounts ?? ValueList<Mount>.Empty)
            .Where(m => !string.IsNullOrEmpty(m.Path) || !string.IsNullOrEmpty(m.Name))
            .Select(m => m.MountPath())
            .ToList();
        if (mountPaths.Count == 0)
        {
            return;
        }

        for (var i = 0; i < (load.Spec?.Target?.Count ?? 0); i++)
        {
            var path = load.Spec!.Target![i].Path;
            if (path is null || !path.StartsWith('/') || Paths.HasDotDot(path))
            {
                continue;
            }

            // A target inside a mount loads part of it; a target above mounts (such as "/") loads them whole.
            if (!mountPaths.Any(root => Paths.IsUnder(path, root) || Paths.IsUnder(root, path)))
            {
                Add(problems, entry, $"spec.target[{i}].path",
                    $"\"{path}\" is not under any mount of Dataset \"{dataset.Metadata?.Name}\" (mount paths: {string.Join(", ", mountPaths)})");
            }
        }
    }

    private static void SecretKeys(Dataset dataset, ManifestEntry entry, IReadOnlyList<ManifestEntry> entries, List<Problem> problems, string where)
    {
        var ns = dataset.NamespaceOrDefault();
        var references = new List<(string Path, SecretKeySelector Selector)>();
        var mounts = dataset.Spec?.Mounts ?? ValueList<Mount>.Empty;
        for (var m = 0; m < mounts.Count; m++)
        {
            Collect(mounts[m].EncryptOptions, $"spec.mounts[{m}].encryptOptions", references);
        }

        Collect(dataset.Spec?.SharedEncryptOptions, "spec.sharedEncryptOptions", references);
        foreach (var (path, selector) in references)
        {
            var secret = entries.Select(e => e.Object).OfType<UnstructuredObject>()
                .FirstOrDefault(o => o.Kind == "Secret" && o.ApiVersion == "v1" && o.Metadata?.Name == selector.Name && o.NamespaceOrDefault() == ns);
            if (secret is null || string.IsNullOrEmpty(selector.Key))
            {
                continue;
            }

            var hasKey = secret.MapAt("data")?[selector.Key] is not null || secret.MapAt("stringData")?[selector.Key] is not null;
            if (!hasKey)
            {
                Add(problems, entry, path + ".valueFrom.secretKeyRef.key", $"Secret \"{selector.Name}\" in {where} has no key \"{selector.Key}\"");
            }
        }
    }

    private static void Collect(ValueList<EncryptOption>? options, string path, List<(string, SecretKeySelector)> into)
    {
        for (var i = 0; i < (options?.Count ?? 0); i++)
        {
            if (options![i].ValueFrom?.SecretKeyRef is { Name: not null } selector)
            {
                into.Add(($"{path}[{i}]", selector));
            }
        }
    }

    private static void Add(List<Problem> problems, ManifestEntry entry, string? path, string message, ProblemSeverity severity = ProblemSeverity.Error) =>
        problems.Add(new Problem(severity, entry.Object.DisplayName(), path, message, entry.Source, entry.Position) { Anchor = entry.Position });
}
