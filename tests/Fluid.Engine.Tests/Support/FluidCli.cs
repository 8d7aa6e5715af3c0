using System.Diagnostics;
using System.Text;
using Fluid.Testing;

namespace Fluid.Engine.Tests.Support;

/// <summary>Runs the real `fluid` CLI as separate processes with their own run directory.</summary>
public sealed class FluidCli(string runDirectory)
{
    public static string Dll
    {
        get
        {
            // artifacts/bin/Fluid.Engine.Tests/<config>/ → artifacts/bin/Fluid.Cli/<config>/fluid.dll
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var path = Path.Combine(testDir.Parent!.Parent!.FullName, "Fluid.Cli", testDir.Name, "fluid.dll");
            Assert.True(File.Exists(path), $"{path} is missing (the test project builds Fluid.Cli)");
            return path;
        }
    }

    public string RunDirectory { get; } = runDirectory;

    /// <summary>Runs a command to completion.</summary>
    public ShellResult Run(params string[] arguments) => Run(TimeSpan.FromSeconds(60), arguments);

    public ShellResult Run(TimeSpan timeout, params string[] arguments)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(StartInfo(arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ShellResult(-1, stdout.Result, stderr.Result + "\n(timed out)", watch.Elapsed);
        }

        process.WaitForExit();
        return new ShellResult(process.ExitCode, stdout.Result, stderr.Result, watch.Elapsed);
    }

    /// <summary>Runs a command that must succeed.</summary>
    public ShellResult Ok(params string[] arguments)
    {
        var result = Run(arguments);
        Assert.True(result.ExitCode == 0, $"fluid {string.Join(' ', arguments)} failed: {result}");
        return result;
    }

    /// <summary>Starts a long-running command (fluid up) whose output is collected as it arrives.</summary>
    public Daemon Start(params string[] arguments) => new(Process.Start(StartInfo(arguments))!);

    private ProcessStartInfo StartInfo(string[] arguments)
    {
        // Through env(1) so that SIGINT has its default action, as in a terminal: a test run started in the
        // background (CI) inherits SIGINT ignored, and the runtime keeps an ignored SIGINT ignored.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["FLUID_RUN_DIR"] = RunDirectory;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return start;
    }

    /// <summary>A running CLI process; killed on dispose if still running.</summary>
    public sealed class Daemon : IDisposable
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        public Daemon(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
            process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Stdout
        {
            get
            {
                lock (_stdout)
                {
                    return _stdout.ToString();
                }
            }
        }

        public string Stderr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        /// <summary>Waits until standard output (or error) contains <paramref name="text"/>; fails with both outputs otherwise.</summary>
        public async Task WaitForAsync(string text, TimeSpan? timeout = null, bool inStderr = false)
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
            while (DateTime.UtcNow < deadline)
            {
                if ((inStderr ? Stderr : Stdout).Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                if (Process.HasExited)
                {
                    break;
                }

                await Task.Delay(50);
            }

            Assert.Fail($"\"{text}\" did not appear (exited: {Process.HasExited}).\nstdout: {Stdout}\nstderr: {Stderr}");
        }

        public bool WaitForExit(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout))
            {
                return false;
            }

            Process.WaitForExit(); // drains the output readers
            return true;
        }

        public void Dispose()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: true);
                    Process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            Process.Dispose();
        }

        private static void Append(StringBuilder builder, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (builder)
            {
                builder.AppendLine(line);
            }
        }
    }
}
