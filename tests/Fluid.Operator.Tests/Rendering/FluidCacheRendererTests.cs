using Fluid.Api.Core;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Operator.Engines;
using Fluid.Operator.Engines.FluidCache;
using Fluid.Operator.Resources;
using Fluid.Operator.Tests.Harness;
using k8s;
using k8s.Models;

namespace Fluid.Operator.Tests.Rendering;

public sealed class FluidCacheRendererTests
{
    private static readonly ImageSettings Image = new() { Repository = "registry.example.com/fluid", Tag = "1.2.3", PullPolicy = "Always", PullSecrets = ["regcred"] };

    private static (DatasetResource Dataset, FluidCacheRuntimeResource Runtime, FluidCacheObjects Objects) Render()
    {
        var (dataset, runtime) = Samples.ImageNet();
        dataset.Metadata.Uid = "dataset-uid";
        runtime.Metadata.Uid = "runtime-uid";
        dataset.Spec = dataset.Spec! with
        {
            NodeAffinity = new Fluid.Api.Datasets.CacheableNodeAffinity
            {
                Required = new NodeSelector
                {
                    NodeSelectorTerms = ValueList.Of(new NodeSelectorTerm
                    {
                        MatchExpressions = ValueList.Of(new NodeSelectorRequirement { Key = "topology.kubernetes.io/zone", Operator = NodeSelectorOperator.In, Values = ValueList.Of("us-east-1a") }),
                    }),
                },
            },
            Tolerations = ValueList.Of(new Toleration { Key = "dedicated", Operator = TolerationOperator.Equal, Value = "cache", Effect = TaintEffect.NoSchedule }),
        };
        return (dataset, runtime, FluidCacheRenderer.Render(dataset, runtime, Image));
    }

    [Fact]
    public void Render_SameInput_SameOutput()
    {
        var first = KubernetesJson.Serialize(Render().Objects);
        var second = KubernetesJson.Serialize(Render().Objects);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Workers_StatefulSet_EveryFieldAsSpecified()
    {
        var sts = Render().Objects.Workers;
        Assert.Equal(("imagenet-worker", "training"), (sts.Metadata.Name, sts.Metadata.NamespaceProperty));
        Assert.Equal(("FluidCacheRuntime", "imagenet", "runtime-uid", true, true), (sts.Metadata.OwnerReferences[0].Kind, sts.Metadata.OwnerReferences[0].Name, sts.Metadata.OwnerReferences[0].Uid, sts.Metadata.OwnerReferences[0].Controller, sts.Metadata.OwnerReferences[0].BlockOwnerDeletion));
        Assert.Equal(2, sts.Spec.Replicas);
        Assert.Equal("imagenet-worker", sts.Spec.ServiceName);
        Assert.Equal("Parallel", sts.Spec.PodManagementPolicy);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "fluidcache", ["role"] = "fluidcache-worker", ["release"] = "imagenet" }, sts.Spec.Selector.MatchLabels);

        var pod = sts.Spec.Template;
        Assert.Equal("training-imagenet", pod.Metadata.Labels["fluid.io/dataset-id"]);
        Assert.Equal("Exclusive", pod.Metadata.Labels["fluid.io/dataset-placement"]);
        // podMetadata of the runtime and of the worker, with the selector labels winning over a user "role".
        Assert.Equal("vision", pod.Metadata.Labels["team"]);
        Assert.Equal("fluidcache-worker", pod.Metadata.Labels["role"]);
        Assert.Equal("ml-platform", pod.Metadata.Annotations["cost-center"]);
        Assert.Equal("true", pod.Metadata.Annotations["prometheus.io/scrape"]);
        Assert.Matches("^[0-9a-f]{16}$", pod.Metadata.Annotations["data.fluid.io/config-hash"]);

