using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fluid.Testing;

/// <summary>What a <see cref="FaultProxy"/> does with one incoming connection.</summary>
public enum Fault
{
    /// <summary>Forward the connection to the upstream server unchanged.</summary>
    Pass,

    /// <summary>Read the request head, answer <c>503 Service Unavailable</c> and close.</summary>
    ServiceUnavailable,

    /// <summary>Close the connection at once, without an answer.</summary>
    Reset,

    /// <summary>Accept and read, but never answer (a hung server).</summary>
    Hang,
}

/// <summary>
/// A TCP proxy on a free loopback port in front of a real server that injects faults per connection:
/// queued faults are used by the next connections in order, then <see cref="DefaultFault"/> applies.
/// Works for any HTTP-based protocol (S3, plain HTTP) because it never parses more than the request head.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _acceptLoop;
    private int _connections;

    /// <summary>Starts a proxy to <paramref name="upstreamPort"/> on loopback (0 = no upstream; only faults).</summary>
    public FaultProxy(int upstreamPort)
    {
        _upstream = new IPEndPoint(IPAddress.Loopback, upstreamPort);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The proxy's port.</summary>
    public int Port { get; }

    /// <summary>http://127.0.0.1:port</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>What connections get once the queue is empty.</summary>
    public Fault DefaultFault { get; set; } = Fault.Pass;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// Gives every later connection <paramref name="fault"/> and, unless it is <see cref="Fault.Pass"/>, resets the
    /// connections already open, so that pooled client connections see the outage too (a source going away mid-run).
    /// </summary>
    public void SwitchTo(Fault fault)
    {
        DefaultFault = fault;
        if (fault != Fault.Pass)
        {
            foreach (var socket in _sockets)
            {
                ResetConnection(socket);
            }
        }
    }

    /// <summary>Queues faults for the next connections, in order.</summary>
    public void Enqueue(params Fault[] faults)
    {
        foreach (var fault in faults)
        {
            _faults.Enqueue(fault);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _sockets.Add(client);
            var fault = _faults.TryDequeue(out var queued) ? queued : DefaultFault;
            _ = Task.Run(() => HandleAsync(client, fault));
        }
    }

    private async Task HandleAsync(Socket client, Fault fault)
    {
        try
        {
            switch (fault)
            {
                case Fault.Pass:
                    await PipeAsync(client).ConfigureAwait(false);
                    break;
                case Fault.ServiceUnavailable:
                    await ReadRequestHeadAsync(client).ConfigureAwait(false);
                    var answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray();
                    await client.SendAsync(answer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    client.Shutdown(SocketShutdown.Both);
                    client.Dispose();
                    break;
                case Fault.Reset:
                    ResetConnection(client);
                    break;
                case Fault.Hang:
                    var sink = new byte[4096];
                    while (await client.ReceiveAsync(sink, SocketFlags.None, _stop.Token).ConfigureAwait(false) > 0)
                    {
                    }

                    break;
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            client.Dispose();
        }
    }

    /// <summary>Closes without an orderly shutdown, as a crashed server or a cut network does.</summary>
    private static void ResetConnection(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ReadRequestHeadAsync(Socket client)
    {
        var buffer = new byte[8192];
        var text = new StringBuilder();
        while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && text.Length < 64 * 1024)
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    private async Task PipeAsync(Socket client)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await upstream.ConnectAsync(_upstream, _stop.Token).ConfigureAwait(false);
        _sockets.Add(upstream);
        using var clientStream = new NetworkStream(client, ownsSocket: true);
        using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
        var up = CopyThenShutdownAsync(clientStream, upstream, upstreamStream);
        var down = CopyThenShutdownAsync(upstreamStream, client, clientStream);
        await Task.WhenAll(up, down).ConfigureAwait(false);
    }

    private async Task CopyThenShutdownAsync(NetworkStream from, Socket toSocket, NetworkStream to)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token).ConfigureAwait(false);
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            toSocket.Dispose();
        }
    }
}
