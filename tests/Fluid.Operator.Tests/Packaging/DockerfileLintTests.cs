using System.Text.RegularExpressions;
using Fluid.Operator.Tests.Harness;

namespace Fluid.Operator.Tests.Packaging;

/// <summary>
/// Our own lint of deploy/docker/Dockerfile (hadolint is not installable here): pinned base images, no <c>latest</c>,
/// multi-arch build arguments, exec-form ENTRYPOINT, a non-root USER, HEALTHCHECK stated, apt lists cleaned.
/// </summary>
public sealed partial class DockerfileLintTests
{
    private static readonly string Dockerfile = File.ReadAllText(Repo.PathOf("deploy", "docker", "Dockerfile"));

    private static List<string> Instructions() =>
        [.. Regex.Replace(Dockerfile, @"\\\n", " ").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    [Fact]
    public void BaseImages_PinnedTagsNeverLatest()
    {
        var args = Instructions().Where(l => l.StartsWith("ARG ", StringComparison.Ordinal) && l.Contains('=', StringComparison.Ordinal))
            .Select(l => l[4..].Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var froms = Instructions().Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        foreach (var from in froms)
        {
            var image = from.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(t => !t.StartsWith("--", StringComparison.Ordinal) && t != "FROM");
            var resolved = ArgReference().Replace(image, m => args.GetValueOrDefault(m.Groups[1].Value, m.Value));
            Assert.Matches(@"^[a-z0-9./-]+:[A-Za-z0-9._-]+$", resolved);
            Assert.DoesNotContain(":latest", resolved, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MultiArch_BuildPlatformAndTargetArchUsedByPublish()
    {
        Assert.Contains(Instructions(), l => l.StartsWith("FROM --platform=$BUILDPLATFORM", StringComparison.Ordinal));
        Assert.Contains("ARG TARGETARCH", Instructions());
        Assert.Contains(Instructions(), l => l.Contains("dotnet publish", StringComparison.Ordinal) && l.Contains("-a \"$arch\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Runtime_ExecFormEntrypointNonRootUserHealthcheckStated()
    {
        var lines = Instructions();
        var entry = lines.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal));
        Assert.Matches(@"^ENTRYPOINT \[""[^""]+""(, ""[^""]+"")*\]$", entry);
        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"^USER (0|root)(:|$)", user);
        Assert.Contains(lines, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        Assert.Contains("probe /healthz", Dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void AptInstalls_NoRecommendsAndListsRemoved()
    {
        foreach (var run in Instructions().Where(l => l.Contains("apt-get install", StringComparison.Ordinal)))
        {
            Assert.Contains("--no-install-recommends", run, StringComparison.Ordinal);
            Assert.Contains("-y", run, StringComparison.Ordinal);
            Assert.Contains("rm -rf /var/lib/apt/lists/*", run, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"\$\{?([A-Z_]+)\}?")]
    private static partial Regex ArgReference();
}
