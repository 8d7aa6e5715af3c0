using System.Diagnostics;
using System.Text;

namespace Fluid.Cli.Tests.Cluster;

/// <summary>Runs the built `fluid` CLI (artifacts/bin/Fluid.Cli/&lt;config&gt;/fluid.dll) as a separate process.</summary>
public static class FluidProcess
{
    public static string Dll
    {
        get
        {
            // artifacts/bin/Fluid.Cli.Tests/<config>/ → artifacts/bin/Fluid.Cli/<config>/fluid.dll
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var path = Path.Combine(testDir.Parent!.Parent!.FullName, "Fluid.Cli", testDir.Name, "fluid.dll");
            Assert.True(File.Exists(path), $"{path} is missing (the test project builds Fluid.Cli)");
            return path;
        }
    }

    /// <summary>Runs a command to completion (killed after <paramref name="timeout"/>).</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string>? environment, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, await output, await error + "\n(timed out)");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Sends SIGTERM (the signal a pod gets) and waits for the process to exit.</summary>
    public static async Task<bool> TerminateAsync(int pid, TimeSpan timeout)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!)
        {
            await kill.WaitForExitAsync();
        }

        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!Directory.Exists($"/proc/{pid}"))
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>True while <paramref name="directory"/> is a mount point (per /proc/self/mounts).</summary>
    public static bool IsMounted(string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return File.ReadAllLines("/proc/self/mounts").Any(line => line.Split(' ') is { Length: > 1 } parts && parts[1] == full);
    }

    /// <summary>Detaches a mount a killed process left behind, so the test directory can be deleted.</summary>
    public static void UnmountQuietly(string directory)
    {
        if (!IsMounted(directory))
        {
            return;
        }

        using var umount = Process.Start(new ProcessStartInfo("umount") { ArgumentList = { "-l", directory }, RedirectStandardError = true })!;
        umount.WaitForExit(10_000);
    }

    /// <summary>Deterministic content for a path.</summary>
    public static byte[] Content(string path, int length)
    {
        var data = new byte[length];
        new Random(Encoding.UTF8.GetBytes(path).Aggregate(length, (h, b) => unchecked((h * 31) + b))).NextBytes(data);
        return data;
    }
}
