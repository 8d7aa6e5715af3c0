using System.Security.Cryptography;
using System.Text;
using Fluid.Api.Runtimes;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Applying;
using Fluid.Operator.Datasets;
using Fluid.Operator.Diagnostics;
using Fluid.Operator.Events;
using Fluid.Operator.Naming;
using Fluid.Operator.Resources;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Fluid.Operator.Engines.FluidCache;

/// <summary>The engine of FluidCacheRuntime: this project's own cache workers, FUSE clients and load jobs.</summary>
public sealed class FluidCacheEngine : IRuntimeEngine
{
    private readonly EngineServices _services;
    private readonly ILogger _logger;
    private readonly WorkerSummaryClient _summaries;
    private readonly Dictionary<string, DateTimeOffset> _lastScrape = [];
    private readonly Lock _scrapeGate = new();

    /// <summary>Creates the engine.</summary>
    public FluidCacheEngine(EngineServices services)
    {
        _services = services ?? throw new ArgumentNullException(nameof(services));
        _logger = services.Loggers.CreateLogger<FluidCacheEngine>();
        _summaries = new WorkerSummaryClient(services.Http, services.Options.WorkerHttpPort);
    }

    /// <inheritdoc />
    public string RuntimeType => RuntimeNames.RuntimeType;

    private Hosting.Cluster Cluster => _services.Cluster;

