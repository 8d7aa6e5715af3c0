using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fluid.Api.Datasets;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;
using YamlDotNet.RepresentationModel;

namespace Fluid.Api.Tests;

/// <summary>Every example reads, writes and reads back to equal objects, and its YAML keeps Fluid's style.</summary>
public class RoundTripTests
{
    // Plain System.Text.Json settings: the types carry their names and converters themselves.
    private static readonly JsonSerializerOptions PlainOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static TheoryData<string> Examples => new(Repo.Examples());

    private static ManifestSet ReadExample(string file) => ManifestReader.Read(File.ReadAllText(Path.Combine(Repo.Root, file)), file);

    [Fact]
    public void Examples_CoverEachKindAndSource()
    {
        var all = ManifestSet.Combine(Repo.Examples().Select(ReadExample));
        var schemes = all.Datasets.SelectMany(d => d.Spec!.Mounts!).Select(m => m.MountPoint!.Split("://")[0]).ToHashSet();

        Assert.Superset(new HashSet<string> { "s3", "http", "https", "pvc", "local" }, schemes);
        Assert.Contains(all.DataLoads, l => l.Spec!.Policy == OperationPolicy.Once);
        Assert.Contains(all.DataLoads, l => l.Spec!.Policy == OperationPolicy.Cron);
        Assert.Contains(all.Unstructured, u => u.Kind == "AlluxioRuntime");
        Assert.True(all.Runtimes.Count() >= 4);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_IsValid_UnlessItShowsAnUnsupportedKind(string file)
    {
        var set = ReadExample(file);

        Assert.NotEmpty(set.Objects);
        if (file.Contains("unsupported", StringComparison.Ordinal))
        {
            Assert.False(set.IsValid);
            Assert.All(set.Errors, e => Assert.Contains("this build cannot run", e.Message, StringComparison.Ordinal));
        }
        else
        {
            Assert.Empty(set.Errors);
        }
    }

    [Fact]
    public void AllExamplesTogether_HaveNoProblems_ExceptTheUnsupportedOne()
    {
        var all = ManifestSet.Combine(Repo.Examples().Select(ReadExample));

        Assert.Equal(
            ["AlluxioRuntime/imagenet: this build cannot run AlluxioRuntime yet; use kind FluidCacheRuntime with the same tieredstore"],
            all.Problems.Select(p => p.ToString()));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Yaml_WriteThenRead_GivesEqualObjects(string file)
    {
        var set = ReadExample(file);

        var yaml = ManifestWriter.ToYaml(set.Objects);
        var again = ManifestReader.Read(yaml, file);

        Assert.Equal(set.Objects, again.Objects);
        Assert.Equal(set.Problems.Select(p => p.ToString()), again.Problems.Select(p => p.ToString()));
        Assert.Equal(yaml, ManifestWriter.ToYaml(again.Objects));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Json_WriteThenRead_GivesEqualObjects(string file)
    {
        var set = ReadExample(file);

        var json = ManifestWriter.ToJson(set.Objects);
        var again = ManifestReader.Read(json, file);

        Assert.Equal(set.Objects, again.Objects);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Yaml_KeepsFluidStyle_SameKeysAndValues_NoEmptiesAdded(string file)
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, file));
        var written = ManifestWriter.ToYaml(ReadExample(file).Objects);

        Assert.Equal(Flatten(text), Flatten(written));
        Assert.DoesNotContain(": null", written, StringComparison.Ordinal);
        Assert.DoesNotContain("{}", written, StringComparison.Ordinal);
        Assert.DoesNotContain("[]", written, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void TypedObjects_AgreeWithSystemTextJson(string file)
    {
        foreach (var obj in ReadExample(file).Objects.Where(o => o is not UnstructuredObject))
        {
            var json = JsonSerializer.Serialize(obj, obj.GetType(), PlainOptions);

            Assert.Equal(json, ManifestWriter.ToJson(obj, indented: false));
            Assert.Equal(obj, JsonSerializer.Deserialize(json, obj.GetType(), PlainOptions));
        }
    }

    [Fact]
    public void Examples_SetEveryFieldOfEveryType()
    {
        var used = new HashSet<(Type, string)>();
        foreach (var obj in Repo.Examples().SelectMany(f => ReadExample(f).Objects).Where(o => o is not UnstructuredObject))
        {
            Walk(obj, used);
        }

        var missing = new List<string>();
        var types = new HashSet<Type>();
        foreach (var root in new[] { typeof(Dataset), typeof(FluidCacheRuntime), typeof(DataLoad) })
        {
            Reachable(root, types);
        }

        foreach (var type in types)
        {
            foreach (var property in JsonProperties(type))
            {
                if (!used.Contains((type, property.Name)))
                {
                    missing.Add($"{type.Name}.{property.GetCustomAttributes(typeof(JsonPropertyNameAttribute), false).Cast<JsonPropertyNameAttribute>().Single().Name}");
                }
            }
        }

        Assert.True(missing.Count == 0, "fields no example sets: " + string.Join(", ", missing.Order(StringComparer.Ordinal)));
    }

    private static IEnumerable<System.Reflection.PropertyInfo> JsonProperties(Type type) =>
        type.GetProperties().Where(p => p.GetCustomAttributes(typeof(JsonPropertyNameAttribute), false).Length > 0);

    private static bool IsApiRecord(Type type) => type.IsClass && type.Namespace?.StartsWith("Fluid.Api", StringComparison.Ordinal) == true && !type.IsGenericType && JsonProperties(type).Any();

    private static Type Element(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(ValueList<>) || type.GetGenericTypeDefinition() == typeof(ValueMap<>))
            ? type.GetGenericArguments()[0]
            : type;
    }

    private static void Reachable(Type type, HashSet<Type> into)
    {
        if (!IsApiRecord(type) || !into.Add(type))
        {
            return;
        }

        foreach (var property in JsonProperties(type))
        {
            Reachable(Element(property.PropertyType), into);
        }
    }

    private static void Walk(object value, HashSet<(Type, string)> used)
    {
        if (value is System.Collections.IEnumerable items and not string)
        {
            foreach (var item in items)
            {
                var element = item is not null && item.GetType().Name.StartsWith("KeyValuePair", StringComparison.Ordinal)
                    ? item.GetType().GetProperty("Value")!.GetValue(item)
                    : item;
                if (element is not null)
                {
                    Walk(element, used);
                }
            }

            return;
        }

        if (!IsApiRecord(value.GetType()))
        {
            return;
        }

        foreach (var property in JsonProperties(value.GetType()))
        {
            if (property.GetValue(value) is { } child)
            {
                used.Add((value.GetType(), property.Name));
                Walk(child, used);
            }
        }
    }

    /// <summary>Every leaf of every document as "doc/path = value"; a JSON List counts as its items.</summary>
    private static List<string> Flatten(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var documents = new List<YamlNode>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode map && map.Children.TryGetValue("kind", out var kind) && kind.ToString() == "List")
            {
                documents.AddRange(((YamlSequenceNode)map["items"]).Children);
            }
            else
            {
                documents.Add(document.RootNode);
            }
        }

        var leaves = new List<string>();
        for (var i = 0; i < documents.Count; i++)
        {
            Leaves(documents[i], $"{i}", leaves);
        }

        leaves.Sort(StringComparer.Ordinal);
        return leaves;
    }

    private static void Leaves(YamlNode node, string path, List<string> into)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    Leaves(value, path + "." + key, into);
                }

                break;
            case YamlSequenceNode seq:
                for (var i = 0; i < seq.Children.Count; i++)
                {
                    Leaves(seq.Children[i], $"{path}[{i}]", into);
                }

                break;
            case YamlScalarNode scalar:
                into.Add($"{path} = {scalar.Value}");
                break;
        }
    }
}
