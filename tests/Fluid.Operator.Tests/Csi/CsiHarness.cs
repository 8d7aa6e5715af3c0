using System.Diagnostics;
using System.Net.Sockets;
using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.TestServer;
using Fluid.Operator.Csi;
using Fluid.Operator.Csi.V1;
using Fluid.Operator.Tests.Harness;
using Grpc.Net.Client;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Operator.Tests.Csi;

/// <summary>
/// A CSI plugin under test: an in-process API server holding one Node, a temp tree with the mount root, and either
/// the in-process <see cref="CsiServer"/> or a `fluid csi` process, reached over its Unix socket with the generated clients.
/// </summary>
public sealed class CsiHarness : IAsyncDisposable
{
    public const string NodeName = "node-a";

    private readonly List<Process> _daemons = [];
    private CsiServer? _server;
    private GrpcChannel? _channel;

    private CsiHarness(KubeApiServer api, DirectoryInfo dir)
    {
        Api = api;
        Dir = dir.FullName;
        Client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url.ToString() });
        Nodes = new ResourceClient<V1Node>(Client, ResourceTypes.Nodes);
        MountRoot = Path.Combine(Dir, "runtime-mnt", "fluid");
        Directory.CreateDirectory(MountRoot);
    }

    public KubeApiServer Api { get; }

    public k8s.Kubernetes Client { get; }

    public ResourceClient<V1Node> Nodes { get; }

    public string Dir { get; }

    public string MountRoot { get; }

    public string Socket => Path.Combine(Dir, "csi.sock");

    public Identity.IdentityClient Identity => new(Channel);

    public Node.NodeClient Node => new(Channel);

    public GrpcChannel Channel => _channel ??= Connect(Socket);

    public static string FluidBinary { get; } = Repo.PathOf("artifacts", "bin", "Fluid.Cli", "release", "fluid");

    public static async Task<CsiHarness> StartAsync()
    {
        var api = await KubeApiServer.StartAsync();
        var harness = new CsiHarness(api, Directory.CreateTempSubdirectory("fluid-csi-"));
        await harness.Nodes.CreateAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = NodeName } });
        return harness;
    }

    /// <summary>Starts the plugin in-process.</summary>
    public async Task StartServerAsync(TimeSpan publishTimeout, string? mountRoot = null)
    {
        _server = await CsiServer.StartAsync(
            new CsiOptions { SocketPath = Socket, NodeId = NodeName, MountRoot = mountRoot ?? MountRoot, PublishTimeout = publishTimeout, PollInterval = TimeSpan.FromMilliseconds(50), VendorVersion = "9.8.7-test" },
            Client, NullLoggerFactory.Instance, CancellationToken.None);
    }

    /// <summary>A gRPC channel to a Unix socket: HTTP/2 without TLS, the connection made by hand.</summary>
    public static GrpcChannel Connect(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    /// <summary>The runtime's FUSE mount point under the mount root (created, not mounted).</summary>
    public string FusePath(string ns, string name)
    {
        var path = Path.Combine(MountRoot, ns, name, "fuse");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Plays the FUSE pod: `fluid mount-dir SRC MNT` (kernel-writable, so only the plugin's bind can make the target read-only).</summary>
    public Process MountDir(string source, string mountPoint)
    {
        Assert.True(File.Exists(FluidBinary), $"{FluidBinary} not built");
        var start = new ProcessStartInfo(FluidBinary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "mount-dir", source, mountPoint, "--timeout", "10", "--kernel-writable" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        _daemons.Add(process);
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null || !line.Result.StartsWith("Mounted", StringComparison.Ordinal))
        {
            process.Kill();
            Assert.Fail($"mount-dir did not report a mount: {line.Result} {process.StandardError.ReadToEnd()}");
        }

        return process;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), $"{file} did not finish");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Writes a kubeconfig pointing at the in-process API server, for `--kubeconfig`.</summary>
    public string WriteKubeconfig() => Api.WriteKubeconfig(Path.Combine(Dir, "kubeconfig"));

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        // Binds left by a failed test go first, lazily, so the FUSE daemons can unmount and exit.
        foreach (var line in File.ReadLines("/proc/self/mountinfo").Reverse().ToList())
        {
            var mountPoint = line.Split(' ')[4];
            if (mountPoint.StartsWith(Dir + "/", StringComparison.Ordinal))
            {
                Run("umount", "-l", mountPoint);
            }
        }

        foreach (var daemon in _daemons)
        {
            // With its mount gone the daemon ends by itself; one that does not is killed.
            if (!daemon.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                daemon.Kill();
                daemon.WaitForExit(TimeSpan.FromSeconds(10));
            }

            daemon.Dispose();
        }

        Client.Dispose();
        await Api.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A mount still draining; the temp dir is left for the system to clean.
        }
    }
}
