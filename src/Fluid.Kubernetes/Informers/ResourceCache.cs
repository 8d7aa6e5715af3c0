using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.Selectors;
using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Informers;

/// <summary>
/// An informer's local copy of a resource: objects by key, by label selector and by named secondary indexes.
/// Objects handed out are shared with the informer: treat them as read-only (copy before changing one).
/// </summary>
/// <typeparam name="T">The object type.</typeparam>
public sealed class ResourceCache<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ObjectKey, T> _items = [];
    private readonly Dictionary<string, Index> _indexes = new(StringComparer.Ordinal);

    /// <summary>The number of cached objects.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>The cached object with this key, or null.</summary>
    public T? Get(ObjectKey key)
    {
        lock (_gate)
        {
            return _items.GetValueOrDefault(key);
        }
    }

    /// <summary>Every cached object, optionally only those in <paramref name="ns"/>.</summary>
    public IReadOnlyList<T> List(string? ns = null)
    {
        lock (_gate)
        {
            return [.. _items.Values.Where(o => ns is null || o.Metadata.NamespaceProperty == ns)];
        }
    }

    /// <summary>Cached objects whose labels match <paramref name="selector"/>, optionally only in <paramref name="ns"/>.</summary>
    public IReadOnlyList<T> ListMatching(LabelSelector selector, string? ns = null)
    {
        ArgumentNullException.ThrowIfNull(selector);
        lock (_gate)
        {
            return [.. _items.Values.Where(o => (ns is null || o.Metadata.NamespaceProperty == ns) && selector.Matches(o.Metadata.Labels))];
        }
    }

    /// <summary>Cached objects matching a label selector string such as <c>app=worker,tier in (a,b)</c>.</summary>
    public IReadOnlyList<T> ListMatching(string labelSelector, string? ns = null) => ListMatching(LabelSelector.Parse(labelSelector), ns);

    /// <summary>Adds a secondary index: <paramref name="indexer"/> returns the values an object is filed under.</summary>
    public void AddIndex(string name, Func<T, IEnumerable<string>> indexer)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(indexer);
        lock (_gate)
        {
            if (_indexes.ContainsKey(name))
            {
                throw new InvalidOperationException($"the cache already has an index named '{name}'");
            }

            var index = new Index(indexer);
            foreach (var (key, obj) in _items)
            {
                index.Add(key, obj);
            }

            _indexes[name] = index;
        }
    }

    /// <summary>Cached objects filed under <paramref name="value"/> in the index <paramref name="name"/>.</summary>
    public IReadOnlyList<T> ByIndex(string name, string value)
    {
        lock (_gate)
        {
            if (!_indexes.TryGetValue(name, out var index))
            {
                throw new KeyNotFoundException($"the cache has no index named '{name}'");
            }

            return index.Keys(value).Select(k => _items[k]).ToList();
        }
    }

    /// <summary>Stores an object; returns the one it replaced, if any.</summary>
    internal T? Upsert(T obj)
    {
        var key = ObjectKey.From(obj);
        lock (_gate)
        {
            var old = _items.GetValueOrDefault(key);
            foreach (var index in _indexes.Values)
            {
                if (old is not null)
                {
                    index.Remove(key, old);
                }

                index.Add(key, obj);
            }

            _items[key] = obj;
            return old;
        }
    }

    /// <summary>Removes an object; returns what was cached, if anything.</summary>
    internal T? Remove(ObjectKey key)
    {
        lock (_gate)
        {
            if (!_items.Remove(key, out var old))
            {
                return null;
            }

            foreach (var index in _indexes.Values)
            {
                index.Remove(key, old);
            }

            return old;
        }
    }

    /// <summary>
    /// Replaces the whole content with a fresh list and returns what changed: new objects (Added), objects whose
    /// resourceVersion moved (Modified), and objects no longer listed (synthetic Deleted).
    /// </summary>
    internal List<ResourceEvent<T>> Replace(IReadOnlyList<T> objects)
    {
        var events = new List<ResourceEvent<T>>();
        lock (_gate)
        {
            var seen = new HashSet<ObjectKey>();
            foreach (var obj in objects)
            {
                var key = ObjectKey.From(obj);
                seen.Add(key);
                var old = Upsert(obj);
                if (old is null)
                {
                    events.Add(new ResourceEvent<T>(ResourceEventType.Added, obj, null));
                }
                else if (old.Metadata.ResourceVersion != obj.Metadata.ResourceVersion)
                {
                    events.Add(new ResourceEvent<T>(ResourceEventType.Modified, obj, old));
                }
            }

            foreach (var key in _items.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                var old = Remove(key)!;
                events.Add(new ResourceEvent<T>(ResourceEventType.Deleted, old, old) { IsSynthetic = true });
            }
        }

        return events;
    }

    private sealed class Index(Func<T, IEnumerable<string>> indexer)
    {
        private readonly Dictionary<string, HashSet<ObjectKey>> _entries = new(StringComparer.Ordinal);

        public void Add(ObjectKey key, T obj)
        {
            foreach (var value in indexer(obj))
            {
                if (!_entries.TryGetValue(value, out var keys))
                {
                    keys = [];
                    _entries[value] = keys;
                }

                keys.Add(key);
            }
        }

        public void Remove(ObjectKey key, T obj)
        {
            foreach (var value in indexer(obj))
            {
                if (_entries.TryGetValue(value, out var keys) && keys.Remove(key) && keys.Count == 0)
                {
                    _entries.Remove(value);
                }
            }
        }

        public IEnumerable<ObjectKey> Keys(string value) => _entries.TryGetValue(value, out var keys) ? keys : [];
    }
}

/// <summary>Ready-made cache indexers.</summary>
public static class CacheIndexers
{
    /// <summary>Files an object under the uid of each of its owners.</summary>
    public static IEnumerable<string> OwnerUid(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata?.OwnerReferences?.Select(r => r.Uid).Where(u => !string.IsNullOrEmpty(u)) ?? [];
}
