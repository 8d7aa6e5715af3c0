using System.Globalization;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Security;
using Fluid.Engine.Configuration;
using Fluid.Operator.Membership;
using k8s;
using k8s.Exceptions;
using Microsoft.Extensions.Logging;

namespace Fluid.Cli.Commands;

/// <summary>
/// What the clients of a runtime's cache workers (<c>fluid fuse</c>, daemonless <c>fluid load</c>) read from their flags:
/// the manifest, the token, the node, and where the list of workers comes from.
/// </summary>
internal static class ClusterClientSetup
{
    /// <summary>How long a client waits for the first list of EndpointSlices before giving up.</summary>
    public static readonly TimeSpan MembershipSyncTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Reads the manifests and maps the Dataset (<paramref name="datasetId"/> picks one of several); problems name the flag.</summary>
    public static async Task<EngineConfiguration?> ReadConfigurationAsync(string[] files, string? datasetId, string? secretsDirectory, string datasetFlag, List<string> problems, TextWriter error)
    {
        if (files.Length == 0)
        {
            problems.Add("--config: give the manifest with the Dataset and its FluidCacheRuntime");
            return null;
        }

        try
        {
            var manifests = ManifestFiles.Read(files);
            foreach (var warning in manifests.Warnings)
            {
                await error.WriteLineAsync(warning.ToString());
            }

            if (datasetId is not null && manifests.IsValid && FindDataset(manifests, datasetId) is null)
            {
                var found = string.Join(", ", manifests.Datasets.Select(d => $"{d.NamespaceOrDefault()}/{d.Metadata?.Name}"));
                problems.Add($"{datasetFlag}: no Dataset \"{datasetId}\" in --config (found: {(found.Length == 0 ? "none" : found)})");
                return null;
            }

            var secrets = secretsDirectory ?? (Directory.Exists(WorkerCommand.DefaultSecretsDirectory) ? WorkerCommand.DefaultSecretsDirectory : null);
            return EngineConfigurationMapper.FromManifests(manifests, datasetId, secrets);
        }
        catch (ConfigurationException ex)
        {
            problems.AddRange(ex.Problems.Select(p => "--config: " + p.Replace("choose one with --name", "choose one with " + datasetFlag, StringComparison.Ordinal)));
            return null;
        }
    }

    /// <summary>The token from <paramref name="file"/>, else <c>$FLUID_TOKEN</c>; the secret itself never appears in a message.</summary>
    public static ClusterToken? ReadToken(string? file, List<string> problems)
    {
        try
        {
            if (file is not null)
            {
                return ClusterToken.FromFile(file);
            }

            var token = ClusterToken.FromEnvironment();
            if (token is null)
            {
                problems.Add($"--token-file: no token (give a file or set ${ClusterToken.EnvironmentVariable})");
            }

            return token;
        }
        catch (ArgumentException ex)
        {
            problems.Add("--token-file: " + ex.Message.Split(" (Parameter", 2)[0]);
            return null;
        }
    }

    /// <summary>$NODE_NAME (the downward API's <c>spec.nodeName</c> in the pods), else the host name.</summary>
    public static string DefaultNodeName() =>
        Environment.GetEnvironmentVariable("NODE_NAME") is { Length: > 0 } node ? node : Environment.MachineName;

    /// <summary>A size such as 256Mi, or 0.</summary>
    public static long? ParseSize(string option, string text, List<string> problems)
    {
        if (text == "0")
        {
            return 0;
        }

        if (Quantity.TryParse(text, out var quantity) && quantity.Sign > 0)
        {
            return quantity.Value;
        }

        problems.Add($"{option}: \"{text}\" is not a size such as 256Mi, or 0");
        return null;
    }

    private static Fluid.Api.Datasets.Dataset? FindDataset(ManifestSet manifests, string id)
    {
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = slash < 0 ? ((string?)null, id) : (id[..slash], id[(slash + 1)..]);
        return manifests.Datasets.FirstOrDefault(d => d.Metadata?.Name == name && (ns is null || d.NamespaceOrDefault() == ns));
    }
}

