using System.Diagnostics;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Csi;
using Fluid.Operator.Csi.V1;
using Fluid.Operator.Tests.Harness;
using Google.Protobuf;
using Grpc.Core;
using static Fluid.Operator.Csi.V1.VolumeCapability.Types;

namespace Fluid.Operator.Tests.Csi;

public sealed class CsiNodePluginTests
{
    private const string FuseLabel = "fluid.io/f-default-data";

    [Fact]
    public async Task Identity_InProcess_ReportsDriverVersionNodeAndReady()
    {
        await using var csi = await CsiHarness.StartAsync();
        await csi.StartServerAsync(TimeSpan.FromSeconds(5));

        var info = await csi.Identity.GetPluginInfoAsync(new GetPluginInfoRequest());
        Assert.Equal("fuse.csi.fluid.io", info.Name);
        Assert.Equal("9.8.7-test", info.VendorVersion);
        Assert.Empty((await csi.Identity.GetPluginCapabilitiesAsync(new GetPluginCapabilitiesRequest())).Capabilities);
        Assert.True((await csi.Identity.ProbeAsync(new ProbeRequest())).Ready);
        Assert.Equal(CsiHarness.NodeName, (await csi.Node.NodeGetInfoAsync(new NodeGetInfoRequest())).NodeId);
        Assert.Empty((await csi.Node.NodeGetCapabilitiesAsync(new NodeGetCapabilitiesRequest())).Capabilities);

        // A CSI call outside the subset (staging) is UNIMPLEMENTED, so kubelet sees a spec-conforming answer.
        var stage = new Method<NodeGetInfoRequest, NodeGetInfoResponse>(MethodType.Unary, "csi.v1.Node", "NodeStageVolume",
            Marshallers.Create(r => r.ToByteArray(), NodeGetInfoRequest.Parser.ParseFrom), Marshallers.Create(r => r.ToByteArray(), NodeGetInfoResponse.Parser.ParseFrom));
        var error = await Assert.ThrowsAsync<RpcException>(async () => await csi.Channel.CreateCallInvoker().AsyncUnaryCall(stage, null, default, new NodeGetInfoRequest()));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task NodePublishVolume_RealFuseMount_LabelsNodeWaitsAndBindsReadOnly()
    {
        await using var csi = await CsiHarness.StartAsync();
        await csi.StartServerAsync(TimeSpan.FromSeconds(60));
        var source = Directory.CreateDirectory(Path.Combine(csi.Dir, "src")).FullName;
        await File.WriteAllTextAsync(Path.Combine(source, "hello.txt"), "hello, csi\n");
        var blob = new byte[300_000];
        new Random(7).NextBytes(blob);
        await File.WriteAllBytesAsync(Path.Combine(source, "blob.bin"), blob);
        var fusePath = csi.FusePath("default", "data");
        var target = Path.Combine(csi.Dir, "pods", "uid-1", "volumes", "kubernetes.io~csi", "default-data", "mount");

        // The call waits for the FUSE pod; play the DaemonSet: start the mount only once the node carries the label.
        var publish = csi.Node.NodePublishVolumeAsync(Request(target, fusePath, readOnly: true)).ResponseAsync;
        await Eventually.ValueAsync(() => csi.Nodes.GetAsync(new ObjectKey(null, CsiHarness.NodeName)), n => n.Metadata.Labels?.ContainsKey(FuseLabel) == true, "the FUSE label on the node", TimeSpan.FromSeconds(20));
        Assert.False(publish.IsCompleted, "publish returned before the FUSE mount existed");
        csi.MountDir(source, fusePath);
        await publish.WaitAsync(TimeSpan.FromSeconds(30));

        var node = await csi.Nodes.GetAsync(new ObjectKey(null, CsiHarness.NodeName));
        Assert.Equal("true", node!.Metadata.Labels[FuseLabel]);
        Assert.Equal("hello, csi\n", CsiHarness.Run("cat", Path.Combine(target, "hello.txt")).Stdout);
        Assert.Equal(0, CsiHarness.Run("cmp", Path.Combine(source, "blob.bin"), Path.Combine(target, "blob.bin")).ExitCode);
        var fuse = Mounts.Find(fusePath)!;
        var bound = Mounts.Find(target)!;
        Assert.Equal(fuse.Device, bound.Device);
        Assert.False(fuse.ReadOnly);
        Assert.True(bound.ReadOnly);
        var write = CsiHarness.Run("touch", Path.Combine(target, "new.txt"));
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.Stderr, StringComparison.Ordinal);

        // Idempotent: the same publish again is OK and stacks nothing.
        await csi.Node.NodePublishVolumeAsync(Request(target, fusePath, readOnly: true));
        Assert.Single(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == target);

        // readonly=false with a writer access mode binds read-write.
        var writable = Path.Combine(csi.Dir, "pods", "uid-2", "volumes", "kubernetes.io~csi", "default-data", "mount");
        await csi.Node.NodePublishVolumeAsync(Request(writable, fusePath, readOnly: false, AccessMode.Types.Mode.SingleNodeWriter));
        Assert.False(Mounts.Find(writable)!.ReadOnly);
        var conflict = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodePublishVolumeAsync(Request(writable, fusePath, readOnly: true)));
        Assert.Equal(StatusCode.AlreadyExists, conflict.StatusCode);
        Assert.Contains("read-write", conflict.Status.Detail, StringComparison.Ordinal);

