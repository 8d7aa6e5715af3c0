using System.Collections;
using System.Globalization;
using Fluid.Api.Meta;
using Fluid.Api.Serialization;

namespace Fluid.Api.Manifests;

/// <summary>
/// Turns parsed nodes into API objects, reporting every wrong type, unknown field and unknown enum value
/// with its path instead of stopping at the first.
/// </summary>
internal sealed class Binder
{
    // Fields Kubernetes adds to metadata that these types do not keep; reading them is not an error.
    private static readonly HashSet<string> IgnoredMetadataFields = ["generateName", "selfLink", "managedFields", "deletionGracePeriodSeconds"];

    private readonly ProblemSink _sink;

    public Binder(ProblemSink sink) => _sink = sink;

    public T? Bind<T>(Node node, string? path)
        where T : class => Bind(node, typeof(T), path) as T;

    public object? Bind(Node node, Type type, string? path)
    {
        if (node is ScalarNode { Kind: ScalarKind.Null })
        {
            return null;
        }

        if (TypeModel.IsList(type, out var element))
        {
            return BindList(node, element, path);
        }

        if (TypeModel.IsMap(type, out element))
        {
            return BindMap(node, element, path);
        }

        if (TypeModel.IsObject(type))
        {
            return BindObject(node, type, path);
        }

        if (node is not ScalarNode scalar)
        {
            _sink.Error(path, $"must be {Describe(type)}, not a {(node is MapNode ? "mapping" : "list")}", node.Start);
            return null;
        }

        return BindScalar(scalar, type, path);
    }

    private object? BindObject(Node node, Type type, string? path)
    {
        if (node is not MapNode map)
        {
            _sink.Error(path, $"must be a mapping (key: value), not {Found(node)}", node.Start);
            return null;
        }

        var model = TypeModel.Of(type);
        var instance = Activator.CreateInstance(type)!;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Entries)
        {
            var fieldPath = FieldPath.Child(path, key.Value);
            if (!seen.Add(key.Value))
            {
                _sink.Error(fieldPath, "duplicate field", key.Start);
                continue;
            }

            if (!model.ByJsonName.TryGetValue(key.Value, out var field))
            {
                if (type == typeof(ObjectMeta) && IgnoredMetadataFields.Contains(key.Value))
                {
                    continue;
                }

                var nearest = NearestName.Find(key.Value, model.ByJsonName.Keys);
                if (nearest is not null)
                {
                    // The misspelt field stands for the real one: do not also call the real one missing.
                    _sink.MarkReported(FieldPath.Child(path, nearest));
                }

                _sink.Error(fieldPath, nearest is null
                    ? $"unknown field (known fields: {string.Join(", ", model.ByJsonName.Keys)})"
                    : $"unknown field (did you mean \"{nearest}\"?)", key.Start);
                continue;
            }

            if (field.Property.SetMethod is null)
            {
                continue;
            }

            var bound = Bind(value, field.ValueType, fieldPath);
            if (bound is not null)
            {
                field.Property.SetValue(instance, bound);
            }
        }

