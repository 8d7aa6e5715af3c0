using System.Diagnostics;
using Xunit;

namespace Fluid.Testing;

/// <summary>What a shell command printed and how it ended.</summary>
public sealed record ShellResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F2}s\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs the programs users run against a mount (ls, stat, find, cat, dd, cmp, python3) through bash.</summary>
public static class Shell
{
    public static ShellResult Run(string command, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
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

        process.WaitForExit();
        return new ShellResult(process.ExitCode, stdout.Result, stderr.Result, watch.Elapsed);
    }

    /// <summary>Runs a command that must succeed.</summary>
    public static ShellResult Ok(string command, TimeSpan? timeout = null)
    {
        var result = Run(command, timeout);
        Assert.True(result.ExitCode == 0, $"`{command}` failed: {result}");
        return result;
    }

    /// <summary>Single-quotes a value for bash.</summary>
    public static string Q(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
