using Fluid.Kubernetes.TestServer.Resources;
using Fluid.Kubernetes.TestServer.Storage;

namespace Fluid.Kubernetes.TestServer.Http;

/// <summary>A resource request decoded from its URL: which resource, namespace, object and subresource.</summary>
internal sealed record ApiRequest(ResourceDefinition Resource, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>
    /// Decodes <c>/api/v1/...</c> and <c>/apis/{group}/{version}/...</c> paths; returns null for paths that are
    /// not resource paths (discovery), and throws 404 for unknown resources.
    /// </summary>
    public static ApiRequest? Parse(string path, ObjectStore store)
    {
        string[] segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        int rest;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, rest) = ("", segments[1], 2);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], 3);
        }
        else
        {
            return null;
        }

        var parts = segments[rest..].Select(Uri.UnescapeDataString).ToArray();
        if (parts.Length >= 3 && parts[0] == "namespaces" && store.FindResource(group, version, parts[2]) is { Namespaced: true } namespaced)
        {
            if (parts.Length > 5)
            {
                throw NotFoundPath(path);
            }

            return new ApiRequest(namespaced, parts[1], parts.ElementAtOrDefault(3), parts.ElementAtOrDefault(4));
        }

        var resource = store.FindResource(group, version, parts[0]) ?? throw NotFoundPath(path);
        if (parts.Length > 3 || (resource.Namespaced && parts.Length > 1))
        {
            // A namespaced object must be addressed inside its namespace.
            throw NotFoundPath(path);
        }

        return new ApiRequest(resource, null, parts.ElementAtOrDefault(1), parts.ElementAtOrDefault(2));
    }

    private static ApiException NotFoundPath(string path) => new(404, "NotFound", $"the server could not find the requested resource ({path})");
}
