using System.Globalization;
using Fluid.Api.Datasets;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;
using Fluid.Api.Serialization;

namespace Fluid.Api.Crds;

/// <summary>A generated CustomResourceDefinition: its file name under deploy/crds and its YAML.</summary>
public sealed record CrdFile(string FileName, string Yaml);

/// <summary>A column <c>kubectl get</c> shows for a kind.</summary>
public sealed record PrinterColumn(string Name, string Type, string JsonPath, int Priority = 0);

/// <summary>What a CRD needs beyond the schema: names, columns and subresources.</summary>
public sealed record CrdInfo(
    Type Type,
    string Kind,
    string Plural,
    string ShortName,
    IReadOnlyList<PrinterColumn> Columns,
    bool Scale);

/// <summary>Generates the CRDs of the served kinds from the API types (OpenAPI v3 schema, columns, subresources).</summary>
public static class CrdGenerator
{
    private const string Header = "# Generated from src/Fluid.Api by `fluid crds`; do not edit by hand.\n";

    private static readonly HashSet<Type> EnumsAllowingEmpty = [typeof(PlacementMode)];

    /// <summary>The kinds with a CRD, with the columns Fluid shows for them.</summary>
    public static IReadOnlyList<CrdInfo> Kinds { get; } =
    [
        new(typeof(Dataset), Dataset.KindName, "datasets", "dataset",
        [
            new("Ufs Total Size", "string", ".status.ufsTotal"),
            new("Cached", "string", ".status.cacheStates.cached"),
            new("Cache Capacity", "string", ".status.cacheStates.cacheCapacity"),
            new("Cached Percentage", "string", ".status.cacheStates.cachedPercentage"),
            new("Phase", "string", ".status.phase"),
            new("HCFS URL", "string", ".status.hcfs.endpoint", 10),
            new("TOTAL FILES", "string", ".status.fileNum", 11),
            new("CACHE HIT RATIO", "string", ".status.cacheStates.cacheHitRatio", 10),
            new("Age", "date", ".metadata.creationTimestamp"),
        ], Scale: false),
        new(typeof(FluidCacheRuntime), FluidCacheRuntime.KindName, "fluidcacheruntimes", "fcache",
        [
            new("Ready Workers", "integer", ".status.workerNumberReady", 10),
            new("Desired Workers", "integer", ".status.desiredWorkerNumberScheduled", 10),
            new("Worker Phase", "string", ".status.workerPhase"),
            new("Ready Fuses", "integer", ".status.fuseNumberReady", 10),
            new("Desired Fuses", "integer", ".status.desiredFuseNumberScheduled", 10),
            new("Fuse Phase", "string", ".status.fusePhase"),
            new("Age", "date", ".metadata.creationTimestamp"),
        ], Scale: true),
        new(typeof(DataLoad), DataLoad.KindName, "dataloads", "load",
        [
            new("Dataset", "string", ".spec.dataset.name"),
            new("Phase", "string", ".status.phase"),
            new("Age", "date", ".metadata.creationTimestamp"),
            new("Duration", "string", ".status.duration"),
        ], Scale: false),
    ];

    public static IReadOnlyList<CrdFile> Generate() => [.. Kinds.Select(Generate)];

    public static CrdFile Generate(CrdInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var singular = info.Kind.ToLowerInvariant();
        var subresources = new MapNode();
        if (info.Scale)
        {
            subresources.Entries.Add(Entry("scale", Map(
                ("labelSelectorPath", Str(".status.selector")),
                ("specReplicasPath", Str(".spec.replicas")),
                ("statusReplicasPath", Str(".status.currentWorkerNumberScheduled")))));
        }

        subresources.Entries.Add(Entry("status", new MapNode()));

        var columns = new SeqNode();
        foreach (var column in info.Columns)
        {
            var node = Map(("jsonPath", Str(column.JsonPath)), ("name", Str(column.Name)));
            if (column.Priority != 0)
            {
                node.Entries.Add(Entry("priority", Int(column.Priority)));
            }

            node.Entries.Add(Entry("type", Str(column.Type)));
            columns.Items.Add(node);
        }

        var crd = Map(
            ("apiVersion", Str("apiextensions.k8s.io/v1")),
            ("kind", Str("CustomResourceDefinition")),
            ("metadata", Map(("name", Str($"{info.Plural}.{FluidApi.Group}")))),
            ("spec", Map(
                ("group", Str(FluidApi.Group)),
                ("names", Map(
                    ("categories", Seq(Str("fluid"))),
                    ("kind", Str(info.Kind)),
                    ("listKind", Str(info.Kind + "List")),
                    ("plural", Str(info.Plural)),
                    ("shortNames", Seq(Str(info.ShortName))),
                    ("singular", Str(singular)))),
                ("scope", Str("Namespaced")),
                ("versions", Seq(Map(
                    ("additionalPrinterColumns", columns),
                    ("name", Str(FluidApi.Version)),
                    ("schema", Map(("openAPIV3Schema", RootSchema(info.Type)))),
                    ("served", Bool(true)),
                    ("storage", Bool(true)),
                    ("subresources", subresources)))))));
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        NodeWriter.WriteYamlDocuments(writer, [crd]);
        return new CrdFile($"{FluidApi.Group}_{info.Plural}.yaml", Header + writer);
    }

