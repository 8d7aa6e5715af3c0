using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Fluid.Cache.Cluster.Membership;
using Microsoft.Extensions.Logging;

namespace Fluid.Engine.Cluster;

/// <summary>How <see cref="LocalWorkerGroup"/> starts the cache workers of one dataset on this machine.</summary>
public sealed record LocalWorkerGroupOptions
{
    /// <summary>How many workers (1 to <see cref="MaxWorkers"/>).</summary>
    public required int Count { get; init; }

    /// <summary>The program that runs <c>fluid</c> (the CLI's own executable, or <c>dotnet</c>).</summary>
    public required string Executable { get; init; }

    /// <summary>Arguments before the <c>worker</c> command (e.g. the CLI's assembly when run by <c>dotnet</c>).</summary>
    public IReadOnlyList<string> LeadingArguments { get; init; } = [];

    /// <summary>The manifest files the workers read (<c>--config</c>), the same the client was given.</summary>
    public required IReadOnlyList<string> ManifestFiles { get; init; }

    /// <summary>The dataset (namespace/name) among the files' Datasets.</summary>
    public required string Dataset { get; init; }

    /// <summary>Directory of mounted-secret layout for encryptOptions, when one was given.</summary>
    public string? SecretsDirectory { get; init; }

    /// <summary>File holding the runtime token (mode 0600); the workers read it, it never appears on a command line.</summary>
    public required string TokenFile { get; init; }

    /// <summary>Where each worker's log goes (<c>DIR/worker-N.log</c>).</summary>
    public required string LogDirectory { get; init; }

    /// <summary>The address the workers listen on.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The node name the workers and the client share, so the client reads their disk tiers directly.</summary>
    public string NodeName { get; init; } = Environment.MachineName;

    /// <summary>Longest wait for a worker to become ready.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>First wait before a worker that exited is started again; doubles up to <see cref="MaxRestartDelay"/>.</summary>
    public TimeSpan MinRestartDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRestartDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A worker that ran this long before exiting is restarted after <see cref="MinRestartDelay"/> again.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(60);

    public const int MaxWorkers = 64;
}

/// <summary>
/// Runs N <c>fluid worker</c> processes of one dataset on this machine (<c>fluid up --workers N</c>): each on
/// its own loopback ports and cache subdirectory, with the token from a file, stopped with its parent. A worker
/// that exits is started again at the same ports after a growing delay, so it rejoins the ring it never left;
/// meanwhile clients read its pages from the next worker or the source.
/// </summary>
public sealed partial class LocalWorkerGroup : IAsyncDisposable
{
    private readonly LocalWorkerGroupOptions _options;
    private readonly ILogger _logger;
    private readonly Worker[] _workers;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private int _disposed;

    private LocalWorkerGroup(LocalWorkerGroupOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _workers = new Worker[options.Count];
        for (var i = 0; i < options.Count; i++)
        {
            _workers[i] = new Worker($"worker-{i.ToString(CultureInfo.InvariantCulture)}", FreePort(options.Address), FreePort(options.Address));
        }

        Membership = new StaticMembership(Endpoints);
    }

    /// <summary>The workers as the client's ring knows them (fixed for the life of the group).</summary>
    public IReadOnlyList<WorkerEndpoint> Endpoints =>
        [.. _workers.Select(w => new WorkerEndpoint(w.Id, _options.Address.ToString(), w.DataPort, w.HttpPort, _options.NodeName))];

    /// <summary>A membership over <see cref="Endpoints"/> for the client.</summary>
    public StaticMembership Membership { get; }

