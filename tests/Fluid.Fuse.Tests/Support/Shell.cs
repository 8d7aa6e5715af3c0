using System.Diagnostics;

namespace Fluid.Fuse.Tests.Support;

/// <summary>Result of a command run through bash.</summary>
public sealed record ShellResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F2}s\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs the programs users run (ls, stat, cat, dd, cmp, find, python3) against a mount.</summary>
public static class Shell
{
    public static ShellResult Run(string command, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["LC_ALL"] = "C.UTF-8";
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ShellResult(-1, stdout.Result, stderr.Result + "\n(timed out)", watch.Elapsed);
        }

        return new ShellResult(process.ExitCode, stdout.Result, stderr.Result, watch.Elapsed);
    }

    public static ShellResult Ok(string command, TimeSpan? timeout = null)
    {
        var result = Run(command, timeout);
        Assert.True(result.ExitCode == 0, $"`{command}` failed: {result}");
        return result;
    }

    /// <summary>Single-quotes a path for bash.</summary>
    public static string Q(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
