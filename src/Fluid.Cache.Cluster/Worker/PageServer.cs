using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Fluid.Cache.Cluster.Diagnostics;
using Fluid.Cache.Cluster.Protocol;
using Fluid.Cache.Cluster.Security;
using Fluid.Storage;
using Microsoft.Extensions.Logging;

namespace Fluid.Cache.Cluster.Worker;

/// <summary>
/// The worker's data port: a small binary protocol over TCP (see <see cref="Wire"/>), one request at
/// a time per connection, page bytes read through the worker's <see cref="DatasetCache"/> into a
/// pooled buffer and sent with the response header in one send.
/// </summary>
internal sealed class PageServer : IAsyncDisposable
{
    private static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _listener;
    private readonly DatasetCache _cache;
    private readonly CredentialCheck _auth;
    private readonly WorkerMetrics _metrics;
    private readonly LeaseTable _leases;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly byte[] _pingPayload;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<Connection, Task> _connections = new();
    private Task _acceptLoop = Task.CompletedTask;

    public PageServer(WorkerOptions options, DatasetCache cache, CredentialCheck auth, WorkerMetrics metrics, LeaseTable leases, ILogger logger)
    {
        _options = options;
        _cache = cache;
        _auth = auth;
        _metrics = metrics;
        _leases = leases;
        _logger = logger;
        var ping = new byte[16 + Encoding.UTF8.GetMaxByteCount(options.WorkerId.Length + options.NodeName.Length + options.DatasetIdentity.Length) + 6];
        var writer = new WireWriter(ping);
        writer.String(options.WorkerId);
        writer.String(options.NodeName);
        writer.String(options.DatasetIdentity);
        writer.Int32(cache.PageSize);
        _pingPayload = ping[..writer.Position];

        _listener = new Socket(options.DataEndpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Bind(options.DataEndpoint);
            _listener.Listen(512);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        LocalEndpoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint LocalEndpoint { get; }

    public bool IsStopping => _stopping.IsCancellationRequested;

    public int ConnectionCount => _connections.Count;

    public void Start() => _acceptLoop = AcceptLoopAsync();

    /// <summary>Stops accepting, lets requests in flight finish for up to <paramref name="grace"/>, then drops every connection.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(grace);
        }
        catch (TimeoutException)
        {
        }

        await _abort.CancelAsync();
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }

        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero);
        _stopping.Dispose();
        _abort.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex)
            {
                // Out of descriptors and the like: wait a moment rather than spin.
                Log.ConnectionEnded(_logger, "accept", ex.SocketErrorCode.ToString());
                await Task.Delay(100);
                continue;
            }

            socket.NoDelay = true;
            var connection = new Connection(this, socket);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = gate.Task;
            _ = RunConnectionAsync(connection, gate);
        }
    }

    private async Task RunConnectionAsync(Connection connection, TaskCompletionSource gate)
    {
        Interlocked.Increment(ref _metrics.Connections);
        try
        {
            await Task.Yield();
            await connection.RunAsync();
        }
        finally
        {
            Interlocked.Decrement(ref _metrics.Connections);
            _connections.TryRemove(connection, out _);
            connection.Dispose();
            gate.TrySetResult();
        }
    }

    /// <summary>One client connection: read a request, answer it, repeat.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly PageServer _server;
        private readonly Socket _socket;
        private readonly string _remote;
        private readonly byte[] _header = new byte[Wire.RequestHeaderSize];
        private readonly byte[] _response = new byte[Wire.ResponseHeaderSize];
        private readonly CancellationTokenSource _idle;
        private byte[] _body = new byte[1024];
        private byte[] _lastIdentity = [];
        private DatasetEntry? _lastEntry;

        public Connection(PageServer server, Socket socket)
        {
            _server = server;
            _socket = socket;
            _remote = socket.RemoteEndPoint?.ToString() ?? "?";
            _idle = CancellationTokenSource.CreateLinkedTokenSource(server._stopping.Token);
        }

        public void Abort() => _socket.Dispose();

        public void Dispose()
        {
            _socket.Dispose();
            _idle.Dispose();
        }

        public async Task RunAsync()
        {
            var abort = _server._abort.Token;
            try
            {
                while (!_server.IsStopping)
                {
                    _idle.CancelAfter(_server._options.IdleTimeout);
                    if (!await ReceiveAsync(_header, _idle.Token, endOk: true))
                    {
                        return;
                    }

                    if (!_idle.TryReset())
                    {
                        return;
                    }

                    if (BinaryPrimitives.ReadUInt32LittleEndian(_header) != Wire.Magic)
                    {
                        Log.BadRequest(_server._logger, _remote, "not the Fluid cache protocol (bad magic)");
                        return;
                    }

                    var opcode = (Opcode)_header[4];
                    var flags = (RequestFlags)_header[5];
                    var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(_header.AsSpan(8));
                    if (bodyLength is < 0 or > Wire.MaxRequestBody)
                    {
                        Log.BadRequest(_server._logger, _remote, $"request body of {bodyLength} bytes");
                        return;
                    }

                    if (_body.Length < bodyLength)
                    {
                        _body = new byte[Math.Max(bodyLength, _body.Length * 2)];
                    }

                    using (var bodyTimeout = CancellationTokenSource.CreateLinkedTokenSource(abort))
                    {
                        bodyTimeout.CancelAfter(BodyTimeout);
                        if (bodyLength > 0 && !await ReceiveAsync(_body.AsMemory(0, bodyLength), bodyTimeout.Token, endOk: false))
                        {
                            return;
                        }
                    }

                    var failure = _server._auth.Check(_header.AsSpan(16, Wire.CredentialSize));
                    if (failure != AuthFailure.None)
                    {
                        _server._metrics.CountAuthFailure(failure, http: false);
                        Log.AuthRefused(_server._logger, "data", _remote, failure == AuthFailure.Missing ? "missing" : "wrong");
                        await SendErrorAsync(WireStatus.Unauthorized, "missing or wrong credential for this dataset", abort);
                        return;
                    }

                    _server._metrics.CountRequest(opcode);
                    var keepOpen = opcode switch
                    {
                        Opcode.Read => await ReadAsync(_body.AsMemory(0, bodyLength), flags, abort),
                        Opcode.Ping => await SendAsync(WireStatus.Ok, ResponseFlags.None, _server._pingPayload, abort),
                        Opcode.Lease => await LeaseAsync(_body.AsMemory(0, bodyLength), abort),
                        Opcode.Renew => await RenewAsync(_body.AsMemory(0, bodyLength), abort),
                        Opcode.Release => await ReleaseAsync(_body.AsMemory(0, bodyLength), abort),
                        _ => await SendErrorAsync(WireStatus.BadRequest, $"unknown operation {(byte)opcode}", abort),
                    };
                    if (!keepOpen)
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                Log.ConnectionEnded(_server._logger, _remote, ex.GetType().Name);
            }
        }

        private async ValueTask<bool> ReadAsync(ReadOnlyMemory<byte> body, RequestFlags flags, CancellationToken cancellationToken)
        {
            long offset;
            int count;
            DatasetEntry entry;
            try
            {
                var reader = new WireReader(body.Span);
                offset = reader.Int64();
                count = reader.Int32();
                if (offset < 0 || count <= 0 || count > Wire.MaxReadCount)
                {
                    throw new FormatException($"offset {offset} or count {count} out of range");
                }

                entry = Resolve(body.Span[12..]);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                Interlocked.Increment(ref _server._metrics.ReadErrors);
                Log.BadRequest(_server._logger, _remote, ex.Message);
                return await SendErrorAsync(WireStatus.BadRequest, ex.Message, cancellationToken);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(Wire.ResponseHeaderSize + count);
            try
            {
                int read;
                try
                {
                    read = await _server._cache.ReadAsync(entry, offset, buffer.AsMemory(Wire.ResponseHeaderSize, count), cancellationToken);
                }
                catch (UfsException ex)
                {
                    Interlocked.Increment(ref _server._metrics.ReadErrors);
                    var status = ex.Kind switch
                    {
                        UfsErrorKind.NotFound => WireStatus.NotFound,
                        UfsErrorKind.VersionMismatch => WireStatus.VersionMismatch,
                        _ => WireStatus.SourceFailed,
                    };
                    return await SendErrorAsync(status, ex.Message, cancellationToken);
                }

                var hint = (flags & RequestFlags.WantLocalHint) != 0 && _server._cache.TryGetLocalFile(entry, out _)
                    ? ResponseFlags.FullyCachedOnDisk
                    : ResponseFlags.None;
                Wire.WriteResponseHeader(buffer, WireStatus.Ok, hint, read);
                await SendAllAsync(buffer.AsMemory(0, Wire.ResponseHeaderSize + read), cancellationToken);
                Interlocked.Add(ref _server._metrics.BytesServed, read);
                return true;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private async ValueTask<bool> LeaseAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        {
            DatasetEntry entry;
            try
            {
                entry = Resolve(body.Span);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                return await SendErrorAsync(WireStatus.BadRequest, ex.Message, cancellationToken);
            }

            if (!_server._leases.TryAcquire(_server._cache, entry, out var id, out var path, out var identity))
            {
                return await SendErrorAsync(WireStatus.NotCached, "the file is not fully cached on this worker's disk", cancellationToken);
            }

            var payload = new byte[32 + 2 + Encoding.UTF8.GetByteCount(path)];
            var writer = new WireWriter(payload);
            writer.UInt64(id);
            writer.Int32((int)_server._leases.Ttl.TotalMilliseconds);
            writer.UInt64(identity.Device);
            writer.UInt64(identity.Inode);
            writer.String(path);
            return await SendAsync(WireStatus.Ok, ResponseFlags.None, payload.AsMemory(0, writer.Position), cancellationToken);
        }

        private async ValueTask<bool> RenewAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        {
            byte[] alive;
            try
            {
                var reader = new WireReader(body.Span);
                var count = reader.Int32();
                if (count < 0 || count > Wire.MaxRequestBody / 8)
                {
                    throw new FormatException($"{count} leases to renew");
                }

                alive = new byte[count];
                for (var i = 0; i < count; i++)
                {
                    alive[i] = _server._leases.Renew(reader.UInt64()) ? (byte)1 : (byte)0;
                }
            }
            catch (FormatException ex)
            {
                return await SendErrorAsync(WireStatus.BadRequest, ex.Message, cancellationToken);
            }

            return await SendAsync(WireStatus.Ok, ResponseFlags.None, alive, cancellationToken);
        }

        private async ValueTask<bool> ReleaseAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        {
            ulong id;
            try
            {
                var reader = new WireReader(body.Span);
                id = reader.UInt64();
            }
            catch (FormatException ex)
            {
                return await SendErrorAsync(WireStatus.BadRequest, ex.Message, cancellationToken);
            }

            return _server._leases.Release(id)
                ? await SendAsync(WireStatus.Ok, ResponseFlags.None, ReadOnlyMemory<byte>.Empty, cancellationToken)
                : await SendErrorAsync(WireStatus.UnknownLease, "no such lease (expired or released)", cancellationToken);
        }

        /// <summary>The entry a request names; consecutive requests for one file reuse it without parsing.</summary>
        private DatasetEntry Resolve(ReadOnlySpan<byte> identity)
        {
            if (_lastEntry is not null && identity.SequenceEqual(_lastIdentity))
            {
                return _lastEntry;
            }

            var reader = new WireReader(identity);
            var file = WireFile.Read(ref reader);
            var entry = _server._cache.GetEntry(file.Mount, file.File);
            _lastIdentity = identity.ToArray();
            _lastEntry = entry;
            return entry;
        }

        private async ValueTask<bool> SendErrorAsync(WireStatus status, string message, CancellationToken cancellationToken)
        {
            var text = message.Length > 4000 ? message[..4000] : message;
            return await SendAsync(status, ResponseFlags.None, Encoding.UTF8.GetBytes(text), cancellationToken);
        }

        private async ValueTask<bool> SendAsync(WireStatus status, ResponseFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            Wire.WriteResponseHeader(_response, status, flags, payload.Length);
            if (payload.Length <= 4096)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(Wire.ResponseHeaderSize + payload.Length);
                try
                {
                    _response.CopyTo(buffer, 0);
                    payload.CopyTo(buffer.AsMemory(Wire.ResponseHeaderSize));
                    await SendAllAsync(buffer.AsMemory(0, Wire.ResponseHeaderSize + payload.Length), cancellationToken);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            else
            {
                await SendAllAsync(_response, cancellationToken);
                await SendAllAsync(payload, cancellationToken);
            }

            return status != WireStatus.Unauthorized;
        }

        private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            while (!data.IsEmpty)
            {
                var sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken);
                data = data[sent..];
            }
        }

        /// <summary>Fills <paramref name="buffer"/>; false when the peer closed first (before any byte when <paramref name="endOk"/>).</summary>
        private async ValueTask<bool> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken, bool endOk)
        {
            var filled = 0;
            while (filled < buffer.Length)
            {
                var n = await _socket.ReceiveAsync(buffer[filled..], SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    if (filled == 0 && endOk)
                    {
                        return false;
                    }

                    throw new IOException("the client closed the connection in the middle of a request");
                }

                filled += n;
            }

            return true;
        }
    }
}