    /// <summary>Starts every worker and waits until all are ready; on failure stops those started and says why.</summary>
    /// <exception cref="InvalidOperationException">A worker exited or did not become ready; the message carries the end of its log.</exception>
    public static async Task<LocalWorkerGroup> StartAsync(LocalWorkerGroupOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.Count is < 1 or > LocalWorkerGroupOptions.MaxWorkers)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Count, $"--workers: must be between 1 and {LocalWorkerGroupOptions.MaxWorkers}");
        }

        Directory.CreateDirectory(options.LogDirectory);
        var group = new LocalWorkerGroup(options, logger);
        try
        {
            foreach (var worker in group._workers)
            {
                group.Launch(worker);
            }

            await Task.WhenAll(group._workers.Select(w => group.WaitReadyAsync(w, cancellationToken)));
            foreach (var worker in group._workers)
            {
                worker.Supervisor = Task.Run(() => group.SuperviseAsync(worker));
            }

            return group;
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        foreach (var worker in _workers)
        {
            worker.Terminate();
        }

        foreach (var worker in _workers)
        {
            await worker.WaitStoppedAsync(TimeSpan.FromSeconds(5));
        }

        await Task.WhenAll(_workers.Select(w => w.Supervisor ?? Task.CompletedTask));
        _http.Dispose();
        _stopping.Dispose();
    }

    private void Launch(Worker worker)
    {
        var start = new ProcessStartInfo(_options.Executable)
        {
            RedirectStandardInput = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in _options.LeadingArguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("worker");
        foreach (var file in _options.ManifestFiles)
        {
            start.ArgumentList.Add("--config");
            start.ArgumentList.Add(Path.GetFullPath(file));
        }

        string[] rest =
        [
            "--dataset", _options.Dataset,
            "--token-file", _options.TokenFile,
            "--cache-subdir", worker.Id,
            "--id", worker.Id,
            "--node-name", _options.NodeName,
            "--listen", new IPEndPoint(_options.Address, worker.DataPort).ToString(),
            "--http", new IPEndPoint(_options.Address, worker.HttpPort).ToString(),
            "--exit-with", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            "--totals", "never", // the mount walks the sources for ufsTotal and fileNum itself
            "--verbose",
        ];
        foreach (var argument in rest)
        {
            start.ArgumentList.Add(argument);
        }

        if (_options.SecretsDirectory is { } secrets)
        {
            start.ArgumentList.Add("--secrets-dir");
            start.ArgumentList.Add(Path.GetFullPath(secrets));
        }

        // The token reaches the worker through its file only.
        start.Environment.Remove(Fluid.Cache.Cluster.Security.ClusterToken.EnvironmentVariable);
        var log = new StreamWriter(new FileStream(LogPath(worker), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"--- {DateTimeOffset.UtcNow:O} starting {worker.Id} (data {worker.DataPort}, http {worker.HttpPort})");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            log.Dispose();
            process.Dispose();
            throw new InvalidOperationException($"cannot start {worker.Id} ({_options.Executable}): {ex.Message}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        worker.Started(process, log);
        Log.WorkerStarted(_logger, worker.Id, process.Id, worker.DataPort);
    }

    private async Task WaitReadyAsync(Worker worker, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var ready = new Uri($"http://{new IPEndPoint(_options.Address, worker.HttpPort)}/readyz");
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var process = worker.Process;
            if (process is null || process.HasExited)
            {
                throw new InvalidOperationException($"{worker.Id} exited while starting{ExitCode(process)}; its log ({LogPath(worker)}) ends with:\n{Tail(LogPath(worker))}");
            }

            try
            {
                using var response = await _http.GetAsync(ready, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > _options.StartTimeout)
            {
                throw new InvalidOperationException($"{worker.Id} was not ready after {_options.StartTimeout.TotalSeconds:0} s; its log ({LogPath(worker)}) ends with:\n{Tail(LogPath(worker))}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task SuperviseAsync(Worker worker)
    {
        var token = _stopping.Token;
        var delay = _options.MinRestartDelay;
        try
        {
            while (true)
            {
                var process = worker.Process!;
                var ran = Stopwatch.StartNew();
                await process.WaitForExitAsync(token);
                var code = process.ExitCode;
                worker.Exited();
                if (ran.Elapsed >= _options.StableAfter)
                {
                    delay = _options.MinRestartDelay;
                }

                Log.WorkerExited(_logger, worker.Id, code, delay.TotalSeconds, LogPath(worker));

                // Start it again at the same ports; a start that fails is retried with a growing delay.
                while (true)
                {
                    await Task.Delay(delay, token);
                    delay = TimeSpan.FromTicks(Math.Min(_options.MaxRestartDelay.Ticks, delay.Ticks * 2));
                    try
                    {
                        Launch(worker);
                        break;
                    }
                    catch (InvalidOperationException ex)
                    {
                        Log.WorkerRestartFailed(_logger, worker.Id, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private string LogPath(Worker worker) => Path.Combine(_options.LogDirectory, worker.Id + ".log");

    private static string ExitCode(Process? process) =>
        process is { HasExited: true } ? $" with code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}" : string.Empty;

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static string Tail(string path, int lines = 15)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join('\n', all.TakeLast(lines).Select(l => "  " + l));
        }
        catch (IOException ex)
        {
            return "  (log unreadable: " + ex.Message + ")";
        }
    }

    private static int FreePort(IPAddress address)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>One worker slot: fixed id and ports, the process now running in it.</summary>
    private sealed class Worker(string id, int dataPort, int httpPort)
    {
        private StreamWriter? _log;

        public string Id { get; } = id;

        public int DataPort { get; } = dataPort;

        public int HttpPort { get; } = httpPort;

        public Process? Process { get; set; }

        public Task? Supervisor { get; set; }

        public void Started(Process process, StreamWriter log)
        {
            Process = process;
            _log = log;
        }

        public void Exited()
        {
            Process?.Dispose();
            Process = null;
            if (_log is { } log)
            {
                lock (log)
                {
                    log.Dispose();
                }

                _log = null;
            }
        }

        /// <summary>SIGTERM: the worker finishes requests in flight and exits.</summary>
        public void Terminate()
        {
            if (Process is { HasExited: false } process)
            {
                _ = Native.Kill(process.Id, Native.SigTerm);
            }
        }

        public async Task WaitStoppedAsync(TimeSpan grace)
        {
            if (Process is not { } process)
            {
                return;
            }

            try
            {
                using var timeout = new CancellationTokenSource(grace);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                    await process.WaitForExitAsync(CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Exited on its own meanwhile, or the supervisor disposed it.
            }

            Exited();
        }
    }

    private static partial class Native
    {
        public const int SigTerm = 15;

        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static partial int Kill(int pid, int signal);
    }
}