        return instance;
    }

    private object? BindList(Node node, Type element, string? path)
    {
        if (node is not SeqNode seq)
        {
            _sink.Error(path, $"must be a list, not {Found(node)}", node.Start);
            return null;
        }

        var items = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var itemPath = FieldPath.Index(path, i);
            var item = Bind(seq.Items[i], element, itemPath);
            if (item is null)
            {
                if (seq.Items[i] is ScalarNode { Kind: ScalarKind.Null })
                {
                    _sink.Error(itemPath, "must not be empty", seq.Items[i].Start);
                }

                // The list is not really short: one of its items is wrong, and that is reported.
                _sink.MarkReported(path);

                continue;
            }

            items.Add(item);
        }

        return Activator.CreateInstance(typeof(ValueList<>).MakeGenericType(element), items);
    }

    private object? BindMap(Node node, Type element, string? path)
    {
        if (node is not MapNode map)
        {
            _sink.Error(path, $"must be a mapping (key: value), not {Found(node)}", node.Start);
            return null;
        }

        var entryType = typeof(KeyValuePair<,>).MakeGenericType(typeof(string), element);
        var entries = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(entryType))!;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Entries)
        {
            var entryPath = FieldPath.Key(path, key.Value);
            if (!seen.Add(key.Value))
            {
                _sink.Error(entryPath, "duplicate key", key.Start);
                continue;
            }

            var bound = value is ScalarNode { Kind: ScalarKind.Null } && element == typeof(string)
                ? string.Empty
                : Bind(value, element, entryPath);
            if (bound is not null)
            {
                entries.Add(Activator.CreateInstance(entryType, key.Value, bound));
            }
        }

        return Activator.CreateInstance(typeof(ValueMap<>).MakeGenericType(element), entries);
    }

    private object? BindScalar(ScalarNode scalar, Type type, string? path)
    {
        var text = scalar.Value;
        if (type == typeof(string))
        {
            if (scalar.Kind == ScalarKind.String)
            {
                return text;
            }

            _sink.Error(path, $"must be a string (write it in quotes: \"{text}\")", scalar.Start);
            return null;
        }

        if (type == typeof(int) || type == typeof(long))
        {
            if (scalar.Kind != ScalarKind.Int || !NodeWriter.TryParseInteger(text, out var number))
            {
                _sink.Error(path, scalar.Kind == ScalarKind.String && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                    ? $"must be an integer, not a string (write {text} without quotes)"
                    : $"must be an integer, not \"{text}\"", scalar.Start);
                return null;
            }

            if (type == typeof(int))
            {
                if (number is < int.MinValue or > int.MaxValue)
                {
                    _sink.Error(path, $"{text} is out of range for a 32-bit integer", scalar.Start);
                    return null;
                }

                return (int)number;
            }

            return number;
        }

        if (type == typeof(bool))
        {
            if (scalar.Kind == ScalarKind.Bool)
            {
                return ScalarResolver.IsTrue(text);
            }

            _sink.Error(path, $"must be true or false, not \"{text}\"", scalar.Start);
            return null;
        }

        if (type == typeof(Quantity))
        {
            if (scalar.Kind is ScalarKind.String or ScalarKind.Int or ScalarKind.Float && Quantity.TryParse(text, out var quantity, out var error))
            {
                return quantity;
            }

            _sink.Error(path, $"\"{text}\" is not a valid quantity (e.g. 10Gi, 500M, 100m)", scalar.Start);
            return null;
        }

        if (type == typeof(Duration))
        {
            if (scalar.Kind == ScalarKind.String && Duration.TryParse(text, out var duration, out var error))
            {
                return duration;
            }

            _sink.Error(path, $"\"{text}\" is not a valid duration (e.g. 60s, 1m30s, 250ms, 2h)", scalar.Start);
            return null;
        }

        if (type == typeof(DateTimeOffset))
        {
            if (scalar.Kind == ScalarKind.String && KubernetesTimeJsonConverter.TryParse(text, out var time))
            {
                return time;
            }

            _sink.Error(path, $"\"{text}\" is not an RFC 3339 time (e.g. 2024-05-01T10:00:00Z)", scalar.Start);
            return null;
        }

        if (type.IsEnum)
        {
            if (scalar.Kind == ScalarKind.String && text.Length == 0)
            {
                // Fluid allows "" where it means "not set".
                return null;
            }

            if (scalar.Kind == ScalarKind.String && EnumNames.TryParse(type, text, out var value))
            {
                return value;
            }

            _sink.Error(path, $"unknown value \"{text}\" (use {string.Join(", ", EnumNames.Of(type))})", scalar.Start);
            return null;
        }

        throw new InvalidOperationException($"no binding for {type}");
    }

    private static string Describe(Type type) =>
        type == typeof(string) ? "a string"
        : type == typeof(int) || type == typeof(long) ? "an integer"
        : type == typeof(bool) ? "true or false"
        : type == typeof(Quantity) ? "a quantity"
        : type == typeof(Duration) ? "a duration"
        : type == typeof(DateTimeOffset) ? "a time"
        : "a value";

    private static string Found(Node node) => node switch
    {
        MapNode => "a mapping",
        SeqNode => "a list",
        ScalarNode scalar => $"\"{scalar.Value}\"",
        _ => "a value",
    };
}