        var spec = pod.Spec;
        var worker = Assert.Single(spec.Containers);
        Assert.Equal(("worker", "registry.example.com/fluid:1.2.3", "Always"), (worker.Name, worker.Image, worker.ImagePullPolicy));
        Assert.Equal(["worker", "--config", "/etc/fluid/config/manifest.yaml", "--token-file", "/etc/fluid/token/token", "--listen", "0.0.0.0:7520", "--http", "0.0.0.0:7521", "--totals", "first-replica", "--readahead-pages=4"], worker.Args);
        Assert.Equal([("data", 7520), ("http", 7521)], worker.Ports.Select(p => (p.Name, p.ContainerPort)));
        Assert.Equal(
            ["NODE_NAME=spec.nodeName", "POD_IP=status.podIP", "POD_NAME=metadata.name", "POD_NAMESPACE=metadata.namespace"],
            worker.Env.Take(4).Select(e => $"{e.Name}={e.ValueFrom.FieldRef.FieldPath}"));
        Assert.Equal("info", worker.Env.Single(e => e.Name == "FLUID_LOG_LEVEL").Value);
        Assert.Equal(("metrics-token", "token"), (worker.Env.Single(e => e.Name == "METRICS_TOKEN").ValueFrom.SecretKeyRef.Name, worker.Env.Single(e => e.Name == "METRICS_TOKEN").ValueFrom.SecretKeyRef.Key));
        Assert.Equal("2", worker.Resources.Requests["cpu"].ToString());
        Assert.Equal("6Gi", worker.Resources.Requests["memory"].ToString());
        Assert.Equal("8Gi", worker.Resources.Limits["memory"].ToString());
        Assert.Equal(("/readyz", "http"), (worker.ReadinessProbe.HttpGet.Path, worker.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal(("/healthz", "http"), (worker.LivenessProbe.HttpGet.Path, worker.LivenessProbe.HttpGet.Port.Value));
        Assert.Equal((1000L, 1000L, true, false), (worker.SecurityContext.RunAsUser, worker.SecurityContext.RunAsGroup, worker.SecurityContext.RunAsNonRoot, worker.SecurityContext.AllowPrivilegeEscalation));

        // Tiers: MEM as a memory emptyDir, two SSD directories as hostPath under dir/ns/name.
        var volumes = spec.Volumes.ToDictionary(v => v.Name);
        Assert.Equal(("Memory", "4Gi"), (volumes["tier-mem-0"].EmptyDir.Medium, volumes["tier-mem-0"].EmptyDir.SizeLimit.ToString()));
        Assert.Equal(("/mnt/nvme0/fluid/training/imagenet", "DirectoryOrCreate"), (volumes["tier-ssd-0"].HostPath.Path, volumes["tier-ssd-0"].HostPath.Type));
        Assert.Equal("/mnt/nvme1/fluid/training/imagenet", volumes["tier-ssd-1"].HostPath.Path);
        var mounts = worker.VolumeMounts.ToDictionary(m => m.Name, m => m.MountPath);
        Assert.Equal(("/dev/shm", "/mnt/nvme0/fluid", "/mnt/nvme1/fluid"), (mounts["tier-mem-0"], mounts["tier-ssd-0"], mounts["tier-ssd-1"]));
        Assert.Equal(("/etc/fluid/config", "/etc/fluid/token", "/etc/fluid/secrets/s3-credentials"), (mounts["fluid-config"], mounts["fluid-token"], mounts["secret-0"]));
        Assert.Equal("imagenet-fluid-config", volumes["fluid-config"].ConfigMap.Name);
        Assert.Equal("imagenet-worker-token", volumes["fluid-token"].Secret.SecretName);
        Assert.Equal("s3-credentials", volumes["secret-0"].Secret.SecretName);
        var init = Assert.Single(spec.InitContainers);
        Assert.Equal(["chown", "1000:1000", "/mnt/nvme0/fluid", "/mnt/nvme1/fluid"], init.Command);

        Assert.Equal(new Dictionary<string, string> { ["node.kubernetes.io/instance-type"] = "i3en.2xlarge" }, spec.NodeSelector);
        var required = spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0];
        Assert.Equal(("topology.kubernetes.io/zone", "In", "us-east-1a"), (required.Key, required.OperatorProperty, required.Values[0]));
        var toleration = Assert.Single(spec.Tolerations);
        Assert.Equal(("dedicated", "Equal", "cache", "NoSchedule"), (toleration.Key, toleration.OperatorProperty, toleration.Value, toleration.Effect));
        var anti = spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution;
        Assert.Equal(2, anti.Count);
        Assert.Equal(sts.Spec.Selector.MatchLabels, anti[0].LabelSelector.MatchLabels);
        Assert.Equal("kubernetes.io/hostname", anti[0].TopologyKey);
        Assert.Equal([("fluid.io/dataset-placement", "Exists"), ("fluid.io/dataset-id", "NotIn")], anti[1].LabelSelector.MatchExpressions.Select(e => (e.Key, e.OperatorProperty)));
        Assert.False(spec.AutomountServiceAccountToken);
        Assert.Equal(60, spec.TerminationGracePeriodSeconds);
        Assert.Equal("regcred", Assert.Single(spec.ImagePullSecrets).Name);
    }