/// <summary>
/// Where the list of workers comes from: <c>static:ID=HOST:DATA[:HTTP][@NODE],...</c>, or
/// <c>endpointslices:NAMESPACE/SERVICE</c> watched through the Kubernetes API (in-cluster, or a kubeconfig file).
/// </summary>
internal sealed class MembershipSource
{
    public const string StaticScheme = "static:";
    public const string Forms = "static:ID=HOST:DATA[:HTTP][@NODE],... or endpointslices:NAMESPACE/SERVICE";

    private readonly StaticMembership? _static;
    private readonly string? _namespace;
    private readonly string? _service;
    private readonly string? _kubeconfig;

    private MembershipSource(StaticMembership? list, string? ns, string? service, string? kubeconfig)
    {
        _static = list;
        _namespace = ns;
        _service = service;
        _kubeconfig = kubeconfig;
    }

    /// <summary>What the flag said, for messages.</summary>
    public string Description => _static is not null
        ? $"{_static.Current.Count.ToString(CultureInfo.InvariantCulture)} static workers"
        : $"EndpointSlices of service {_namespace}/{_service}";

    /// <summary>Parses the flag; null (with a problem naming what is wrong) when it cannot be used.</summary>
    public static MembershipSource? Parse(string? text, string? kubeconfig, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add($"--membership: required ({Forms})");
            return null;
        }

        if (text.StartsWith(StaticScheme, StringComparison.Ordinal))
        {
            var list = text[StaticScheme.Length..];
            if (list.Trim().Length == 0)
            {
                problems.Add($"--membership: \"{text}\" lists no workers (expected {Forms})");
                return null;
            }

            try
            {
                return new MembershipSource(StaticMembership.Parse(list), null, null, null);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                problems.Add($"--membership: {ex.Message.Split(" (Parameter", 2)[0]}");
                return null;
            }
        }

        if (EndpointSliceMembership.TryParseSource(text, out var ns, out var service))
        {
            if (kubeconfig is not null && !File.Exists(kubeconfig))
            {
                problems.Add($"--kubeconfig: {kubeconfig} does not exist");
                return null;
            }

            return new MembershipSource(null, ns, service, kubeconfig);
        }

        problems.Add($"--membership: \"{text}\" is not {Forms}");
        return null;
    }

    /// <summary>
    /// The live membership: the static list, or an EndpointSlice watch that has listed once (waits up to
    /// <see cref="ClusterClientSetup.MembershipSyncTimeout"/>). Dispose the returned handle after the client.
    /// </summary>
    /// <exception cref="InvalidOperationException">The Kubernetes API cannot be reached or configured; the message says why.</exception>
    public async Task<(IWorkerMembership Membership, IAsyncDisposable Lifetime)> OpenAsync(ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (_static is not null)
        {
            return (_static, new NoLifetime());
        }

        KubernetesClientConfiguration config;
        try
        {
            config = KubeConfig.Load(_kubeconfig);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"--membership endpointslices:{_namespace}/{_service}: {ex.Message}", ex);
        }

        var client = new k8s.Kubernetes(config);
        var membership = new EndpointSliceWorkerMembership(client, _namespace!, _service!, loggers.CreateLogger<EndpointSliceWorkerMembership>());
        membership.Start();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ClusterClientSetup.MembershipSyncTimeout);
            await membership.WaitForSyncAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await membership.DisposeAsync();
            client.Dispose();
            throw new InvalidOperationException(
                $"--membership endpointslices:{_namespace}/{_service}: no list of EndpointSlices from {config.Host} within {ClusterClientSetup.MembershipSyncTimeout.TotalSeconds:0} s (unreachable, or the service account may not list endpointslices in {_namespace})");
        }
        catch
        {
            await membership.DisposeAsync();
            client.Dispose();
            throw;
        }

        return (membership, new WatchLifetime(membership, client));
    }

    private sealed class NoLifetime : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class WatchLifetime(EndpointSliceWorkerMembership membership, k8s.Kubernetes client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await membership.DisposeAsync();
            client.Dispose();
        }
    }
}
