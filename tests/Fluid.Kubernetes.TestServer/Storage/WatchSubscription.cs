using System.Text.Json.Nodes;
using System.Threading.Channels;
using Fluid.Kubernetes.TestServer.Resources;
using Fluid.Kubernetes.TestServer.Selectors;

namespace Fluid.Kubernetes.TestServer.Storage;

/// <summary>One open watch: its filter and the queue of event lines waiting to be written to the client.</summary>
internal sealed class WatchSubscription(
    ResourceDefinition resource, string? ns, LabelSelector labels, FieldSelector fields, bool bookmarks)
{
    private readonly CancellationTokenSource _abort = new();

    public ResourceDefinition Resource { get; } = resource;

    public bool Bookmarks { get; } = bookmarks;

    /// <summary>Newline-terminated JSON watch events, in commit order.</summary>
    public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>A muted watch stays open but receives nothing, not even bookmarks (to test watchdogs).</summary>
    public bool Muted { get; set; }

    /// <summary>Cancelled when the test asks for the connection to be cut without a clean end of stream.</summary>
    public CancellationToken AbortRequested => _abort.Token;

    public void Abort() => _abort.Cancel();

    public bool Matches(StoredObject obj) =>
        (ns is null || obj.Namespace == ns) && labels.Matches(obj.Object) && fields.Matches(obj.Object);

    /// <summary>The event type this watcher sees for a change, or null when the change is outside its filter.</summary>
    public string? TypeFor(StoreEvent change)
    {
        if (change.Object.Resource != Resource)
        {
            return null;
        }

        bool now = Matches(change.Object);
        bool before = change.Previous is not null && Matches(change.Previous);
        return change.Type switch
        {
            "ADDED" => now ? "ADDED" : null,
            "DELETED" => now || before ? "DELETED" : null,
            // An object that moves into or out of the filter is added or deleted for this watcher, as in Kubernetes.
            _ => (before, now) switch
            {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                _ => null,
            },
        };
    }

    public void Send(string type, string objectJson) =>
        Lines.Writer.TryWrite($"{{\"type\":\"{type}\",\"object\":{objectJson}}}\n");

    public void SendBookmark(long resourceVersion)
    {
        var bookmark = new JsonObject
        {
            ["kind"] = Resource.Kind,
            ["apiVersion"] = Resource.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        Send("BOOKMARK", bookmark.ToJsonString());
    }

    /// <summary>Ends the stream after the lines already queued.</summary>
    public void Close() => Lines.Writer.TryComplete();
}
