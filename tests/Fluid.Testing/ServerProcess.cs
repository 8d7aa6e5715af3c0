using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fluid.Testing;

/// <summary>
/// A child server process whose output is drained into a bounded tail (for error messages) and
/// which is killed with its children on dispose.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private const int TailLines = 60;

    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly Lock _tailLock = new();
    private readonly Func<string, bool>? _readyLine;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process, Func<string, bool>? readyLine)
    {
        _process = process;
        _readyLine = readyLine;
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <paramref name="fileName"/>; when <paramref name="readyLine"/> is given, <see cref="WaitForLineAsync"/>
    /// completes with the first output line it accepts.
    /// </summary>
    public static ServerProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        Func<string, bool>? readyLine = null,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                info.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process, readyLine);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.Exited += (_, _) => server._ready.TrySetException(new InvalidOperationException($"{fileName} exited with code {SafeExitCode(process)}:\n{server.Tail}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The last lines the process printed.</summary>
    public string Tail
    {
        get
        {
            lock (_tailLock)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <summary>Waits for the ready line (see <see cref="Start"/>); fails when the process exits or the time is up.</summary>
    public async Task<string> WaitForLineAsync(TimeSpan timeout)
    {
        try
        {
            return await _ready.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{_process.StartInfo.FileName} did not become ready within {timeout.TotalSeconds} s:\n{Tail}");
        }
    }

    /// <summary>Polls until a TCP connection to <paramref name="port"/> on loopback succeeds.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with code {SafeExitCode(_process)}:\n{Tail}");
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new TimeoutException($"{_process.StartInfo.FileName} did not listen on port {port} within {timeout.TotalSeconds} s ({ex.SocketErrorCode}):\n{Tail}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tailLock)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }

        if (_readyLine is not null && _readyLine(line))
        {
            _ready.TrySetResult(line);
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }
}

/// <summary>Free loopback ports.</summary>
public static class FreePort
{
    /// <summary>A port that was free a moment ago (the OS picks it); callers retry if a race takes it.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
