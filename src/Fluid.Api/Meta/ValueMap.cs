using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fluid.Api.Meta;

/// <summary>An immutable string-keyed map that keeps insertion order and compares by content.</summary>
[CollectionBuilder(typeof(ValueMap), nameof(ValueMap.Create))]
[JsonConverter(typeof(ValueMapJsonConverterFactory))]
public sealed class ValueMap<TValue> : IReadOnlyDictionary<string, TValue>, IEquatable<ValueMap<TValue>>
{
    private readonly KeyValuePair<string, TValue>[] _entries;
    private readonly Dictionary<string, int> _index;

    public ValueMap(IEnumerable<KeyValuePair<string, TValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = new List<KeyValuePair<string, TValue>>();
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (_index.TryGetValue(entry.Key, out var at))
            {
                // Later entries win, as in a YAML or JSON object read by Kubernetes.
                list[at] = entry;
            }
            else
            {
                _index[entry.Key] = list.Count;
                list.Add(entry);
            }
        }

        _entries = [.. list];
    }

    /// <summary>The map with no entries.</summary>
    public static ValueMap<TValue> Empty { get; } = new([]);

    public int Count => _entries.Length;

    public TValue this[string key] => _index.TryGetValue(key, out var at) ? _entries[at].Value : throw new KeyNotFoundException($"no key \"{key}\"");

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public IEnumerable<TValue> Values => _entries.Select(e => e.Value);

    public bool ContainsKey(string key) => _index.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_index.TryGetValue(key, out var at))
        {
            value = _entries[at].Value;
            return true;
        }

        value = default;
        return false;
    }

    public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, TValue>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    public bool Equals(ValueMap<TValue>? other)
    {
        if (other is null || other.Count != Count)
        {
            return false;
        }

        var comparer = EqualityComparer<TValue>.Default;
        foreach (var (key, value) in _entries)
        {
            if (!other.TryGetValue(key, out var otherValue) || !comparer.Equals(value, otherValue))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as ValueMap<TValue>);

    public override int GetHashCode()
    {
        // Order-independent, like Equals.
        var hash = 0;
        foreach (var (key, value) in _entries)
        {
            hash ^= HashCode.Combine(key, value);
        }

        return hash;
    }

    public static bool operator ==(ValueMap<TValue>? left, ValueMap<TValue>? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(ValueMap<TValue>? left, ValueMap<TValue>? right) => !(left == right);

    public override string ToString() => "{" + string.Join(", ", _entries.Select(e => $"{e.Key}: {e.Value}")) + "}";
}

/// <summary>Factory methods for <see cref="ValueMap{TValue}"/> (also the collection-expression builder).</summary>
public static class ValueMap
{
    public static ValueMap<TValue> Create<TValue>(ReadOnlySpan<KeyValuePair<string, TValue>> entries) => new(entries.ToArray());

    public static ValueMap<TValue> Of<TValue>(params (string Key, TValue Value)[] entries) =>
        new(entries.Select(e => new KeyValuePair<string, TValue>(e.Key, e.Value)));
}

internal sealed class ValueMapJsonConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(ValueMap<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(ValueMapJsonConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class ValueMapJsonConverter<TValue> : JsonConverter<ValueMap<TValue>>
    {
        public override ValueMap<TValue>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("expected an object");
            }

            var entries = new List<KeyValuePair<string, TValue>>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var key = reader.GetString()!;
                reader.Read();
                entries.Add(new(key, JsonSerializer.Deserialize<TValue>(ref reader, options)!));
            }

            return new ValueMap<TValue>(entries);
        }

        public override void Write(Utf8JsonWriter writer, ValueMap<TValue> value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach (var (key, item) in value)
            {
                writer.WritePropertyName(key);
                JsonSerializer.Serialize(writer, item, options);
            }

            writer.WriteEndObject();
        }
    }
}
