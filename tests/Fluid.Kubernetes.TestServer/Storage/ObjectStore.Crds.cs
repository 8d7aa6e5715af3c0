using System.Text.Json.Nodes;
using Fluid.Kubernetes.TestServer.Resources;

namespace Fluid.Kubernetes.TestServer.Storage;

internal sealed partial class ObjectStore
{
    private const string CrdGroup = "apiextensions.k8s.io";

    private static bool IsCrd(ResourceDefinition resource) => resource.Group == CrdGroup && resource.Plural == "customresourcedefinitions";

    private static void OnCreating(ResourceDefinition resource, JsonObject obj)
    {
        if (!IsCrd(resource))
        {
            return;
        }

        // Definitions are served at once, so a created CRD reports itself accepted and established.
        var names = obj["spec"]?["names"]?.DeepClone();
        obj["status"] = new JsonObject
        {
            ["acceptedNames"] = names,
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["reason"] = "NoConflicts" },
                new JsonObject { ["type"] = "Established", ["status"] = "True", ["reason"] = "InitialNamesAccepted" }),
        };
    }

    private void OnCommitted(StoredObject obj, bool deleted)
    {
        if (!IsCrd(obj.Resource))
        {
            return;
        }

        var definitions = DefinitionsOf(obj.Object);
        lock (_gate)
        {
            foreach (var definition in definitions)
            {
                if (deleted)
                {
                    // Deleting a CRD deletes its objects (with events), then stops serving it.
                    if (_objects.TryGetValue(definition.Id, out var table))
                    {
                        foreach (var stored in table.Values.ToList())
                        {
                            Commit(stored.Resource, "DELETED", stored.Clone(), stored);
                        }
                    }

                    _resources.Remove(definition.Id);
                    _objects.Remove(definition.Id);
                }
                else
                {
                    AddResource(definition);
                }
            }
        }
    }

    /// <summary>The served versions of a CustomResourceDefinition, as resource definitions.</summary>
    public static IReadOnlyList<ResourceDefinition> DefinitionsOf(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        string? group = Json.String(spec?["group"]);
        string? plural = Json.String(spec?["names"]?["plural"]);
        string? kind = Json.String(spec?["names"]?["kind"]);
        if (group is null || plural is null || kind is null)
        {
            return [];
        }

        bool namespaced = Json.String(spec?["scope"]) != "Cluster";
        var result = new List<ResourceDefinition>();
        foreach (var version in (spec?["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Json.String(version["name"]) is not { } name || version["served"]?.GetValue<bool>() == false)
            {
                continue;
            }

            var subresources = version["subresources"] as JsonObject;
            ScaleSubresource? scale = null;
            if (subresources?["scale"] is JsonObject scaleSpec)
            {
                scale = new ScaleSubresource(
                    Json.String(scaleSpec["specReplicasPath"]) ?? ".spec.replicas",
                    Json.String(scaleSpec["statusReplicasPath"]) ?? ".status.replicas",
                    Json.String(scaleSpec["labelSelectorPath"]));
            }

            result.Add(new ResourceDefinition(group, name, plural, kind, namespaced)
            {
                HasStatus = subresources?.ContainsKey("status") == true,
                ReturnDeletedObject = true,
                Scale = scale,
            });
        }

        return result;
    }
}
