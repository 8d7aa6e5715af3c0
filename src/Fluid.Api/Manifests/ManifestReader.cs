using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;
using Fluid.Api.Serialization;
using Fluid.Api.Validation;

namespace Fluid.Api.Manifests;

/// <summary>
/// Reads manifests (multi-document YAML, or JSON: one object, an array, or a Kubernetes List) into typed objects,
/// and checks them, reporting every problem at once.
/// </summary>
public static class ManifestReader
{
    /// <summary>Reads and checks the text of one manifest; <paramref name="sourceName"/> names it in problems.</summary>
    public static ManifestSet Read(string text, string sourceName = "<input>")
    {
        ArgumentNullException.ThrowIfNull(text);
        var problems = new List<Problem>();
        var entries = new List<ManifestEntry>();
        List<ParsedDocument> documents;
        SyntaxError? error;
        var isJson = JsonText.LooksLikeJson(text);
        if (isJson)
        {
            documents = JsonText.Parse(text, out error);
            if (error is not null)
            {
                // A YAML flow mapping also starts with '{'; prefer it when it parses.
                var asYaml = YamlText.Parse(text, out var yamlError);
                if (yamlError is null)
                {
                    (documents, error, isJson) = (asYaml, null, false);
                }
            }
        }
        else
        {
            documents = YamlText.Parse(text, out error);
        }

        if (error is not null)
        {
            problems.Add(new Problem(ProblemSeverity.Error, $"{sourceName}:{error.Start}", null,
                isJson ? error.Message : "YAML syntax error: " + error.Message, sourceName, error.Start));
        }

        foreach (var document in documents)
        {
            if (document.Root is null)
            {
                continue;
            }

            foreach (var node in Expand(document.Root))
            {
                var entry = ReadObject(node, sourceName, problems);
                if (entry is not null)
                {
                    entries.Add(entry);
                }
            }
        }

        return new ManifestSet(entries, problems);
    }

    private static IEnumerable<Node> Expand(Node root)
    {
        if (root is SeqNode seq)
        {
            return seq.Items.SelectMany(Expand);
        }

        if (root is MapNode map && (map["kind"] as ScalarNode)?.Value == "List" && map["items"] is SeqNode items)
        {
            return items.Items.SelectMany(Expand);
        }

        return [root];
    }

    internal static string SubjectOf(string? kind, string? name, string source, Mark? position) =>
        kind is null ? $"{source}:{position}"
        : string.IsNullOrEmpty(name) ? $"{kind} at {source}:{position?.Line}"
        : $"{kind}/{name}";

    private static ManifestEntry? ReadObject(Node node, string source, List<Problem> problems)
    {
        if (node is not MapNode map)
        {
            problems.Add(new Problem(ProblemSeverity.Error, $"{source}:{node.Start}", null,
                "expected an object with apiVersion and kind, found " + (node is SeqNode ? "a list" : $"\"{((ScalarNode)node).Value}\""),
                source, node.Start));
            return null;
        }

        var apiVersion = StringAt(map, "apiVersion");
        var kind = StringAt(map, "kind");
        var name = StringAt(map["metadata"] as MapNode, "name");
        var sink = new ProblemSink(SubjectOf(kind, name, source, map.Start), source, map.Start, problems);
        if (kind is null)
        {
            sink.Error("kind", "is required (for example kind: Dataset)");
            return null;
        }

        var fluidKind = KnownKinds.AllFluidKinds.Contains(kind);
        var fluidGroup = apiVersion?.StartsWith(FluidApi.Group + "/", StringComparison.Ordinal) == true;
        if (apiVersion is null)
        {
            sink.Error("apiVersion", fluidKind ? $"is required (use {FluidApi.ApiVersion})" : "is required");
            if (!fluidKind)
            {
                return null;
            }
        }
        else if (fluidGroup && apiVersion != FluidApi.ApiVersion)
        {
            sink.Error("apiVersion", $"\"{apiVersion}\" is not served (use {FluidApi.ApiVersion})");
        }
        else if (!fluidGroup && fluidKind)
        {
            sink.Error("apiVersion", $"\"{apiVersion}\" is not the API version of {kind} (use {FluidApi.ApiVersion})");
        }
        else if (!fluidGroup)
        {
            // Not a Fluid object (a Secret, a Pod using the dataset, ...): kept as read.
            return new ManifestEntry(Unstructured(map, apiVersion, kind), source, map.Start);
        }

        if (KnownKinds.Supported.TryGetValue(kind, out var type))
        {
            var obj = (IManifestObject?)new Binder(sink).Bind(map, type, null);
            if (obj is null)
            {
                return null;
            }

            CheckTyped(obj, sink);
            return new ManifestEntry(obj, source, map.Start);
        }

        if (fluidKind)
        {
            sink.Error(null, KnownKinds.UnsupportedMessage(kind));
        }
        else
        {
            var nearest = NearestName.Find(kind, KnownKinds.AllFluidKinds);
            sink.Error("kind", nearest is null
                ? $"\"{kind}\" is not a kind of {FluidApi.ApiVersion} (this build runs Dataset, FluidCacheRuntime and DataLoad)"
                : $"\"{kind}\" is not a kind of {FluidApi.ApiVersion} (did you mean \"{nearest}\"?)");
        }

        return new ManifestEntry(Unstructured(map, apiVersion ?? FluidApi.ApiVersion, kind), source, map.Start);
    }

    /// <summary>Runs the schema checks and the kind's own checks on a typed object.</summary>
    internal static void CheckTyped(IManifestObject obj, ProblemSink sink)
    {
        SchemaChecks.Check(obj, null, sink);
        switch (obj)
        {
            case Dataset dataset:
                DatasetChecks.Check(dataset, sink);
                break;
            case FluidCacheRuntime runtime:
                RuntimeChecks.Check(runtime, sink);
                break;
            case DataLoad load:
                DataLoadChecks.Check(load, sink);
                break;
        }
    }

    private static UnstructuredObject Unstructured(MapNode map, string apiVersion, string kind)
    {
        var metadata = map["metadata"] as MapNode;
        return new UnstructuredObject(map, apiVersion, kind, new ObjectMeta
        {
            Name = StringAt(metadata, "name"),
            Namespace = StringAt(metadata, "namespace"),
        });
    }

    private static string? StringAt(MapNode? map, string key) =>
        map?[key] is ScalarNode { Kind: ScalarKind.String } scalar ? scalar.Value : null;
}
