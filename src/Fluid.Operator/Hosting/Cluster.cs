using Fluid.Kubernetes.Diagnostics;
using Fluid.Kubernetes.Informers;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Resources;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Hosting;

/// <summary>RBAC resources the operator writes (not in Fluid.Kubernetes' list).</summary>
public static class RbacResourceTypes
{
    public static ResourceType<V1Role> Roles { get; } = new("rbac.authorization.k8s.io", "v1", "roles", "Role", true);

    public static ResourceType<V1RoleBinding> RoleBindings { get; } = new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true);
}

/// <summary>
/// The operator's view of the cluster: a typed client per resource it reads or writes, and the informers whose
/// caches the reconcilers read (reconcilers read their primary object from the server and secondary objects from
/// these caches).
/// </summary>
public sealed class Cluster
{
    /// <summary>Creates clients and (not yet running) informers over <paramref name="client"/>.</summary>
    public Cluster(IKubernetes client, ILoggerFactory loggers, KubernetesMetrics? metrics = null, InformerOptions? informerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        Client = client ?? throw new ArgumentNullException(nameof(client));
        Datasets = new(client, FluidResourceTypes.Datasets);
        Runtimes = new(client, FluidResourceTypes.FluidCacheRuntimes);
        DataLoads = new(client, FluidResourceTypes.DataLoads);
        Pods = new(client, ResourceTypes.Pods);
        Nodes = new(client, ResourceTypes.Nodes);
        StatefulSets = new(client, ResourceTypes.StatefulSets);
        DaemonSets = new(client, ResourceTypes.DaemonSets);
        Services = new(client, ResourceTypes.Services);
        Secrets = new(client, ResourceTypes.Secrets);
        ConfigMaps = new(client, ResourceTypes.ConfigMaps);
        PersistentVolumes = new(client, ResourceTypes.PersistentVolumes);
        PersistentVolumeClaims = new(client, ResourceTypes.PersistentVolumeClaims);
        ServiceAccounts = new(client, ResourceTypes.ServiceAccounts);
        Roles = new(client, RbacResourceTypes.Roles);
        RoleBindings = new(client, RbacResourceTypes.RoleBindings);
        Jobs = new(client, ResourceTypes.Jobs);
        CronJobs = new(client, ResourceTypes.CronJobs);
        Events = new(client, ResourceTypes.Events);

        var options = informerOptions ?? new InformerOptions();
        var logger = loggers.CreateLogger("Fluid.Operator.Informers");
        DatasetInformer = new(Datasets, options, logger, metrics);
        RuntimeInformer = new(Runtimes, options, logger, metrics);
        DataLoadInformer = new(DataLoads, options, logger, metrics);
        PodInformer = new(Pods, options, logger, metrics);
        NodeInformer = new(Nodes, options, logger, metrics);
        StatefulSetInformer = new(StatefulSets, options, logger, metrics);
        DaemonSetInformer = new(DaemonSets, options, logger, metrics);
        JobInformer = new(Jobs, options, logger, metrics);
        CronJobInformer = new(CronJobs, options, logger, metrics);
    }

    public IKubernetes Client { get; }

    public ResourceClient<DatasetResource> Datasets { get; }

    public ResourceClient<FluidCacheRuntimeResource> Runtimes { get; }

    public ResourceClient<DataLoadResource> DataLoads { get; }

    public ResourceClient<V1Pod> Pods { get; }

    public ResourceClient<V1Node> Nodes { get; }

    public ResourceClient<V1StatefulSet> StatefulSets { get; }

    public ResourceClient<V1DaemonSet> DaemonSets { get; }

    public ResourceClient<V1Service> Services { get; }

    public ResourceClient<V1Secret> Secrets { get; }

    public ResourceClient<V1ConfigMap> ConfigMaps { get; }

    public ResourceClient<V1PersistentVolume> PersistentVolumes { get; }

    public ResourceClient<V1PersistentVolumeClaim> PersistentVolumeClaims { get; }

    public ResourceClient<V1ServiceAccount> ServiceAccounts { get; }

    public ResourceClient<V1Role> Roles { get; }

    public ResourceClient<V1RoleBinding> RoleBindings { get; }

    public ResourceClient<V1Job> Jobs { get; }

    public ResourceClient<V1CronJob> CronJobs { get; }

    public ResourceClient<Corev1Event> Events { get; }

    public ResourceInformer<DatasetResource> DatasetInformer { get; }

    public ResourceInformer<FluidCacheRuntimeResource> RuntimeInformer { get; }

    public ResourceInformer<DataLoadResource> DataLoadInformer { get; }

    public ResourceInformer<V1Pod> PodInformer { get; }

    public ResourceInformer<V1Node> NodeInformer { get; }

    public ResourceInformer<V1StatefulSet> StatefulSetInformer { get; }

    public ResourceInformer<V1DaemonSet> DaemonSetInformer { get; }

    public ResourceInformer<V1Job> JobInformer { get; }

    public ResourceInformer<V1CronJob> CronJobInformer { get; }

    /// <summary>Runs every informer until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunInformersAsync(CancellationToken cancellationToken) => Task.WhenAll(
        DatasetInformer.RunAsync(cancellationToken),
        RuntimeInformer.RunAsync(cancellationToken),
        DataLoadInformer.RunAsync(cancellationToken),
        PodInformer.RunAsync(cancellationToken),
        NodeInformer.RunAsync(cancellationToken),
        StatefulSetInformer.RunAsync(cancellationToken),
        DaemonSetInformer.RunAsync(cancellationToken),
        JobInformer.RunAsync(cancellationToken),
        CronJobInformer.RunAsync(cancellationToken));

    /// <summary>Completes once every informer has listed once.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => Task.WhenAll(
        DatasetInformer.WaitForSyncAsync(cancellationToken),
        RuntimeInformer.WaitForSyncAsync(cancellationToken),
        DataLoadInformer.WaitForSyncAsync(cancellationToken),
        PodInformer.WaitForSyncAsync(cancellationToken),
        NodeInformer.WaitForSyncAsync(cancellationToken),
        StatefulSetInformer.WaitForSyncAsync(cancellationToken),
        DaemonSetInformer.WaitForSyncAsync(cancellationToken),
        JobInformer.WaitForSyncAsync(cancellationToken),
        CronJobInformer.WaitForSyncAsync(cancellationToken));

    /// <summary>Whether every informer has listed once.</summary>
    public bool HasSynced => DatasetInformer.HasSynced && RuntimeInformer.HasSynced && DataLoadInformer.HasSynced && PodInformer.HasSynced
        && NodeInformer.HasSynced && StatefulSetInformer.HasSynced && DaemonSetInformer.HasSynced && JobInformer.HasSynced && CronJobInformer.HasSynced;
}