        foreach (var path in new[] { target, writable })
        {
            await csi.Node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = "default-data", TargetPath = path });
            Assert.Null(Mounts.Find(path));
            Assert.False(Directory.Exists(path));
            await csi.Node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = "default-data", TargetPath = path });
        }

        Assert.NotNull(Mounts.Find(fusePath));
    }

    [Fact]
    public async Task NodePublishVolume_TargetMountedFromElsewhere_AlreadyExists()
    {
        await using var csi = await CsiHarness.StartAsync();
        await csi.StartServerAsync(TimeSpan.FromSeconds(30));
        var source = Directory.CreateDirectory(Path.Combine(csi.Dir, "src")).FullName;
        await File.WriteAllTextAsync(Path.Combine(source, "a.txt"), "a");
        var fusePath = csi.FusePath("default", "data");
        csi.MountDir(source, fusePath);
        var target = Directory.CreateDirectory(Path.Combine(csi.Dir, "pods", "uid-3", "mount")).FullName;
        var other = Directory.CreateDirectory(Path.Combine(csi.Dir, "other")).FullName;
        Mounts.Bind(other, target, readOnly: false);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodePublishVolumeAsync(Request(target, fusePath, readOnly: true)));
        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Contains(target, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodePublishVolume_FuseMountNeverAppears_DeadlineExceededWithinTimeout()
    {
        await using var csi = await CsiHarness.StartAsync();
        await csi.StartServerAsync(TimeSpan.FromSeconds(1));
        var fusePath = csi.FusePath("default", "data");
        var target = Path.Combine(csi.Dir, "pods", "uid-4", "mount");

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodePublishVolumeAsync(Request(target, fusePath, readOnly: true)));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains(fusePath, error.Status.Detail, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(15));
        Assert.False(Directory.Exists(target));
        // The label was set all the same: the FUSE pod may still come, and kubelet retries.
        Assert.Equal("true", (await csi.Nodes.GetAsync(new ObjectKey(null, CsiHarness.NodeName)))!.Metadata.Labels[FuseLabel]);

        // The label the controller rendered into the PV wins (long names put the Dataset's uid in the key).
        const string rendered = "fluid.io/f-3f1c2a9e-5b7d-4c1e-9a2b-0d6e8f4a1b2c";
        var withLabel = With(Request(target, fusePath, readOnly: true), r => r.VolumeContext.Add("fuse_node_label", rendered));
        error = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodePublishVolumeAsync(withLabel));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal("true", (await csi.Nodes.GetAsync(new ObjectKey(null, CsiHarness.NodeName)))!.Metadata.Labels[rendered]);
        var badLabel = With(Request(target, fusePath, readOnly: true), r => r.VolumeContext.Add("fuse_node_label", "kubernetes.io/hostname"));
        error = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodePublishVolumeAsync(badLabel));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("fuse_node_label", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodePublishVolume_MountRootBehindSymlink_BothSpellingsAccepted()
    {
        await using var csi = await CsiHarness.StartAsync();
        var link = Path.Combine(csi.Dir, "root-link");
        File.CreateSymbolicLink(link, csi.MountRoot);
        await csi.StartServerAsync(TimeSpan.FromMilliseconds(300), mountRoot: link);
        csi.FusePath("default", "data");

        // Validation passes for both spellings, so each waits for a FUSE mount that never comes.
        foreach (var fluidPath in new[] { Path.Combine(link, "default", "data", "fuse"), Path.Combine(csi.MountRoot, "default", "data", "fuse") })
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodePublishVolumeAsync(Request(Path.Combine(csi.Dir, "t"), fluidPath, true)));
            Assert.True(error.StatusCode == StatusCode.DeadlineExceeded, $"{fluidPath}: {error.StatusCode} {error.Status.Detail}");
        }

        var outside = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodePublishVolumeAsync(Request(Path.Combine(csi.Dir, "t"), Path.Combine(csi.Dir, "fuse"), true)));
        Assert.Equal(StatusCode.InvalidArgument, outside.StatusCode);
        Assert.Contains($"not under the mount root {link}", outside.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodePublishVolume_BadRequests_InvalidArgumentNamingTheField()
    {
        await using var csi = await CsiHarness.StartAsync();
        await csi.StartServerAsync(TimeSpan.FromSeconds(1));
        var fusePath = csi.FusePath("default", "data");
        var target = Path.Combine(csi.Dir, "pods", "uid-5", "mount");
        var outside = Directory.CreateDirectory(Path.Combine(csi.Dir, "outside")).FullName;
        var escape = Path.Combine(csi.MountRoot, "default", "escape");
        File.CreateSymbolicLink(escape, outside);

        var cases = new (NodePublishVolumeRequest Request, string Expected)[]
        {
            (With(Request(target, fusePath, true), r => r.VolumeId = string.Empty), "volume_id is required"),
            (With(Request(target, fusePath, true), r => r.TargetPath = string.Empty), "target_path is required"),
            (With(Request(target, fusePath, true), r => r.TargetPath = "relative/mount"), "target_path: relative/mount is not an absolute path"),
            (With(Request(target, fusePath, true), r => r.VolumeContext.Remove(NodeServiceKeys.FluidPath)), "volume_context[fluid_path] is required"),
            (Request(target, Path.Combine(outside, "fuse"), true), "is not under the mount root"),
            (Request(target, csi.MountRoot + "/default/../../../outside/fuse", true), "contains '..'"),
            (Request(target, Path.Combine(escape, "fuse"), true), "outside the mount root"),
            (Request(target, csi.MountRoot, true), "is not under the mount root"),
            (With(Request(target, fusePath, true), r => r.VolumeContext.Remove("runtime_name")), "volume_context[runtime_name] is required"),
            (With(Request(target, fusePath, true), r => r.VolumeCapability = new VolumeCapability { Block = new BlockVolume() }), "block access is not supported"),
        };
        foreach (var (request, expected) in cases)
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodePublishVolumeAsync(request));
            Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{expected}: {error.StatusCode} {error.Status.Detail}");
            Assert.Contains(expected, error.Status.Detail, StringComparison.Ordinal);
        }

        var unpublish = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = "v" }));
        Assert.Equal(StatusCode.InvalidArgument, unpublish.StatusCode);
        Assert.Contains("target_path is required", unpublish.Status.Detail, StringComparison.Ordinal);
        // Nothing was labelled or created for a rejected request.
        Assert.Null((await csi.Nodes.GetAsync(new ObjectKey(null, CsiHarness.NodeName)))!.Metadata.Labels);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task FluidCsi_Process_ServesOnUnixSocketAndStopsOnSigterm()
    {
        await using var csi = await CsiHarness.StartAsync();
        var kubeconfig = csi.WriteKubeconfig();
        Assert.True(File.Exists(CsiHarness.FluidBinary), $"{CsiHarness.FluidBinary} not built");
        var start = new ProcessStartInfo(CsiHarness.FluidBinary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "csi", "--endpoint", $"unix://{csi.Socket}", "--kubeconfig", kubeconfig, "--mount-root", csi.MountRoot, "--publish-timeout", "1" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NODE_NAME"] = CsiHarness.NodeName;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(File.Exists(csi.Socket) || process.HasExited), "the csi socket", TimeSpan.FromSeconds(30));
            if (process.HasExited)
            {
                Assert.Fail($"fluid csi exited {process.ExitCode}: {await errors}");
            }

            var info = await csi.Identity.GetPluginInfoAsync(new GetPluginInfoRequest());
            Assert.Equal("fuse.csi.fluid.io", info.Name);
            Assert.Equal(CsiHarness.Run(CsiHarness.FluidBinary, "version").Stdout.Split(' ')[1], info.VendorVersion);
            Assert.Equal(CsiHarness.NodeName, (await csi.Node.NodeGetInfoAsync(new NodeGetInfoRequest())).NodeId);

            // Through the real kubeconfig: the label lands, then the publish times out after --publish-timeout.
            var error = await Assert.ThrowsAsync<RpcException>(async () => await csi.Node.NodePublishVolumeAsync(Request(Path.Combine(csi.Dir, "t"), csi.FusePath("default", "data"), true)));
            Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
            Assert.Equal("true", (await csi.Nodes.GetAsync(new ObjectKey(null, CsiHarness.NodeName)))!.Metadata.Labels[FuseLabel]);
        }
        finally
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(20)), "fluid csi did not stop on SIGTERM");
        }

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await errors}{await output}");
        Assert.Contains("serving on", await output, StringComparison.Ordinal);
        Assert.False(File.Exists(csi.Socket), "the socket file is removed on exit");
    }

    [Fact]
    public void FluidCsi_BadFlags_ExitTwoNamingTheFlag()
    {
        var noNode = CsiHarness.Run("env", "-u", "NODE_NAME", CsiHarness.FluidBinary, "csi", "--endpoint", "unix:///tmp/x.sock");
        Assert.Equal(2, noNode.ExitCode);
        Assert.Contains("--node-id", noNode.Stderr, StringComparison.Ordinal);
        var badEndpoint = CsiHarness.Run(CsiHarness.FluidBinary, "csi", "--endpoint", "tcp://127.0.0.1:1", "--node-id", "n");
        Assert.Equal(2, badEndpoint.ExitCode);
        Assert.Contains("--endpoint tcp://127.0.0.1:1", badEndpoint.Stderr, StringComparison.Ordinal);
    }

    private static NodePublishVolumeRequest Request(string target, string fluidPath, bool readOnly, AccessMode.Types.Mode mode = AccessMode.Types.Mode.MultiNodeReaderOnly)
    {
        var request = new NodePublishVolumeRequest
        {
            VolumeId = "default-data",
            TargetPath = target,
            Readonly = readOnly,
            VolumeCapability = new VolumeCapability { Mount = new MountVolume(), AccessMode = new AccessMode { Mode = mode } },
        };
        request.VolumeContext.Add(NodeServiceKeys.FluidPath, fluidPath);
        request.VolumeContext.Add("mount_type", "fluidcache");
        request.VolumeContext.Add("runtime_namespace", "default");
        request.VolumeContext.Add("runtime_name", "data");
        request.Secrets.Add("token", "never-logged");
        return request;
    }

    private static NodePublishVolumeRequest With(NodePublishVolumeRequest request, Action<NodePublishVolumeRequest> change)
    {
        change(request);
        return request;
    }

    private static class NodeServiceKeys
    {
        public const string FluidPath = "fluid_path";
    }
}