    /// <inheritdoc />
    public async Task SetupAsync(RuntimeContext context, CancellationToken cancellationToken)
    {
        var (dataset, runtime) = Unpack(context);
        var desired = FluidCacheRenderer.Render(dataset, runtime, _services.Options.Image);
        await Cluster.ServiceAccounts.ApplyAsync(desired.ClientAccount, (_, _) => { }, createOnly: true, _logger, cancellationToken);
        await Cluster.Roles.ApplyAsync(desired.ClientRole, (s, d) => s.Rules = d.Rules, logger: _logger, cancellationToken: cancellationToken);
        await Cluster.RoleBindings.ApplyAsync(desired.ClientRoleBinding, (s, d) => (s.RoleRef, s.Subjects) = (d.RoleRef, d.Subjects), logger: _logger, cancellationToken: cancellationToken);
        await Cluster.Secrets.ApplyAsync(desired.TokenSecret, (s, d) =>
        {
            // Generated once, on create; an existing token is never replaced.
            s.Type = d.Type;
            s.Data = new Dictionary<string, byte[]> { [RuntimeNames.TokenKey] = Encoding.ASCII.GetBytes(NewToken()) };
        }, createOnly: true, _logger, cancellationToken);
        await Cluster.ConfigMaps.ApplyAsync(desired.Config, (s, d) => s.Data = d.Data, logger: _logger, cancellationToken: cancellationToken);
        await Cluster.Services.ApplyAsync(desired.WorkerService, (s, d) =>
        {
            s.Spec ??= new V1ServiceSpec();
            s.Spec.ClusterIP = d.Spec.ClusterIP;
            s.Spec.Selector = d.Spec.Selector;
            s.Spec.Ports = d.Spec.Ports;
            s.Spec.PublishNotReadyAddresses = d.Spec.PublishNotReadyAddresses;
        }, logger: _logger, cancellationToken: cancellationToken);
        await Cluster.StatefulSets.ApplyAsync(desired.Workers, (s, d) => s.Spec = d.Spec, logger: _logger, cancellationToken: cancellationToken);
        await Cluster.DaemonSets.ApplyAsync(desired.Fuse, (s, d) => s.Spec = d.Spec, logger: _logger, cancellationToken: cancellationToken);
        // PV and PVC specs are (mostly) immutable once bound: created as rendered, then only their metadata is kept current.
        await Cluster.PersistentVolumes.ApplyAsync(desired.Volume, (s, d) => s.Spec = d.Spec, createOnly: true, _logger, cancellationToken);
        await Cluster.PersistentVolumeClaims.ApplyAsync(desired.Claim, (s, d) => s.Spec = d.Spec, createOnly: true, _logger, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<EngineSync> SyncAsync(RuntimeContext context, CancellationToken cancellationToken)
    {
        var (dataset, runtime) = Unpack(context);
        var names = FluidCacheRenderer.NamesOf(dataset, runtime);
        var ns = names.Namespace;
        var workers = Cluster.StatefulSetInformer.Cache.Get(new ObjectKey(ns, names.Workers));
        var fuse = Cluster.DaemonSetInformer.Cache.Get(new ObjectKey(ns, names.Fuse));
        var workerPods = Cluster.PodInformer.Cache.ListMatching(names.WorkerSelectorString, ns);
        var readyPods = workerPods.Where(p => PodUsage.IsReady(p) && !string.IsNullOrEmpty(p.Spec?.NodeName)).ToList();
        var cacheNodes = readyPods.Select(p => p.Spec.NodeName).ToHashSet(StringComparer.Ordinal);
        var fuseNodes = PodUsage.UsingClaim(Cluster.PodInformer.Cache.List(ns), names.Claim)
            .Select(p => p.Spec?.NodeName).OfType<string>().Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        bool onDemand = runtime.Spec?.EffectiveCleanPolicy() == FuseCleanPolicy.OnDemand;

        await LabelNodesAsync(names, runtime, n => new NodeWish(cacheNodes.Contains(n), fuseNodes.Contains(n), onDemand), cacheNodes.Concat(fuseNodes), cancellationToken);

        CacheFigures? figures = null;
        if (readyPods.Count > 0 && ScrapeDue(runtime))
        {
            var token = await ReadTokenAsync(names, cancellationToken);
            if (token is not null)
            {
                var summaries = await _summaries.ReadAsync(readyPods.Select(p => p.Status?.PodIP).OfType<string>().Where(ip => ip.Length > 0), token, $"{names.Namespace}/{names.Name}", cancellationToken);
                if (summaries.Count > 0)
                {
                    figures = CacheFigures.Aggregate(summaries);
                }

                Log.WorkerSummaries(_logger, ns, names.Name, summaries.Count, readyPods.Count);
            }
        }

        var now = Now();
        var status = RuntimeStatusCalculator.Compute(runtime.Status, new RuntimeObservation(
            names,
            runtime.Spec?.EffectiveReplicas() ?? FluidCacheRuntimeDefaults.Replicas,
            workers,
            fuse,
            dataset.Spec?.Mounts,
            figures?.CacheStates,
            runtime.Metadata.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : now,
            now));
        return new EngineSync(status, figures);
    }

    /// <inheritdoc />
    public async Task<bool> ShutdownAsync(RuntimeContext context, CancellationToken cancellationToken)
    {
        var (dataset, runtime) = Unpack(context);
        var names = FluidCacheRenderer.NamesOf(dataset, runtime);
        var ns = names.Namespace;
        var now = Now();
        var started = runtime.Metadata.DeletionTimestamp is { } deleted ? new DateTimeOffset(DateTime.SpecifyKind(deleted, DateTimeKind.Utc)) : now;
        var grace = TimeSpan.FromSeconds(runtime.Spec?.Management?.CleanCachePolicy?.GracePeriodSeconds ?? FluidCacheRuntimeDefaults.GracePeriodSeconds);
        int retries = runtime.Spec?.Management?.CleanCachePolicy?.MaxRetryAttempts ?? FluidCacheRuntimeDefaults.MaxRetryAttempts;

        // Workers first, so no cache is written while it is being removed.
        await Cluster.StatefulSets.DeleteAsync(new ObjectKey(ns, names.Workers), cancellationToken: cancellationToken);
        if (Cluster.PodInformer.Cache.ListMatching(names.WorkerSelectorString, ns).Count > 0 && now - started < grace)
        {
            return false;
        }

        var hostTiers = FluidCacheRenderer.TierDirectories(names, runtime.Spec).Any(t => t.HostPath is not null);
        var cacheNodes = Cluster.NodeInformer.Cache.List().Where(n => n.Metadata.Labels?.TryGetValue(names.CommonLabel, out var v) == true && v == "true").ToList();
        if (hostTiers && cacheNodes.Count > 0)
        {
            // cleanCachePolicy: a Job per cache node empties the hostPath tiers, retried maxRetryAttempts times, each
            // try bounded by gracePeriodSeconds; after that the runtime goes anyway, with a Warning event.
            var pending = 0;
            var failed = new List<string>();
            foreach (var node in cacheNodes)
            {
                var job = FluidCacheRenderer.RenderCleanupJob(names, runtime, _services.Options.Image, node.Metadata.Name);
                var stored = (await Cluster.Jobs.ApplyAsync(job, (s, d) => s.Spec = d.Spec, createOnly: true, _logger, cancellationToken)).Object;
                var state = JobState(stored);
                if (state == null)
                {
                    pending++;
                }
                else if (state == false)
                {
                    failed.Add(node.Metadata.Name);
                }
            }

            var deadline = started + grace + (grace * (retries + 1));
            if (pending > 0 && now < deadline)
            {
                return false;
            }

            if (pending > 0 || failed.Count > 0)
            {
                await _services.Events.RecordAsync(runtime, EventTypes.Warning, "CleanCacheFailed",
                    $"the cache on node(s) {string.Join(", ", failed)} could not be cleaned; {pending} clean-up job(s) did not finish", cancellationToken);
            }
        }

        var labelled = Cluster.NodeInformer.Cache.List().Where(n => n.Metadata.Labels?.Keys.Any(k => k == names.CommonLabel || k == names.FuseLabel) == true);
        await NodeLabels.ApplyAsync(Cluster.Nodes, labelled, names, FluidCacheRenderer.WorkerCapacity(runtime.Spec), _ => new NodeWish(false, false, true), cancellationToken);

        await Cluster.DaemonSets.DeleteAsync(new ObjectKey(ns, names.Fuse), cancellationToken: cancellationToken);
        await Cluster.Services.DeleteAsync(new ObjectKey(ns, names.Workers), cancellationToken: cancellationToken);
        await Cluster.PersistentVolumeClaims.DeleteAsync(new ObjectKey(ns, names.Claim), cancellationToken: cancellationToken);
        await Cluster.PersistentVolumes.DeleteAsync(new ObjectKey(null, names.PersistentVolume), cancellationToken: cancellationToken);
        await Cluster.ConfigMaps.DeleteAsync(new ObjectKey(ns, names.ConfigMap), cancellationToken: cancellationToken);
        await Cluster.Secrets.DeleteAsync(new ObjectKey(ns, names.TokenSecret), cancellationToken: cancellationToken);
        await Cluster.RoleBindings.DeleteAsync(new ObjectKey(ns, names.ClientAccount), cancellationToken: cancellationToken);
        await Cluster.Roles.DeleteAsync(new ObjectKey(ns, names.ClientAccount), cancellationToken: cancellationToken);
        await Cluster.ServiceAccounts.DeleteAsync(new ObjectKey(ns, names.ClientAccount), cancellationToken: cancellationToken);
        foreach (var job in Cluster.JobInformer.Cache.ListMatching($"{FluidLabels.Runtime}={names.Name}", ns))
        {
            await Cluster.Jobs.DeleteAsync(ObjectKey.From(job), "Background", cancellationToken: cancellationToken);
        }

        lock (_scrapeGate)
        {
            _lastScrape.Remove(runtime.Metadata.Uid ?? names.Name);
        }

        return true;
    }

    /// <inheritdoc />
    public RuntimeVolume Volume(RuntimeContext context)
    {
        var (dataset, runtime) = Unpack(context);
        var names = FluidCacheRenderer.NamesOf(dataset, runtime);
        return new RuntimeVolume(names.PersistentVolume, names.Claim, names.FuseMountPoint);
    }

    /// <inheritdoc />
    public V1PodTemplateSpec DataLoadPod(RuntimeContext context, DataLoadResource load)
    {
        var (dataset, runtime) = Unpack(context);
        return FluidCacheRenderer.RenderLoadPod(FluidCacheRenderer.NamesOf(dataset, runtime), dataset, load, _services.Options.Image);
    }

    /// <summary>True when the Job completed, false when it failed, null while it runs.</summary>
    internal static bool? JobState(V1Job job)
    {
        var conditions = job?.Status?.Conditions ?? [];
        if (conditions.Any(c => c.Type == "Complete" && c.Status == "True"))
        {
            return true;
        }

        return conditions.Any(c => c.Type == "Failed" && c.Status == "True") ? false : null;
    }

    private static (DatasetResource Dataset, FluidCacheRuntimeResource Runtime) Unpack(RuntimeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (context.Dataset, context.Runtime as FluidCacheRuntimeResource
            ?? throw new ArgumentException($"the FluidCache engine cannot run a {context.Runtime.Kind}", nameof(context)));
    }

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private async Task LabelNodesAsync(RuntimeNames names, FluidCacheRuntimeResource runtime, Func<string, NodeWish> wish, IEnumerable<string> wanted, CancellationToken cancellationToken)
    {
        var wantedSet = wanted.ToHashSet(StringComparer.Ordinal);
        var candidates = Cluster.NodeInformer.Cache.List()
            .Where(n => wantedSet.Contains(n.Metadata.Name) || n.Metadata.Labels?.Keys.Any(k => k == names.CommonLabel || k == names.FuseLabel) == true)
            .OrderBy(n => n.Metadata.Name, StringComparer.Ordinal);
        await NodeLabels.ApplyAsync(Cluster.Nodes, candidates, names, FluidCacheRenderer.WorkerCapacity(runtime.Spec), wish, cancellationToken);
    }

    private bool ScrapeDue(FluidCacheRuntimeResource runtime)
    {
        var now = _services.Time.GetUtcNow();
        var key = runtime.Metadata.Uid ?? runtime.Metadata.Name;
        lock (_scrapeGate)
        {
            if (_lastScrape.TryGetValue(key, out var last) && now - last < _services.Options.StatusInterval)
            {
                return false;
            }

            _lastScrape[key] = now;
            return true;
        }
    }

    private async Task<string?> ReadTokenAsync(RuntimeNames names, CancellationToken cancellationToken)
    {
        var secret = await Cluster.Secrets.GetAsync(new ObjectKey(names.Namespace, names.TokenSecret), cancellationToken);
        return secret?.Data?.TryGetValue(RuntimeNames.TokenKey, out var bytes) == true ? Encoding.ASCII.GetString(bytes) : null;
    }

    private DateTimeOffset Now()
    {
        var now = _services.Time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }
}
