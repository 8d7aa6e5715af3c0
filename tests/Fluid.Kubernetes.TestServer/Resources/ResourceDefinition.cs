namespace Fluid.Kubernetes.TestServer.Resources;

/// <summary>One resource the test server serves: where it lives in the URL space and which subresources it has.</summary>
/// <param name="Group">API group; empty for the core group (served under /api/v1).</param>
/// <param name="Version">API version, for example <c>v1</c>.</param>
/// <param name="Plural">Lower-case plural used in URLs, for example <c>pods</c>.</param>
/// <param name="Kind">Kind written into stored objects, for example <c>Pod</c>.</param>
/// <param name="Namespaced">Whether objects live in a namespace.</param>
public sealed record ResourceDefinition(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    /// <summary>Whether the resource has a /status subresource (main updates then ignore .status).</summary>
    public bool HasStatus { get; init; }

    /// <summary>The /scale subresource, when the resource has one.</summary>
    public ScaleSubresource? Scale { get; init; }

    /// <summary>
    /// Whether an immediate DELETE answers with the deleted object (as pods, services, PVCs, PVs, service accounts
    /// and custom resources do) rather than a Success Status.
    /// </summary>
    public bool ReturnDeletedObject { get; init; }

    /// <summary>Singular name reported by discovery.</summary>
    public string Singular => Kind.ToLowerInvariant();

    /// <summary><c>group/version</c>, or just the version for the core group.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>Kind of the list returned by a collection GET.</summary>
    public string ListKind => Kind + "List";

    /// <summary>Key of the resource inside the server: group, version and plural.</summary>
    public string Id => $"{Group}/{Version}/{Plural}";

    /// <inheritdoc />
    public override string ToString() => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
}

/// <summary>Where a resource keeps its replica counts, as in a CRD's <c>subresources.scale</c>.</summary>
/// <param name="SpecReplicasPath">JSON path of the desired replicas, for example <c>.spec.replicas</c>.</param>
/// <param name="StatusReplicasPath">JSON path of the observed replicas, for example <c>.status.replicas</c>.</param>
/// <param name="LabelSelectorPath">JSON path of the pod selector (a string, or a LabelSelector object), if any.</param>
public sealed record ScaleSubresource(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);
