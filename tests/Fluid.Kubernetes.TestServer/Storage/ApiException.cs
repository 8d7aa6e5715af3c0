using System.Text.Json.Nodes;
using Fluid.Kubernetes.TestServer.Resources;

namespace Fluid.Kubernetes.TestServer.Storage;

/// <summary>An API error the server answers with a metav1.Status body.</summary>
public sealed class ApiException(int code, string reason, string message) : Exception(message)
{
    /// <summary>HTTP status code (404, 409, 410, 422...).</summary>
    public int Code { get; } = code;

    /// <summary>metav1.StatusReason, for example <c>NotFound</c> or <c>Conflict</c>.</summary>
    public string Reason { get; } = reason;

    /// <summary>Resource and name for the Status details, when known.</summary>
    public (ResourceDefinition Resource, string? Name)? Details { get; init; }

    /// <summary>The metav1.Status object for this error.</summary>
    public JsonObject ToStatus() => Status(Code, Reason, Message, Details?.Resource, Details?.Name);

    /// <summary>Builds a metav1.Status body.</summary>
    public static JsonObject Status(int code, string reason, string message, ResourceDefinition? resource = null, string? name = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = code is >= 200 and < 300 ? "Success" : "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        };
        if (resource is not null)
        {
            var details = new JsonObject { ["group"] = resource.Group, ["kind"] = resource.Plural };
            if (name is not null)
            {
                details["name"] = name;
            }

            status["details"] = details;
        }

        if (reason.Length == 0)
        {
            status.Remove("reason");
        }

        return status;
    }

    internal static ApiException NotFound(ResourceDefinition resource, string name) =>
        new(404, "NotFound", $"{resource} \"{name}\" not found") { Details = (resource, name) };

    internal static ApiException AlreadyExists(ResourceDefinition resource, string name) =>
        new(409, "AlreadyExists", $"{resource} \"{name}\" already exists") { Details = (resource, name) };

    internal static ApiException Conflict(ResourceDefinition resource, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource} \"{name}\": {why}") { Details = (resource, name) };

    internal static ApiException Gone(string message) => new(410, "Expired", message);

    internal static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    internal static ApiException Invalid(ResourceDefinition resource, string name, string message) =>
        new(422, "Invalid", $"{resource.Kind} \"{name}\" is invalid: {message}") { Details = (resource, name) };
}
