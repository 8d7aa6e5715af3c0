using System.Diagnostics;

namespace Fluid.Engine.Quickstart;

/// <summary>Something the quickstart needs and could not install, with the command that would.</summary>
public sealed class MissingPrerequisiteException : Exception
{
    public MissingPrerequisiteException()
    {
    }

    public MissingPrerequisiteException(string message)
        : base(message)
    {
    }

    public MissingPrerequisiteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Checks and installs what the quickstart needs: /dev/fuse (and fusermount3 when not root), and the
/// S3-protocol server s3rver from npm (Debian's nodejs and npm first, when running as root).
/// </summary>
public static class Prerequisites
{
    /// <summary>The s3rver release the tests use as well (see scripts/install-test-deps.sh).</summary>
    public const string S3rverPackage = "s3rver@3.7.1";

    /// <summary>
    /// Where npm tools live: <c>$FLUID_HOME/artifacts/tools</c> (the ./fluid script sets FLUID_HOME to the
    /// repository), else <c>~/.cache/fluid/tools</c>.
    /// </summary>
    public static string ToolsDirectory =>
        Environment.GetEnvironmentVariable("FLUID_HOME") is { Length: > 0 } home
            ? Path.Combine(home, "artifacts", "tools")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fluid", "tools");

    public static string S3rverPath => Path.Combine(ToolsDirectory, "node_modules", ".bin", "s3rver");

    /// <summary>Fails with every missing piece of the FUSE setup named, and how to get it.</summary>
    public static void CheckFuse()
    {
        var missing = new List<string>();
        if (!OperatingSystem.IsLinux())
        {
            throw new MissingPrerequisiteException("the quickstart needs Linux (FUSE)");
        }

        if (!File.Exists("/dev/fuse"))
        {
            missing.Add("/dev/fuse (load the module: sudo modprobe fuse; in a container, pass --device /dev/fuse)");
        }
        else if (!Environment.IsPrivilegedProcess && !CanOpen("/dev/fuse"))
        {
            missing.Add("read-write access to /dev/fuse for this user (run as root, or: sudo chmod 0666 /dev/fuse)");
        }

        if (!Environment.IsPrivilegedProcess && FindOnPath("fusermount3") is null)
        {
            missing.Add("fusermount3 (sudo apt-get install -y fuse3), or run as root");
        }

        if (missing.Count > 0)
        {
            throw new MissingPrerequisiteException("missing: " + string.Join("; ", missing));
        }
    }

    /// <summary>Returns the s3rver executable, installing it (and, as root, Node.js and npm from Debian) when missing.</summary>
    public static async Task<string> EnsureS3rverAsync(TextWriter log, CancellationToken cancellationToken)
    {
        if (File.Exists(S3rverPath))
        {
            return S3rverPath;
        }

        if (FindOnPath("npm") is null || FindOnPath("node") is null)
        {
            if (!Environment.IsPrivilegedProcess)
            {
                throw new MissingPrerequisiteException(
                    "missing: Node.js and npm, to install the local S3 server s3rver (sudo apt-get install -y nodejs npm), or run as root to have them installed");
            }

            await log.WriteLineAsync("installing Node.js and npm (apt-get install nodejs npm)...");
            if (await RunAsync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "nodejs", "npm"], cancellationToken) != 0)
            {
                // A fresh machine may have no package index yet.
                await RunAsync("apt-get", ["update", "-qq"], cancellationToken);
                if (await RunAsync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "nodejs", "npm"], cancellationToken) != 0)
                {
                    throw new MissingPrerequisiteException("missing: Node.js and npm (apt-get install -y nodejs npm failed; see its output above)");
                }
            }
        }

        Directory.CreateDirectory(ToolsDirectory);
        await log.WriteLineAsync($"installing {S3rverPackage} into {ToolsDirectory} (npm)...");
        if (await RunAsync("npm", ["install", "--prefix", ToolsDirectory, "--no-audit", "--no-fund", "--silent", S3rverPackage], cancellationToken) != 0 || !File.Exists(S3rverPath))
        {
            throw new MissingPrerequisiteException($"missing: s3rver (npm install --prefix {ToolsDirectory} {S3rverPackage} failed; see its output above)");
        }

        return S3rverPath;
    }

    private static bool CanOpen(string device)
    {
        try
        {
            using var handle = File.OpenHandle(device, FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    public static string? FindOnPath(string command)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/sbin"))
        {
            var candidate = Path.Combine(directory, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task<int> RunAsync(string command, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start) ?? throw new MissingPrerequisiteException($"cannot start {command}");
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return process.ExitCode;
    }
}
