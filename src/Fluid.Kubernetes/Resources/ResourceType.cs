using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Resources;

/// <summary>A Kubernetes resource (group, version, plural, kind, scope) and the CLR type its objects deserialize to.</summary>
/// <typeparam name="T">The object type; read and written with KubernetesClient's JSON serializer.</typeparam>
/// <param name="Group">API group; empty for the core group.</param>
/// <param name="Version">API version, for example <c>v1</c> or <c>v1alpha1</c>.</param>
/// <param name="Plural">Lower-case plural used in URLs, for example <c>pods</c>.</param>
/// <param name="Kind">The object kind, for example <c>Pod</c>.</param>
/// <param name="Namespaced">Whether objects live in a namespace.</param>
public sealed record ResourceType<T>(string Group, string Version, string Plural, string Kind, bool Namespaced)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary><c>group/version</c>, or just the version for the core group.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>Short name for logs and metric tags, for example <c>pods</c> or <c>datasets.data.fluid.io</c>.</summary>
    public string DisplayName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <inheritdoc />
    public override string ToString() => DisplayName;
}

/// <summary>The built-in resources the operator works with.</summary>
public static class ResourceTypes
{
    /// <summary>core/v1 namespaces.</summary>
    public static ResourceType<V1Namespace> Namespaces { get; } = new("", "v1", "namespaces", "Namespace", false);

    /// <summary>core/v1 nodes.</summary>
    public static ResourceType<V1Node> Nodes { get; } = new("", "v1", "nodes", "Node", false);

    /// <summary>core/v1 persistent volumes.</summary>
    public static ResourceType<V1PersistentVolume> PersistentVolumes { get; } = new("", "v1", "persistentvolumes", "PersistentVolume", false);

    /// <summary>core/v1 pods.</summary>
    public static ResourceType<V1Pod> Pods { get; } = new("", "v1", "pods", "Pod", true);

    /// <summary>core/v1 services.</summary>
    public static ResourceType<V1Service> Services { get; } = new("", "v1", "services", "Service", true);

    /// <summary>core/v1 secrets.</summary>
    public static ResourceType<V1Secret> Secrets { get; } = new("", "v1", "secrets", "Secret", true);

    /// <summary>core/v1 config maps.</summary>
    public static ResourceType<V1ConfigMap> ConfigMaps { get; } = new("", "v1", "configmaps", "ConfigMap", true);

    /// <summary>core/v1 persistent volume claims.</summary>
    public static ResourceType<V1PersistentVolumeClaim> PersistentVolumeClaims { get; } = new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true);

    /// <summary>core/v1 events.</summary>
    public static ResourceType<Corev1Event> Events { get; } = new("", "v1", "events", "Event", true);

    /// <summary>core/v1 endpoints.</summary>
    public static ResourceType<V1Endpoints> Endpoints { get; } = new("", "v1", "endpoints", "Endpoints", true);

    /// <summary>core/v1 service accounts.</summary>
    public static ResourceType<V1ServiceAccount> ServiceAccounts { get; } = new("", "v1", "serviceaccounts", "ServiceAccount", true);

    /// <summary>discovery.k8s.io/v1 endpoint slices.</summary>
    public static ResourceType<V1EndpointSlice> EndpointSlices { get; } = new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true);

    /// <summary>apps/v1 stateful sets.</summary>
    public static ResourceType<V1StatefulSet> StatefulSets { get; } = new("apps", "v1", "statefulsets", "StatefulSet", true);

    /// <summary>apps/v1 daemon sets.</summary>
    public static ResourceType<V1DaemonSet> DaemonSets { get; } = new("apps", "v1", "daemonsets", "DaemonSet", true);

    /// <summary>apps/v1 deployments.</summary>
    public static ResourceType<V1Deployment> Deployments { get; } = new("apps", "v1", "deployments", "Deployment", true);

    /// <summary>batch/v1 jobs.</summary>
    public static ResourceType<V1Job> Jobs { get; } = new("batch", "v1", "jobs", "Job", true);

    /// <summary>batch/v1 cron jobs.</summary>
    public static ResourceType<V1CronJob> CronJobs { get; } = new("batch", "v1", "cronjobs", "CronJob", true);

    /// <summary>coordination.k8s.io/v1 leases.</summary>
    public static ResourceType<V1Lease> Leases { get; } = new("coordination.k8s.io", "v1", "leases", "Lease", true);
}
