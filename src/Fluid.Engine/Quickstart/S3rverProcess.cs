using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Fluid.Engine.Quickstart;

/// <summary>A local S3-protocol server (s3rver) on a free loopback port with its data in a directory; killed on dispose.</summary>
public sealed partial class S3rverProcess : IAsyncDisposable
{
    /// <summary>The credentials s3rver accepts.</summary>
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly Process _process;

    private S3rverProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public static async Task<S3rverProcess> StartAsync(string executable, string dataDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["--directory", dataDirectory, "--address", "127.0.0.1", "--port", "0", "--silent"])
        {
            start.ArgumentList.Add(argument);
        }

        // s3rver encrypts continuation tokens with DES, which OpenSSL 3 only has in its legacy provider.
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        var process = Process.Start(start) ?? throw new IOException($"cannot start {executable}");
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Listening().Match(line) is { Success: true } match)
            {
                ready.TrySetResult(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (errors)
                {
                    errors.AppendLine(line);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _ = process.WaitForExitAsync(CancellationToken.None).ContinueWith(
            _ => ready.TrySetException(new IOException($"s3rver exited before listening: {errors}")), TaskScheduler.Default);
        try
        {
            var port = await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            return new S3rverProcess(process, port);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    [GeneratedRegex(@"listening on .*:(\d+)\s*$")]
    private static partial Regex Listening();
}
