using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Fluid.Kubernetes.Resources;

/// <summary>Classifies API failures by their HTTP status code (never by reason strings).</summary>
public static class ApiErrors
{
    /// <summary>The HTTP status code of an API failure, or null when the exception is not one.</summary>
    public static HttpStatusCode? StatusCode(this Exception exception) => exception switch
    {
        HttpOperationException { Response: { } response } => response.StatusCode,
        KubernetesException { Status.Code: int code } => (HttpStatusCode)code,
        _ => null,
    };

    /// <summary>404: the object (or resource) does not exist.</summary>
    public static bool IsNotFound(this Exception exception) => exception.StatusCode() == HttpStatusCode.NotFound;

    /// <summary>409: a stale resourceVersion, a failed precondition, or an object that already exists.</summary>
    public static bool IsConflict(this Exception exception) => exception.StatusCode() == HttpStatusCode.Conflict;

    /// <summary>410: the resourceVersion or continue token is older than the server's history.</summary>
    public static bool IsGone(this Exception exception) => exception.StatusCode() == HttpStatusCode.Gone;

    /// <summary>The metav1.Status the server sent with the failure, when it sent one.</summary>
    public static V1Status? Status(this Exception exception)
    {
        switch (exception)
        {
            case KubernetesException { Status: { } status }:
                return status;
            case HttpOperationException { Response.Content: { Length: > 0 } content }:
                try
                {
                    var status = KubernetesJson.Deserialize<V1Status>(content);
                    return status?.Kind == "Status" ? status : null;
                }
                catch (System.Text.Json.JsonException)
                {
                    return null;
                }

            default:
                return null;
        }
    }
}
