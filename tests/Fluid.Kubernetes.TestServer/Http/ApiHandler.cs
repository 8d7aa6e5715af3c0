using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Kubernetes.TestServer.Control;
using Fluid.Kubernetes.TestServer.Patching;
using Fluid.Kubernetes.TestServer.Resources;
using Fluid.Kubernetes.TestServer.Selectors;
using Fluid.Kubernetes.TestServer.Storage;
using Microsoft.AspNetCore.Http;

namespace Fluid.Kubernetes.TestServer.Http;

/// <summary>Turns HTTP requests into store operations and store results (or errors) into Kubernetes responses.</summary>
internal sealed class ApiHandler(ObjectStore store, FaultInjector faults, Action<RequestRecord> log, Func<CancellationToken, Task> watchGate, bool goneAsHttpStatus, CancellationToken serverStopping)
{
    private const string JsonContentType = "application/json";
    private const string LoggedKey = "fluid.request-logged";

    public async Task HandleAsync(HttpContext context)
    {
        bool watch = false, injected = false;
        try
        {
            var request = ApiRequest.Parse(context.Request.Path.Value ?? "/", store);
            if (request is null)
            {
                await WriteJsonAsync(context, 200, Discovery(context.Request.Path.Value ?? "/"));
                return;
            }

            watch = request.Name is null && IsTrue(context.Request.Query["watch"]);
            if (faults.TryConsume(context.Request.Method, request.Resource.Plural, request.Name, request.Subresource, watch) is { } fault)
            {
                injected = true;
                string reason = fault.Reason ?? fault.StatusCode switch
                {
                    409 => "Conflict",
                    410 => "Expired",
                    429 => "TooManyRequests",
                    503 => "ServiceUnavailable",
                    _ => "InternalError",
                };
                await WriteJsonAsync(context, fault.StatusCode, ApiException.Status(fault.StatusCode, reason, $"injected fault: {reason}", request.Resource, request.Name));
                return;
            }

            if (context.Request.Query.ContainsKey("dryRun"))
            {
                throw ApiException.BadRequest("dryRun is not supported by the test API server");
            }

            await DispatchAsync(context, request, watch);
        }
        catch (ApiException e)
        {
            await WriteJsonAsync(context, e.Code, e.ToStatus());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Malformed JSON, a JSON value of the wrong type, or a bad selector.
            await WriteJsonAsync(context, 400, ApiException.Status(400, "BadRequest", e.Message));
        }
        catch (PatchException e)
        {
            await WriteJsonAsync(context, 422, ApiException.Status(422, "Invalid", e.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || serverStopping.IsCancellationRequested)
        {
            // The client went away or the server is stopping: nobody is left to answer.
        }
        finally
        {
            if (!context.Items.ContainsKey(LoggedKey))
            {
                Log(context, watch, injected);
            }
        }
    }

    private void Log(HttpContext context, bool watch, bool injected)
    {
        context.Items[LoggedKey] = true;
        log(new RequestRecord(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
            context.Response.StatusCode, watch, injected));
    }

    private async Task DispatchAsync(HttpContext context, ApiRequest request, bool watch)
    {
        var resource = request.Resource;
        string method = context.Request.Method;
        var query = context.Request.Query;
        if (request.Name is null)
        {
            switch (method)
            {
                case "GET" when watch:
                    await WatchAsync(context, request);
                    return;
                case "GET":
                    {
                        var page = store.List(resource, new ListQuery(
                            request.Namespace, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"]),
                            ParseInt(query["limit"], "limit"), query["continue"]));
                        await WriteJsonAsync(context, 200, ListBody(resource, page));
                        return;
                    }

                case "POST":
                    await WriteJsonAsync(context, 201, store.Create(resource, request.Namespace, await ReadObjectAsync(context)).Clone());
                    return;
                case "DELETE":
                    {
                        var page = store.List(resource, new ListQuery(
                            request.Namespace, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"]), null, null));
                        var options = await ReadDeleteRequestAsync(context);
                        foreach (var item in page.Items)
                        {
                            try
                            {
                                store.Delete(resource, item.Namespace, item.Name, options);
                            }
                            catch (ApiException e) when (e.Code == 404)
                            {
                                // Deleted meanwhile (for example by garbage collection).
                            }
                        }

                        await WriteJsonAsync(context, 200, ApiException.Status(200, "", "deleted", resource));
                        return;
                    }

                default:
                    throw new ApiException(405, "MethodNotAllowed", $"{method} is not supported on a collection");
            }
        }

        string name = request.Name;
        switch (request.Subresource, method)
        {
            case (null or "status", "GET"):
                if (request.Subresource == "status" && !resource.HasStatus)
                {
                    throw NoSubresource(resource, "status");
                }

                await WriteJsonAsync(context, 200, store.Get(resource, request.Namespace, name).Clone());
                return;
            case (null or "status", "PUT"):
                CheckStatusSubresource(request);
                await WriteJsonAsync(context, 200, store.Update(resource, request.Namespace, name, await ReadObjectAsync(context), request.Subresource).Clone());
                return;
            case (null or "status", "PATCH"):
                {
                    CheckStatusSubresource(request);
                    var apply = await ReadPatchAsync(context);
                    await WriteJsonAsync(context, 200, store.Patch(resource, request.Namespace, name, apply, request.Subresource).Clone());
                    return;
                }

            case (null, "DELETE"):
                {
                    var outcome = store.Delete(resource, request.Namespace, name, await ReadDeleteRequestAsync(context));
                    if (outcome.Deleted && resource.ReturnDeletedObject)
                    {
                        await WriteJsonAsync(context, 200, outcome.Object.Clone());
                    }
                    else if (outcome.Deleted)
                    {
                        var status = ApiException.Status(200, "", "deleted", resource, name);
                        status["details"]!["uid"] = outcome.Object.Uid;
                        await WriteJsonAsync(context, 200, status);
                    }
                    else
                    {
                        // Accepted: the object waits for its finalizers.
                        await WriteJsonAsync(context, 202, outcome.Object.Clone());
                    }

                    return;
                }

            case ("scale", "GET"):
                await WriteJsonAsync(context, 200, store.GetScale(resource, request.Namespace, name));
                return;
            case ("scale", "PUT"):
                {
                    var body = await ReadObjectAsync(context);
                    await WriteJsonAsync(context, 200, store.UpdateScale(resource, request.Namespace, name, _ => body));
                    return;
                }

            case ("scale", "PATCH"):
                {
                    var apply = await ReadPatchAsync(context);
                    await WriteJsonAsync(context, 200, store.UpdateScale(resource, request.Namespace, name, apply));
                    return;
                }

            case (null or "status" or "scale", _):
                throw new ApiException(405, "MethodNotAllowed", $"{method} is not supported here");
            default:
                throw NoSubresource(resource, request.Subresource);
        }
    }

    private async Task WatchAsync(HttpContext context, ApiRequest request)
    {
        var query = context.Request.Query;
        using (var gateWait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, serverStopping))
        {
            await watchGate(gateWait.Token);
        }
        WatchSubscription subscription;
        try
        {
            subscription = store.Watch(request.Resource, request.Namespace,
                LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"]),
                query["resourceVersion"], IsTrue(query["allowWatchBookmarks"]));
        }
        catch (ApiException e) when (e.Code == 410 && !goneAsHttpStatus)
        {
            // As a real API server does, a too-old resourceVersion opens the watch and sends one ERROR event.
            context.Response.StatusCode = 200;
            context.Response.ContentType = JsonContentType;
            await context.Response.WriteAsync($"{{\"type\":\"ERROR\",\"object\":{e.ToStatus().ToJsonString()}}}\n", context.RequestAborted);
            return;
        }

        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = JsonContentType;
            await context.Response.StartAsync(context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);

            // Watches stay open: log them once they are established, not when they end.
            Log(context, watch: true, injected: false);
            using var timeout = ParseInt(query["timeoutSeconds"], "timeoutSeconds") is int seconds and > 0
                ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds))
                : new CancellationTokenSource();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, subscription.AbortRequested, timeout.Token, serverStopping);
            var reader = subscription.Lines.Reader;
            try
            {
                while (await reader.WaitToReadAsync(stop.Token))
                {
                    while (reader.TryRead(out var line))
                    {
                        await context.Response.WriteAsync(line, stop.Token);
                    }

                    await context.Response.Body.FlushAsync(stop.Token);
                }
            }
            catch (OperationCanceledException) when (subscription.AbortRequested.IsCancellationRequested)
            {
                context.Abort();
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested || context.RequestAborted.IsCancellationRequested || serverStopping.IsCancellationRequested)
            {
                // timeoutSeconds elapsed (a clean end of stream), the client went away, or the server is stopping.
            }
        }
        finally
        {
            store.Unwatch(subscription);
        }
    }

    private static JsonObject ListBody(ResourceDefinition resource, ListPage page)
    {
        var metadata = new JsonObject { ["resourceVersion"] = ObjectStore.RvString(page.ResourceVersion) };
        if (page.Continue is not null)
        {
            metadata["continue"] = page.Continue;
            metadata["remainingItemCount"] = page.RemainingItemCount;
        }

        return new JsonObject
        {
            ["kind"] = resource.ListKind,
            ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray(page.Items.Select(i => (JsonNode?)i.Clone()).ToArray()),
        };
    }

    private JsonObject Discovery(string path)
    {
        string[] segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var resources = store.Resources;
        switch (segments)
        {
            case ["version"]:
                return new JsonObject { ["major"] = "1", ["minor"] = "34", ["gitVersion"] = "v1.34.0-fluid-test-server", ["platform"] = "linux/amd64" };
            case ["api"]:
                return new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1") };
            case ["apis"]:
                {
                    var groups = new JsonArray();
                    foreach (var group in resources.Where(r => r.Group.Length > 0).GroupBy(r => r.Group).OrderBy(g => g.Key, StringComparer.Ordinal))
                    {
                        var versions = group.Select(r => r.Version).Distinct()
                            .Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{group.Key}/{v}", ["version"] = v }).ToArray();
                        groups.Add(new JsonObject
                        {
                            ["name"] = group.Key,
                            ["versions"] = new JsonArray(versions),
                            ["preferredVersion"] = versions[0].DeepClone(),
                        });
                    }

                    return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
                }

            case ["api", var v]:
                return ResourceList(resources, "", v);
            case ["apis", var g, var v]:
                return ResourceList(resources, g, v);
            default:
                throw new ApiException(404, "NotFound", $"the server could not find the requested resource ({path})");
        }
    }

    private static JsonObject ResourceList(IReadOnlyList<ResourceDefinition> all, string group, string version)
    {
        var list = new JsonArray();
        foreach (var resource in all.Where(r => r.Group == group && r.Version == version).OrderBy(r => r.Plural, StringComparer.Ordinal))
        {
            list.Add(new JsonObject
            {
                ["name"] = resource.Plural,
                ["singularName"] = resource.Singular,
                ["namespaced"] = resource.Namespaced,
                ["kind"] = resource.Kind,
                ["verbs"] = new JsonArray("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
            });
            if (resource.HasStatus)
            {
                list.Add(new JsonObject { ["name"] = $"{resource.Plural}/status", ["namespaced"] = resource.Namespaced, ["kind"] = resource.Kind, ["verbs"] = new JsonArray("get", "patch", "update") });
            }

            if (resource.Scale is not null)
            {
                list.Add(new JsonObject { ["name"] = $"{resource.Plural}/scale", ["namespaced"] = resource.Namespaced, ["group"] = "autoscaling", ["version"] = "v1", ["kind"] = "Scale", ["verbs"] = new JsonArray("get", "patch", "update") });
            }
        }

        if (list.Count == 0)
        {
            throw new ApiException(404, "NotFound", $"the server could not find the requested resource ({group}/{version})");
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = list,
        };
    }

    private static void CheckStatusSubresource(ApiRequest request)
    {
        if (request.Subresource == "status" && !request.Resource.HasStatus)
        {
            throw NoSubresource(request.Resource, "status");
        }
    }

    private static ApiException NoSubresource(ResourceDefinition resource, string? subresource) =>
        new(404, "NotFound", $"{resource} has no subresource \"{subresource}\"");

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context)
    {
        CheckJsonContentType(context, JsonContentType);
        var node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        return node as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");
    }

    private static async Task<Func<JsonObject, JsonObject>> ReadPatchAsync(HttpContext context)
    {
        string mediaType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        var patch = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        return mediaType switch
        {
            "application/merge-patch+json" => target => AsObject(MergePatch.Apply(target, patch)),
            "application/strategic-merge-patch+json" => target => AsObject(StrategicMergePatch.Apply(target, patch)),
            "application/json-patch+json" => patch is JsonArray operations
                ? target => AsObject(JsonPatch.Apply(target, operations))
                : throw ApiException.BadRequest("a json patch must be a JSON array of operations"),
            _ => throw new ApiException(415, "UnsupportedMediaType", $"the media type \"{mediaType}\" is not supported for patch (apply patches are not implemented)"),
        };
    }

    private static JsonObject AsObject(JsonNode? node) => node as JsonObject ?? throw new PatchException("the patched document is not a JSON object");

    private static async Task<DeleteRequest> ReadDeleteRequestAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string? policy = query["propagationPolicy"];
        string? uid = null, resourceVersion = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            if (await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) is JsonObject body)
            {
                policy ??= Json.String(body["propagationPolicy"]);
                uid = Json.String(body["preconditions"]?["uid"]);
                resourceVersion = Json.String(body["preconditions"]?["resourceVersion"]);
                if (body["orphanDependents"]?.GetValueKind() == JsonValueKind.True)
                {
                    policy ??= "Orphan";
                }
            }
        }

        return new DeleteRequest(policy, uid, resourceVersion);
    }

    private static void CheckJsonContentType(HttpContext context, string expected)
    {
        string mediaType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        if (mediaType.Length > 0 && mediaType != expected)
        {
            throw new ApiException(415, "UnsupportedMediaType", $"the media type \"{mediaType}\" is not supported; send {expected}");
        }
    }

    private static bool IsTrue(string? value) => value is "true" or "1" or "True";

    private static int? ParseInt(string? value, string parameter)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw ApiException.BadRequest($"{parameter}: Invalid value: \"{value}\": must be an integer");
    }

    private static async Task WriteJsonAsync(HttpContext context, int statusCode, JsonObject body)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = statusCode;
        context.Response.ContentType = JsonContentType;
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
