namespace Fluid.Kubernetes.TestServer.Control;

/// <summary>
/// Makes the next <see cref="Count"/> matching requests fail with <see cref="StatusCode"/> before they reach storage.
/// Null filters match anything.
/// </summary>
public sealed record FaultRule
{
    /// <summary>HTTP method to match (GET, POST, PUT, PATCH, DELETE).</summary>
    public string? Method { get; init; }

    /// <summary>Resource plural to match, for example <c>leases</c>.</summary>
    public string? Resource { get; init; }

    /// <summary>Object name to match.</summary>
    public string? Name { get; init; }

    /// <summary>Subresource to match (<c>status</c>, <c>scale</c>); the empty string matches only the main resource.</summary>
    public string? Subresource { get; init; }

    /// <summary>Whether to match watch requests; null matches both.</summary>
    public bool? Watch { get; init; }

    /// <summary>How many requests fail before the rule is used up.</summary>
    public int Count { get; init; } = 1;

    /// <summary>Status code to answer with (409, 500, 503...).</summary>
    public int StatusCode { get; init; } = 500;

    /// <summary>Reason in the Status body; derived from the code when null.</summary>
    public string? Reason { get; init; }
}

/// <summary>One request the server answered, for tests to inspect.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path.</param>
/// <param name="Query">Query string, including the leading '?', or empty.</param>
/// <param name="StatusCode">Status code of the response.</param>
/// <param name="Watch">Whether it was a watch.</param>
/// <param name="Injected">Whether a fault rule produced the response.</param>
public sealed record RequestRecord(string Method, string Path, string Query, int StatusCode, bool Watch, bool Injected);
