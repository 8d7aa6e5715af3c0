using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Fluid.Cache.Cluster.Membership;
using Fluid.Cache.Cluster.Protocol;

namespace Fluid.Cache.Cluster.Client;

/// <summary>The answer header of a data-port request.</summary>
internal readonly record struct WireAnswer(WireStatus Status, ResponseFlags Flags, int Length);

/// <summary>One TCP connection to a worker's data port; one request at a time.</summary>
internal sealed class WorkerConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _answer = new byte[Wire.ResponseHeaderSize];
    private byte[] _request = new byte[1024];

    private WorkerConnection(Socket socket)
    {
        _socket = socket;
    }

    /// <summary>True when this connection served an earlier request (it may have gone stale meanwhile).</summary>
    public bool Reused { get; set; }

    public static async Task<WorkerConnection> ConnectAsync(WorkerEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.DataPort, limit.Token);
            return new WorkerConnection(socket);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"no connection within {timeout.TotalMilliseconds:0} ms");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The buffer to write a request body of at most <paramref name="maxLength"/> bytes into.</summary>
    public Span<byte> Body(int maxLength)
    {
        if (_request.Length < Wire.RequestHeaderSize + maxLength)
        {
            _request = new byte[Wire.RequestHeaderSize + maxLength];
        }

        return _request.AsSpan(Wire.RequestHeaderSize, maxLength);
    }

    /// <summary>Sends the request whose body was written into <see cref="Body"/> and reads the answer header.</summary>
    public async ValueTask<WireAnswer> SendAsync(Opcode opcode, RequestFlags flags, int bodyLength, ReadOnlyMemory<byte> credential, CancellationToken cancellationToken)
    {
        Wire.WriteRequestHeader(_request, opcode, flags, bodyLength, credential.Span);
        var data = _request.AsMemory(0, Wire.RequestHeaderSize + bodyLength);
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }

        await ReceiveAsync(_answer, cancellationToken);
        if (BinaryPrimitives.ReadUInt32LittleEndian(_answer) != Wire.Magic)
        {
            throw new IOException("the worker answered with something that is not the Fluid cache protocol");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(_answer.AsSpan(8));
        if (length < 0)
        {
            throw new IOException($"the worker announced a payload of {length} bytes");
        }

        return new WireAnswer((WireStatus)_answer[4], (ResponseFlags)_answer[5], length);
    }

    /// <summary>Reads exactly <c>buffer.Length</c> payload bytes.</summary>
    public async ValueTask ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await _socket.ReceiveAsync(buffer[filled..], SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new IOException("the worker closed the connection");
            }

            filled += n;
        }
    }

    /// <summary>Reads an error answer's message.</summary>
    public async ValueTask<string> ReceiveMessageAsync(int length, CancellationToken cancellationToken)
    {
        if (length > Wire.MaxErrorPayload)
        {
            throw new IOException($"the worker sent an error message of {length} bytes");
        }

        var buffer = new byte[length];
        await ReceiveAsync(buffer, cancellationToken);
        return Encoding.UTF8.GetString(buffer);
    }

    public void Dispose() => _socket.Dispose();
}