    private static MapNode RootSchema(Type type)
    {
        var properties = new SortedDictionary<string, Node>(StringComparer.Ordinal)
        {
            ["apiVersion"] = Map(
                ("description", Str("APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources")),
                ("type", Str("string"))),
            ["kind"] = Map(
                ("description", Str("Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds")),
                ("type", Str("string"))),
            ["metadata"] = Map(("type", Str("object"))),
        };
        var model = TypeModel.Of(type);
        foreach (var field in model.Fields.Where(f => f.JsonName is "spec" or "status"))
        {
            properties[field.JsonName] = Schema(field.ValueType, field);
        }

        return Sorted(new()
        {
            ["description"] = Str(model.Description ?? type.Name),
            ["properties"] = Sorted(properties),
            ["type"] = Str("object"),
        });
    }

    private static MapNode Schema(Type type, FieldModel? field)
    {
        var schema = new SortedDictionary<string, Node>(StringComparer.Ordinal);
        var description = field?.Description ?? TypeModel.Of(type).Description;
        if (TypeModel.IsObject(type) && field?.Description is null)
        {
            description = TypeModel.Of(type).Description;
        }

        if (description is not null)
        {
            schema["description"] = Str(description);
        }

        if (field?.Default is { } defaultValue)
        {
            schema["default"] = defaultValue switch
            {
                bool b => Bool(b),
                int i => Int(i),
                _ => Str(Convert.ToString(defaultValue, CultureInfo.InvariantCulture)!),
            };
        }

        if (TypeModel.IsList(type, out var element))
        {
            schema["type"] = Str("array");
            schema["items"] = Schema(element, null);
            if (field?.MinLength is { } minItems)
            {
                schema["minItems"] = Int(minItems);
            }
        }
        else if (TypeModel.IsMap(type, out element))
        {
            schema["type"] = Str("object");
            schema["additionalProperties"] = Schema(element, null);
        }
        else if (TypeModel.IsObject(type))
        {
            var model = TypeModel.Of(type);
            var properties = new SortedDictionary<string, Node>(StringComparer.Ordinal);
            foreach (var child in model.Fields)
            {
                properties[child.JsonName] = Schema(child.ValueType, child);
            }

            schema["type"] = Str("object");
            schema["properties"] = Sorted(properties);
            var required = model.Fields.Where(f => f.Required).Select(f => f.JsonName).Order(StringComparer.Ordinal).ToList();
            if (required.Count > 0)
            {
                schema["required"] = Seq([.. required.Select(Str)]);
            }
        }
        else if (type == typeof(Quantity))
        {
            schema["anyOf"] = Seq(Map(("type", Str("integer"))), Map(("type", Str("string"))));
            schema["pattern"] = Str(@"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$");
            schema["x-kubernetes-int-or-string"] = Bool(true);
        }
        else if (type.IsEnum)
        {
            var names = EnumNames.Of(type).ToList();
            if (EnumsAllowingEmpty.Contains(type))
            {
                names.Add(string.Empty);
            }

            schema["enum"] = Seq([.. names.Select(Str)]);
            schema["type"] = Str("string");
        }
        else
        {
            var (schemaType, format) = type switch
            {
                _ when type == typeof(int) => ("integer", "int32"),
                _ when type == typeof(long) => ("integer", "int64"),
                _ when type == typeof(bool) => ("boolean", null),
                _ when type == typeof(DateTimeOffset) => ("string", "date-time"),
                _ => ("string", (string?)null),
            };
            schema["type"] = Str(schemaType);
            if (format is not null)
            {
                schema["format"] = Str(format);
            }

            if (field?.MinLength is { } minLength && type == typeof(string))
            {
                schema["minLength"] = Int(minLength);
            }

            if (field?.Pattern is { } pattern)
            {
                schema["pattern"] = Str(pattern);
            }

            if (field?.Minimum is { } minimum && minimum > (type == typeof(int) ? int.MinValue : long.MinValue))
            {
                schema["minimum"] = Int(minimum);
            }

            if (field?.Maximum is { } maximum && maximum < (type == typeof(int) ? int.MaxValue : long.MaxValue))
            {
                schema["maximum"] = Int(maximum);
            }
        }

        return Sorted(schema);
    }

    private static MapNode Sorted(SortedDictionary<string, Node> entries)
    {
        var map = new MapNode();
        foreach (var (key, value) in entries)
        {
            map.Entries.Add(Entry(key, value));
        }

        return map;
    }

    private static MapEntry Entry(string key, Node value) => new(ScalarNode.String(key), value);

    private static MapNode Map(params (string Key, Node Value)[] entries)
    {
        var map = new MapNode();
        foreach (var (key, value) in entries)
        {
            map.Entries.Add(Entry(key, value));
        }

        return map;
    }

    private static SeqNode Seq(params Node[] items)
    {
        var seq = new SeqNode();
        seq.Items.AddRange(items);
        return seq;
    }

    private static ScalarNode Str(string value) => ScalarNode.String(value);

    private static ScalarNode Int(long value) => new() { Value = value.ToString(CultureInfo.InvariantCulture), Kind = ScalarKind.Int, Style = YamlDotNet.Core.ScalarStyle.Plain };

    private static ScalarNode Bool(bool value) => new() { Value = value ? "true" : "false", Kind = ScalarKind.Bool, Style = YamlDotNet.Core.ScalarStyle.Plain };
}