    [Fact]
    public void Service_Headless_DataAndHttpPorts()
    {
        var svc = Render().Objects.WorkerService;
        Assert.Equal(("imagenet-worker", "None"), (svc.Metadata.Name, svc.Spec.ClusterIP));
        Assert.Equal([("data", 7520), ("http", 7521)], svc.Spec.Ports.Select(p => (p.Name, p.Port)));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "fluidcache", ["role"] = "fluidcache-worker", ["release"] = "imagenet" }, svc.Spec.Selector);
    }

    [Fact]
    public void Fuse_DaemonSet_OnLabelledNodesPrivilegedWithBidirectionalMount()
    {
        var ds = Render().Objects.Fuse;
        Assert.Equal("imagenet-fuse", ds.Metadata.Name);
        Assert.Equal("OnDelete", ds.Spec.UpdateStrategy.Type);
        var spec = ds.Spec.Template.Spec;
        Assert.Equal(new Dictionary<string, string> { ["nvidia.com/gpu.present"] = "true", ["fluid.io/f-training-imagenet"] = "true" }, spec.NodeSelector);
        var fuse = Assert.Single(spec.Containers);
        Assert.Equal(
            ["fuse", "--config", "/etc/fluid/config/manifest.yaml", "--token-file", "/etc/fluid/token/token", "--mount-point", "/runtime-mnt/fluid/training/imagenet/fuse",
             "--membership", "endpointslices:training/imagenet-worker", "--max-read=1048576"],
            fuse.Args);
        Assert.True(fuse.SecurityContext.Privileged);
        var volumes = spec.Volumes.ToDictionary(v => v.Name);
        Assert.Equal(("/dev/fuse", "CharDevice"), (volumes["dev-fuse"].HostPath.Path, volumes["dev-fuse"].HostPath.Type));
        Assert.Equal("/runtime-mnt", volumes["runtime-mnt"].HostPath.Path);
        var mount = fuse.VolumeMounts.Single(m => m.Name == "runtime-mnt");
        Assert.Equal(("/runtime-mnt", "Bidirectional"), (mount.MountPath, mount.MountPropagation));
        Assert.Equal("imagenet-fuse", spec.ServiceAccountName);
        Assert.Equal(["NODE_NAME", "POD_IP", "POD_NAME", "POD_NAMESPACE", "MEMORY_LIMIT"], fuse.Env.Select(e => e.Name));
        Assert.Equal("fluidcache-fuse", ds.Spec.Template.Metadata.Labels["role"]);
    }

    [Fact]
    public void VolumeAndClaim_FluidAttributesLabelsAndAccessModes()
    {
        var objects = Render().Objects;
        var pv = objects.Volume;
        Assert.Equal("training-imagenet", pv.Metadata.Name);
        Assert.Equal(new Dictionary<string, string> { ["fluid.io/s-training-imagenet"] = "true", ["fluid.io/dataset-id"] = "training-imagenet" }, pv.Metadata.Labels);
        Assert.Equal(new Dictionary<string, string> { ["CreatedBy"] = "fluid" }, pv.Metadata.Annotations);
        Assert.Equal(["ReadOnlyMany"], pv.Spec.AccessModes);
        Assert.Equal(("100Pi", "fluid", "Retain"), (pv.Spec.Capacity["storage"].ToString(), pv.Spec.StorageClassName, pv.Spec.PersistentVolumeReclaimPolicy));
        Assert.Equal(("fuse.csi.fluid.io", "training-imagenet"), (pv.Spec.Csi.Driver, pv.Spec.Csi.VolumeHandle));
        Assert.Equal(new Dictionary<string, string>
        {
            ["fluid_path"] = "/runtime-mnt/fluid/training/imagenet/fuse",
            ["mount_type"] = "fluidcache",
            ["runtime_namespace"] = "training",
            ["runtime_name"] = "imagenet",
            ["fuse_node_label"] = "fluid.io/f-training-imagenet",
        }, pv.Spec.Csi.VolumeAttributes);
        Assert.Equal(("training", "imagenet"), (pv.Spec.ClaimRef.NamespaceProperty, pv.Spec.ClaimRef.Name));
        var term = pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions.Single();
        Assert.Equal(("nvidia.com/gpu.present", "In", "true"), (term.Key, term.OperatorProperty, term.Values[0]));

        var pvc = objects.Claim;
        Assert.Equal(("imagenet", "training", "training-imagenet", "fluid"), (pvc.Metadata.Name, pvc.Metadata.NamespaceProperty, pvc.Spec.VolumeName, pvc.Spec.StorageClassName));
        Assert.Equal(["ReadOnlyMany"], pvc.Spec.AccessModes);
        Assert.Equal("true", pvc.Metadata.Labels["fluid.io/s-training-imagenet"]);
        Assert.Equal("fluid", pvc.Metadata.Annotations["CreatedBy"]);
        Assert.Equal(new Dictionary<string, string> { ["fluid.io/s-training-imagenet"] = "true" }, pvc.Spec.Selector.MatchLabels);
    }

    [Fact]
    public void SecretConfigAndClientRbac_AsThePodsNeedThem()
    {
        var (dataset, _, objects) = Render();
        Assert.Equal(("imagenet-worker-token", "Opaque"), (objects.TokenSecret.Metadata.Name, objects.TokenSecret.Type));
        Assert.Null(objects.TokenSecret.Data);
        var manifest = objects.Config.Data["manifest.yaml"];
        var set = ManifestReader.Read(manifest, "config");
        Assert.True(set.IsValid, string.Join("\n", set.Problems));
        Assert.Equal(dataset.Spec, set.Datasets.Single().Spec);
        Assert.Null(set.Runtimes.Single().Spec!.Replicas);
        Assert.DoesNotContain("runtime-uid", manifest, StringComparison.Ordinal);
        Assert.DoesNotContain("dataset-uid", manifest, StringComparison.Ordinal);
        var rule = Assert.Single(objects.ClientRole.Rules);
        Assert.Equal(["discovery.k8s.io"], rule.ApiGroups);
        Assert.Equal(["endpointslices"], rule.Resources);
        Assert.Equal(["get", "list", "watch"], rule.Verbs);
        Assert.Equal(("Role", "imagenet-fuse"), (objects.ClientRoleBinding.RoleRef.Kind, objects.ClientRoleBinding.RoleRef.Name));
        Assert.Equal(("ServiceAccount", "imagenet-fuse", "training"), (objects.ClientRoleBinding.Subjects[0].Kind, objects.ClientRoleBinding.Subjects[0].Name, objects.ClientRoleBinding.Subjects[0].NamespaceProperty));
    }

    [Fact]
    public void Replicas_Changed_OnlyTheStatefulSetChanges()
    {
        var (dataset, runtime, before) = Render();
        runtime.Spec = runtime.Spec! with { Replicas = 5 };
        var after = FluidCacheRenderer.Render(dataset, runtime, Image);
        Assert.Equal(5, after.Workers.Spec.Replicas);
        Assert.Equal(KubernetesJson.Serialize(before.Workers.Spec.Template), KubernetesJson.Serialize(after.Workers.Spec.Template));
        Assert.Equal(KubernetesJson.Serialize(before.Fuse), KubernetesJson.Serialize(after.Fuse));
        Assert.Equal(before.Config.Data, after.Config.Data);
    }

    [Fact]
    public void LongNames_LabelKeysFallBackToDatasetUid()
    {
        var names = new Naming.RuntimeNames("a-very-long-namespace-name-for-testing", "and-a-rather-long-dataset-name", "0b1c2d3e-uid");
        Assert.Equal("fluid.io/s-0b1c2d3e-uid", names.CommonLabel);
        Assert.Equal("fluid.io/f-0b1c2d3e-uid", names.FuseLabel);
        Assert.Equal("0b1c2d3e-uid", names.DatasetId);
        var shortNames = new Naming.RuntimeNames("default", "data", "uid");
        Assert.Equal(("fluid.io/s-default-data", "fluid.io/s-fluidcache-default-data", "fluid.io/s-h-fluidcache-m-default-data", "fluid.io/f-default-data"),
            (shortNames.CommonLabel, shortNames.RuntimeLabel, shortNames.MemoryCapacityLabel, shortNames.FuseLabel));
    }

    [Fact]
    public void CleanupJob_PinnedToNodeRunsAsWorkerUser()
    {
        var (_, runtime, _) = Render();
        var job = FluidCacheRenderer.RenderCleanupJob(new Naming.RuntimeNames("training", "imagenet"), runtime, Image, "node-a");
        Assert.StartsWith("imagenet-clean-", job.Metadata.Name, StringComparison.Ordinal);
        var spec = job.Spec.Template.Spec;
        Assert.Equal(("node-a", "Never"), (spec.NodeName, spec.RestartPolicy));
        Assert.Equal(["find", "/cache/0", "/cache/1", "-mindepth", "1", "-delete"], spec.Containers[0].Command);
        Assert.Equal(["/mnt/nvme0/fluid/training/imagenet", "/mnt/nvme1/fluid/training/imagenet"], spec.Volumes.Select(v => v.HostPath.Path));
        Assert.Equal(1000, spec.Containers[0].SecurityContext.RunAsUser);
        Assert.Equal((3, 60L), (job.Spec.BackoffLimit, job.Spec.ActiveDeadlineSeconds));
    }
}
