using System.Collections.Concurrent;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Serialization;
using Fluid.Api.Meta;

namespace Fluid.Api.Manifests;

/// <summary>The fields of an API type, read once from its properties and attributes; the reader, the checks and the CRD generator share it.</summary>
internal sealed class TypeModel
{
    private static readonly ConcurrentDictionary<Type, TypeModel> Cache = new();

    private TypeModel(Type type)
    {
        Type = type;
        Description = type.GetCustomAttribute<DescriptionAttribute>()?.Description;
        Fields = [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
            .Select(p => new FieldModel(p))];
        ByJsonName = Fields.ToDictionary(f => f.JsonName, StringComparer.Ordinal);
    }

    public Type Type { get; }

    public string? Description { get; }

    public IReadOnlyList<FieldModel> Fields { get; }

    public IReadOnlyDictionary<string, FieldModel> ByJsonName { get; }

    public static TypeModel Of(Type type) => Cache.GetOrAdd(type, t => new TypeModel(t));

    /// <summary>True for the record types that the API is built from (they map to YAML mappings).</summary>
    public static bool IsObject(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("Fluid.Api", StringComparison.Ordinal) == true &&
        !type.IsGenericType && type.GetProperties().Any(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null);

    public static bool IsList(Type type, out Type element) => IsGeneric(type, typeof(ValueList<>), out element);

    public static bool IsMap(Type type, out Type element) => IsGeneric(type, typeof(ValueMap<>), out element);

    private static bool IsGeneric(Type type, Type definition, out Type element)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
        {
            element = type.GetGenericArguments()[0];
            return true;
        }

        element = typeof(object);
        return false;
    }
}

/// <summary>One field of an API type.</summary>
internal sealed class FieldModel
{
    public FieldModel(PropertyInfo property)
    {
        Property = property;
        JsonName = property.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name;
        ValueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        Required = property.GetCustomAttribute<RequiredAttribute>() is not null;
        Default = property.GetCustomAttribute<DefaultValueAttribute>()?.Value;
        Description = property.GetCustomAttribute<DescriptionAttribute>()?.Description;
        MinLength = property.GetCustomAttribute<MinLengthAttribute>()?.Length;
        Pattern = property.GetCustomAttribute<RegularExpressionAttribute>()?.Pattern;
        var range = property.GetCustomAttribute<RangeAttribute>();
        if (range is not null)
        {
            Minimum = Convert.ToInt64(range.Minimum, System.Globalization.CultureInfo.InvariantCulture);
            Maximum = Convert.ToInt64(range.Maximum, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public PropertyInfo Property { get; }

    public string JsonName { get; }

    /// <summary>The property type without <see cref="Nullable{T}"/>.</summary>
    public Type ValueType { get; }

    public bool Required { get; }

    public object? Default { get; }

    public string? Description { get; }

    public int? MinLength { get; }

    public string? Pattern { get; }

    public long? Minimum { get; }

    public long? Maximum { get; }

    public object? GetValue(object target) => Property.GetValue(target);
}

/// <summary>The names an enum is written with (from <see cref="JsonStringEnumMemberNameAttribute"/>).</summary>
internal static class EnumNames
{
    private static readonly ConcurrentDictionary<Type, (string[] Names, Dictionary<string, object> Values)> Cache = new();

    public static IReadOnlyList<string> Of(Type enumType) => Get(enumType).Names;

    public static bool TryParse(Type enumType, string name, out object value) => Get(enumType).Values.TryGetValue(name, out value!);

    public static string NameOf(object value)
    {
        var field = value.GetType().GetField(value.ToString()!)!;
        return field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? field.Name;
    }

    private static (string[] Names, Dictionary<string, object> Values) Get(Type enumType) => Cache.GetOrAdd(enumType, t =>
    {
        var fields = t.GetFields(BindingFlags.Public | BindingFlags.Static);
        var names = fields.Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name).ToArray();
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        for (var i = 0; i < fields.Length; i++)
        {
            values[names[i]] = fields[i].GetValue(null)!;
        }

        return (names, values);
    });
}

/// <summary>Finds the known name closest to a misspelt one.</summary>
internal static class NearestName
{
    public static string? Find(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        var limit = Math.Max(2, name.Length / 3);
        return bestDistance <= limit ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
