using Fluid.Kubernetes.Resources;
using Fluid.Operator.Csi.V1;
using Fluid.Operator.Naming;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using static Fluid.Operator.Csi.V1.VolumeCapability.Types.AccessMode.Types;

namespace Fluid.Operator.Csi;

/// <summary>
/// CSI Node: NodePublishVolume labels this node for the runtime's FUSE DaemonSet, waits for the FUSE mount at the
/// volume's fluid_path and binds it onto the pod's target path; NodeUnpublishVolume unmounts and removes the target.
/// </summary>
internal sealed class NodeService : Node.NodeBase
{
    private static bool IsFuseLabelKey(string key)
    {
        const string prefix = "fluid.io/";
        if (!key.StartsWith(prefix + "f-", StringComparison.Ordinal))
        {
            return false;
        }

        var name = key.AsSpan(prefix.Length);
        return name.Length <= 63 && char.IsAsciiLetterOrDigit(name[^1]) && !name.ContainsAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");
    }

    public const string FluidPathKey = "fluid_path";
    public const string RuntimeNamespaceKey = "runtime_namespace";
    public const string RuntimeNameKey = "runtime_name";

    /// <summary>
    /// The node label the runtime's FUSE DaemonSet selects on, as the controller rendered it into the PV (our
    /// attribute, beside Fluid's): for long names the key carries the Dataset's uid, which the plugin cannot derive.
    /// </summary>
    public const string FuseNodeLabelKey = "fuse_node_label";
    private const int Ebusy = 16;

    private readonly CsiOptions _options;
    private readonly NodeLabeler _labeler;
    private readonly ILogger _logger;
    private readonly string _givenRoot;

    // The mount root with symlinks resolved: where every fluid_path must end up.
    private readonly string _root;

    // Mount-table changes are serialized: the check-then-bind of one call must not interleave with another's.
    private readonly SemaphoreSlim _mountLock = new(1, 1);

