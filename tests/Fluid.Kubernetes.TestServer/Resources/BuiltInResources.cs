namespace Fluid.Kubernetes.TestServer.Resources;

/// <summary>The resources a new test server serves unless its options say otherwise.</summary>
public static class BuiltInResources
{
    private static readonly ScaleSubresource AppsScale = new(".spec.replicas", ".status.replicas", ".spec.selector");

    /// <summary>Fluid's own API group.</summary>
    public const string FluidGroup = "data.fluid.io";

    /// <summary>Every built-in definition: core, apps, batch, discovery, coordination, RBAC, apiextensions and Fluid's CRDs.</summary>
    public static IReadOnlyList<ResourceDefinition> All { get; } =
    [
        new("", "v1", "namespaces", "Namespace", Namespaced: false) { HasStatus = true },
        new("", "v1", "nodes", "Node", Namespaced: false) { HasStatus = true },
        new("", "v1", "persistentvolumes", "PersistentVolume", Namespaced: false) { HasStatus = true, ReturnDeletedObject = true },
        new("", "v1", "pods", "Pod", Namespaced: true) { HasStatus = true, ReturnDeletedObject = true },
        new("", "v1", "services", "Service", Namespaced: true) { HasStatus = true, ReturnDeletedObject = true },
        new("", "v1", "secrets", "Secret", Namespaced: true),
        new("", "v1", "configmaps", "ConfigMap", Namespaced: true),
        new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", Namespaced: true) { HasStatus = true, ReturnDeletedObject = true },
        new("", "v1", "events", "Event", Namespaced: true),
        new("", "v1", "endpoints", "Endpoints", Namespaced: true),
        new("", "v1", "serviceaccounts", "ServiceAccount", Namespaced: true) { ReturnDeletedObject = true },
        new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", Namespaced: true),
        new("apps", "v1", "statefulsets", "StatefulSet", Namespaced: true) { HasStatus = true, Scale = AppsScale },
        new("apps", "v1", "daemonsets", "DaemonSet", Namespaced: true) { HasStatus = true },
        new("apps", "v1", "deployments", "Deployment", Namespaced: true) { HasStatus = true, Scale = AppsScale },
        new("batch", "v1", "jobs", "Job", Namespaced: true) { HasStatus = true },
        new("batch", "v1", "cronjobs", "CronJob", Namespaced: true) { HasStatus = true },
        new("coordination.k8s.io", "v1", "leases", "Lease", Namespaced: true),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role", Namespaced: true),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", Namespaced: true),
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", Namespaced: false),
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", Namespaced: false),
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", Namespaced: false) { HasStatus = true },
        new(FluidGroup, "v1alpha1", "datasets", "Dataset", Namespaced: true) { HasStatus = true, ReturnDeletedObject = true },
        new(FluidGroup, "v1alpha1", "fluidcacheruntimes", "FluidCacheRuntime", Namespaced: true)
        {
            ReturnDeletedObject = true,
            HasStatus = true,
            Scale = new ScaleSubresource(".spec.replicas", ".status.currentWorkerNumberScheduled", ".status.selector"),
        },
        new(FluidGroup, "v1alpha1", "dataloads", "DataLoad", Namespaced: true) { HasStatus = true, ReturnDeletedObject = true },
    ];
}
