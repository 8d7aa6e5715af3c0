using System.Text.Json.Nodes;
using Fluid.Kubernetes.TestServer.Resources;

namespace Fluid.Kubernetes.TestServer.Storage;

/// <summary>One committed version of an object. The JSON is never changed after commit; readers get clones.</summary>
internal sealed class StoredObject(ResourceDefinition resource, JsonObject obj, long resourceVersion)
{
    private string? _json;

    public ResourceDefinition Resource { get; } = resource;

    public JsonObject Object { get; } = obj;

    public long ResourceVersion { get; } = resourceVersion;

    public string Name => Json.MetaString(Object, "name")!;

    public string? Namespace => Json.MetaString(Object, "namespace");

    public string Uid => Json.MetaString(Object, "uid")!;

    public string Key => StoreKey(Namespace, Name);

    public string Serialized => _json ??= Object.ToJsonString();

    public JsonObject Clone() => (JsonObject)Object.DeepClone();

    public static string StoreKey(string? ns, string name) => ns is null ? name : $"{ns}/{name}";
}

/// <summary>One change in the store's history, as watchers see it.</summary>
internal sealed record StoreEvent(long ResourceVersion, string Type, StoredObject Object, StoredObject? Previous);