    public NodeService(CsiOptions options, NodeLabeler labeler, ILogger<NodeService> logger)
    {
        _options = options;
        _labeler = labeler;
        _logger = logger;
        _givenRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.MountRoot));
        _root = Mounts.RealPath(_givenRoot, out _) ?? _givenRoot;
    }

    public override Task<NodeGetCapabilitiesResponse> NodeGetCapabilities(NodeGetCapabilitiesRequest request, ServerCallContext context) =>
        Task.FromResult(new NodeGetCapabilitiesResponse());

    public override Task<NodeGetInfoResponse> NodeGetInfo(NodeGetInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new NodeGetInfoResponse { NodeId = _options.NodeId });

    public override async Task<NodePublishVolumeResponse> NodePublishVolume(NodePublishVolumeRequest request, ServerCallContext context)
    {
        try
        {
            return await PublishAsync(request, context.CancellationToken);
        }
        catch (RpcException e)
        {
            CsiLog.Failed(_logger, request.VolumeId, nameof(NodePublishVolume), e.StatusCode.ToString(), e.Status.Detail);
            throw;
        }
    }

    public override async Task<NodeUnpublishVolumeResponse> NodeUnpublishVolume(NodeUnpublishVolumeRequest request, ServerCallContext context)
    {
        try
        {
            return await UnpublishAsync(request, context.CancellationToken);
        }
        catch (RpcException e)
        {
            CsiLog.Failed(_logger, request.VolumeId, nameof(NodeUnpublishVolume), e.StatusCode.ToString(), e.Status.Detail);
            throw;
        }
    }

    private async Task<NodePublishVolumeResponse> PublishAsync(NodePublishVolumeRequest request, CancellationToken cancellationToken)
    {
        var volumeId = Require(request.VolumeId, "volume_id");
        var target = RequirePath(request.TargetPath, "target_path");
        if (request.VolumeCapability?.Block is not null)
        {
            throw Invalid("volume_capability: block access is not supported, only mount");
        }

        request.VolumeContext.TryGetValue(FluidPathKey, out var fluidPathText);
        var fluidPath = RequirePath(fluidPathText, $"volume_context[{FluidPathKey}]");
        // Spelled under --mount-root as given (it may itself lie behind a symlink), or under its resolved form.
        if (!IsUnder(fluidPath, _givenRoot) && !IsUnderRoot(fluidPath))
        {
            throw Invalid($"volume_context[{FluidPathKey}]: {fluidPath} is not under the mount root {_givenRoot}");
        }

        // A symlink on the existing part of the path must not lead out of the root either.
        CheckResolved(fluidPath);
        request.VolumeContext.TryGetValue(RuntimeNamespaceKey, out var runtimeNamespace);
        request.VolumeContext.TryGetValue(RuntimeNameKey, out var runtimeName);
        var label = new RuntimeNames(
            Require(runtimeNamespace, $"volume_context[{RuntimeNamespaceKey}]"),
            Require(runtimeName, $"volume_context[{RuntimeNameKey}]")).FuseLabel;
        if (request.VolumeContext.TryGetValue(FuseNodeLabelKey, out var renderedLabel))
        {
            if (!IsFuseLabelKey(renderedLabel))
            {
                throw Invalid($"volume_context[{FuseNodeLabelKey}]: \"{renderedLabel}\" is not a label key of the form fluid.io/f-<name> (at most 63 letters, digits, '-', '_' or '.' after the slash)");
            }

            label = renderedLabel;
        }
        var mode = request.VolumeCapability?.AccessMode?.Mode ?? Mode.Unknown;
        bool readOnly = request.Readonly || mode is Mode.SingleNodeReaderOnly or Mode.MultiNodeReaderOnly;

        var source = Mounts.RealPath(fluidPath, out _) is { } real ? Mounts.Find(real) : null;
        if (Mounts.Find(target) is { } current && source is not null && SameMount(current, source) && (current.ReadOnly || !readOnly))
        {
            CsiLog.AlreadyPublished(_logger, volumeId, target);
            return new NodePublishVolumeResponse();
        }

        try
        {
            await _labeler.LabelAsync(_options.NodeId, label, cancellationToken);
        }
        catch (Exception e) when (e.IsNotFound())
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"node {_options.NodeId} does not exist in the Kubernetes API (check --node-id)"));
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"labelling node {_options.NodeId} {label}=true failed: {e.Message}"));
        }

        CsiLog.Labelled(_logger, volumeId, _options.NodeId, label, fluidPath);
        var resolved = await WaitForFuseMountAsync(fluidPath, label, cancellationToken);
        source = Mounts.Find(resolved)!;

        await _mountLock.WaitAsync(cancellationToken);
        try
        {
            if (Mounts.Find(target) is { } existing)
            {
                if (SameMount(existing, source))
                {
                    // A read-write bind of a read-only request differs; the reverse may be the FUSE mount's own ro, inherited.
                    if (readOnly && !existing.ReadOnly)
                    {
                        throw new RpcException(new Status(StatusCode.AlreadyExists, $"target_path {target} is already published read-write; this request asks read-only"));
                    }

                    CsiLog.AlreadyPublished(_logger, volumeId, target);
                    return new NodePublishVolumeResponse();
                }

                throw new RpcException(new Status(StatusCode.AlreadyExists, $"target_path {target} is already a mount of something other than {fluidPath} (device {existing.Device}, root {existing.Root})"));
            }

            try
            {
                Directory.CreateDirectory(target);
                Mounts.Bind(resolved, target, readOnly);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RpcException(new Status(StatusCode.Internal, $"binding {resolved} at target_path {target}: {e.Message}"));
            }
        }
        finally
        {
            _mountLock.Release();
        }

        CsiLog.Published(_logger, volumeId, resolved, target, readOnly ? "ro" : "rw");
        return new NodePublishVolumeResponse();
    }

    /// <summary>Polls the mount table until the FUSE pod's mount shows at <paramref name="fluidPath"/>; returns its canonical path.</summary>
    private async Task<string> WaitForFuseMountAsync(string fluidPath, string label, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.PublishTimeout);
        try
        {
            while (true)
            {
                if (Mounts.RealPath(fluidPath, out _) is { } resolved)
                {
                    if (!IsUnderRoot(resolved))
                    {
                        throw Invalid($"volume_context[{FluidPathKey}]: {fluidPath} resolves to {resolved}, outside the mount root {_root}");
                    }

                    if (Mounts.Find(resolved) is not null)
                    {
                        return resolved;
                    }
                }

                await Task.Delay(_options.PollInterval, timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Either our own timeout or the caller's gRPC deadline: in both cases the FUSE mount did not come in time.
            throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                $"no FUSE mount appeared at {fluidPath} within {_options.PublishTimeout.TotalSeconds:0.#} s (is the FUSE pod for {label} running on node {_options.NodeId}?)"));
        }
    }

    private async Task<NodeUnpublishVolumeResponse> UnpublishAsync(NodeUnpublishVolumeRequest request, CancellationToken cancellationToken)
    {
        var volumeId = Require(request.VolumeId, "volume_id");
        var target = RequirePath(request.TargetPath, "target_path");
        await _mountLock.WaitAsync(cancellationToken);
        try
        {
            // Loop: a target bound twice by hand (or by an older plugin) has stacked mounts.
            for (int attempt = 0; attempt < 8 && Mounts.Find(target) is not null; attempt++)
            {
                var errno = Mounts.Unmount(target, lazy: false);
                if (errno == 0)
                {
                    continue;
                }

                // A busy mount (a process still has a file open) is detached now and released when the last user goes.
                CsiLog.LazyUnmount(_logger, target, Mounts.Describe(errno));
                errno = Mounts.Unmount(target, lazy: true);
                if (errno != 0)
                {
                    throw new RpcException(new Status(StatusCode.Internal, $"unmounting target_path {target}: {Mounts.Describe(errno)}"));
                }
            }

            if (Mounts.Find(target) is not null)
            {
                throw new RpcException(new Status(StatusCode.Internal, $"target_path {target} is still mounted after unmounting ({Mounts.Describe(Ebusy)})"));
            }

            try
            {
                if (Directory.Exists(target))
                {
                    Directory.Delete(target, recursive: false);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RpcException(new Status(StatusCode.Internal, $"removing target_path {target}: {e.Message}"));
            }
        }
        finally
        {
            _mountLock.Release();
        }

        CsiLog.Unpublished(_logger, volumeId, target);
        return new NodeUnpublishVolumeResponse();
    }

    private static bool SameMount(MountEntry a, MountEntry b) => a.Device == b.Device && a.Root == b.Root;

    // Strictly below the root: the root itself holds every runtime's mounts and is never one volume.
    private bool IsUnderRoot(string path) => IsUnder(path, _root);

    private static bool IsUnder(string path, string root) =>
        path.Length > root.Length && path.StartsWith(root, StringComparison.Ordinal) && (root == "/" || path[root.Length] == '/');

    /// <summary>Resolves the deepest existing ancestor of <paramref name="path"/> and checks that it stays under the root.</summary>
    private void CheckResolved(string path)
    {
        for (var existing = path; existing is not null; existing = Path.GetDirectoryName(existing))
        {
            if (Mounts.RealPath(existing, out _) is not { } resolved)
            {
                continue;
            }

            var rest = Path.GetRelativePath(existing, path);
            var full = rest == "." ? resolved : Path.Combine(resolved, rest);
            if (!IsUnderRoot(full))
            {
                throw Invalid($"volume_context[{FluidPathKey}]: {path} resolves to {full}, outside the mount root {_root}");
            }

            return;
        }
    }

    private static string Require(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw Invalid($"{field} is required") : value;

    /// <summary>An absolute path without <c>..</c> segments, normalized (duplicate and trailing slashes removed).</summary>
    private static string RequirePath(string? value, string field)
    {
        var path = Require(value, field);
        if (path[0] != '/')
        {
            throw Invalid($"{field}: {path} is not an absolute path");
        }

        if (path.Split('/').Contains(".."))
        {
            throw Invalid($"{field}: {path} contains '..'");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid($"{field}: contains a NUL character");
        }

        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) is { Length: > 0 } full ? full : "/";
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
