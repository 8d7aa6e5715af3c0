using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Fluid.Engine.Tests.Support;

/// <summary>What the proxy does with connections.</summary>
public enum ProxyMode
{
    /// <summary>Forward to the upstream server.</summary>
    Pass,

    /// <summary>Accept, read and never answer (a server that stopped answering).</summary>
    Hang,

    /// <summary>Close every connection at once (a server that went away).</summary>
    Refuse,
}

/// <summary>
/// A TCP proxy in front of a real server whose mode can be switched while a test runs. Switching away
/// from <see cref="ProxyMode.Pass"/> also cuts the connections already open, so pooled client connections
/// see the outage too (a source going away mid-run).
/// </summary>
public sealed class SwitchableProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _acceptLoop;
    private volatile ProxyMode _mode;

    public SwitchableProxy(int upstreamPort)
    {
        _upstream = new IPEndPoint(IPAddress.Loopback, upstreamPort);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public ProxyMode Mode
    {
        get => _mode;
        set
        {
            _mode = value;
            if (value != ProxyMode.Pass)
            {
                foreach (var socket in _open.Keys)
                {
                    Close(socket);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var socket in _open.Keys)
        {
            Close(socket);
        }

        try
        {
            await _acceptLoop;
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
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(client, _mode));
        }
    }

    private async Task HandleAsync(Socket client, ProxyMode mode)
    {
        _open[client] = 0;
        try
        {
            switch (mode)
            {
                case ProxyMode.Refuse:
                    Close(client);
                    break;
                case ProxyMode.Hang:
                    var sink = new byte[4096];
                    while (await client.ReceiveAsync(sink, SocketFlags.None, _stop.Token) > 0)
                    {
                    }

                    break;
                default:
                    using (var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                    {
                        _open[upstream] = 0;
                        try
                        {
                            await upstream.ConnectAsync(_upstream, _stop.Token);
                            await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
                        }
                        finally
                        {
                            _open.TryRemove(upstream, out _);
                        }
                    }

                    break;
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
        }
        finally
        {
            _open.TryRemove(client, out _);
            client.Dispose();
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Close(from);
            Close(to);
        }
    }

    /// <summary>Resets the connection (no orderly close), as a crashed server or a cut network does.</summary>

    private static void Close(Socket socket)
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
}
