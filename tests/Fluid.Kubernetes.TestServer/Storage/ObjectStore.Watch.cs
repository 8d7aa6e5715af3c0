using System.Globalization;
using Fluid.Kubernetes.TestServer.Resources;
using Fluid.Kubernetes.TestServer.Selectors;

namespace Fluid.Kubernetes.TestServer.Storage;

internal sealed partial class ObjectStore
{
    private readonly List<WatchSubscription> _watches = [];

    public int OpenWatchCount
    {
        get
        {
            lock (_gate)
            {
                return _watches.Count;
            }
        }
    }

    /// <summary>
    /// Opens a watch. Without a resourceVersion (or "0") the watcher first gets ADDED for every matching object;
    /// with one it gets every later change from history, or 410 Gone when that history was compacted.
    /// </summary>
    public WatchSubscription Watch(ResourceDefinition resource, string? ns, LabelSelector labels, FieldSelector fields, string? resourceVersion, bool bookmarks)
    {
        lock (_gate)
        {
            var subscription = new WatchSubscription(resource, ns, labels, fields, bookmarks);
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                foreach (var obj in _objects[resource.Id].Values)
                {
                    if (subscription.Matches(obj))
                    {
                        subscription.Send("ADDED", obj.Serialized);
                    }
                }
            }
            else
            {
                if (!long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out long from))
                {
                    throw ApiException.BadRequest($"resourceVersion: Invalid value: \"{resourceVersion}\": must be an integer");
                }

                if (from < _compactedThrough)
                {
                    throw ApiException.Gone($"too old resource version: {from} ({_compactedThrough})");
                }

                for (int i = FirstHistoryIndexAfter(from); i < _history.Count; i++)
                {
                    var change = _history[i];
                    if (subscription.TypeFor(change) is { } type)
                    {
                        subscription.Send(type, change.Object.Serialized);
                    }
                }
            }

            _watches.Add(subscription);
            return subscription;
        }
    }

    public void Unwatch(WatchSubscription subscription)
    {
        lock (_gate)
        {
            _watches.Remove(subscription);
        }
    }

    /// <summary>Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks.</summary>
    public void SendBookmarks()
    {
        lock (_gate)
        {
            foreach (var watch in _watches)
            {
                if (watch.Bookmarks && !watch.Muted)
                {
                    watch.SendBookmark(_resourceVersion);
                }
            }
        }
    }

    /// <summary>Ends every open watch stream cleanly (the client sees end of stream).</summary>
    public int CloseWatches() => DetachWatches(w => w.Close());

    /// <summary>Cuts every open watch connection without a clean end (the client sees an I/O error).</summary>
    public int AbortWatches() => DetachWatches(w => w.Abort());

    /// <summary>Compacts history, then sends every open watch an ERROR event with a 410 Expired Status and closes it.</summary>
    public int ExpireWatches()
    {
        lock (_gate)
        {
            Compact();
            string status = ApiException.Status(410, "Expired", $"too old resource version: watch expired at {_compactedThrough}").ToJsonString();
            return DetachWatches(w =>
            {
                w.Send("ERROR", status);
                w.Close();
            });
        }
    }

    /// <summary>Silences every open watch: the connection stays open but nothing more is sent on it.</summary>
    public int MuteWatches()
    {
        lock (_gate)
        {
            foreach (var watch in _watches)
            {
                watch.Muted = true;
            }

            return _watches.Count;
        }
    }

    private int DetachWatches(Action<WatchSubscription> action)
    {
        lock (_gate)
        {
            int count = _watches.Count;
            foreach (var watch in _watches)
            {
                action(watch);
            }

            _watches.Clear();
            return count;
        }
    }

    private void Broadcast(StoreEvent change)
    {
        foreach (var watch in _watches)
        {
            if (!watch.Muted && watch.TypeFor(change) is { } type)
            {
                watch.Send(type, change.Object.Serialized);
            }
        }
    }

    private int FirstHistoryIndexAfter(long resourceVersion)
    {
        int low = 0, high = _history.Count;
        while (low < high)
        {
            int mid = (low + high) / 2;
            if (_history[mid].ResourceVersion <= resourceVersion)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
