using System.Text.RegularExpressions;
using Fluid.Storage.Mounts;
using Fluid.Storage.Resilience;
using Microsoft.Extensions.Logging;

namespace Fluid.Storage.Local;

/// <summary>
/// Creates <c>local:///absolute/dir</c> mounts and <c>pvc://claim[/sub/dir]</c> mounts, the latter
/// resolving to <c>{PvcRoot}/claim/sub/dir</c> (see <see cref="UfsRegistryOptions.PvcRoot"/>).
/// </summary>
internal sealed partial class LocalUfsFactory : IUfsFactory
{
    private readonly bool _isPvc;

    public LocalUfsFactory(bool isPvc)
    {
        _isPvc = isPvc;
    }

    public IUnderFileSystem Create(UfsMount mount, UfsRegistryOptions options)
    {
        var label = UfsRegistry.MountLabel(mount);
        var reader = new MountOptionReader(mount);
        MountPoint.TrySplitScheme(mount.MountPoint, out _, out var rest);
        string root;
        string display;
        if (_isPvc)
        {
            var normalized = MountPoint.NormalizeRoot(rest);
            var claim = normalized?.Split('/')[0];
            if (normalized is null)
            {
                reader.AddProblem($"mountPoint: '{mount.MountPoint}' must not contain '.' or '..' segments");
            }
            else if (string.IsNullOrEmpty(claim) || !ClaimName().IsMatch(claim))
            {
                reader.AddProblem($"mountPoint: '{mount.MountPoint}' must name a claim: pvc://<claim name>[/sub/dir], the claim a lower-case DNS name");
            }

            if (!Path.IsPathFullyQualified(options.PvcRoot))
            {
                reader.AddProblem($"pvc root '{options.PvcRoot}' must be an absolute path (FLUID_PVC_ROOT)");
            }

            root = Path.Join(options.PvcRoot, normalized ?? string.Empty).TrimEnd('/');
            display = "pvc://" + normalized;
        }
        else
        {
            var normalized = MountPoint.NormalizeRoot(rest);
            if (!rest.StartsWith('/'))
            {
                reader.AddProblem($"mountPoint: '{mount.MountPoint}' needs an absolute path, as in local:///data/set");
            }
            else if (normalized is null)
            {
                reader.AddProblem($"mountPoint: '{mount.MountPoint}' must not contain '.' or '..' segments");
            }

            root = "/" + normalized;
            display = "local://" + root;
        }

        var policy = UfsCallPolicy.FromOptions(reader, options.DefaultPolicy);
        reader.ThrowIfProblems(label);
        if (root.Length == 0)
        {
            root = "/";
        }

        var logger = options.LoggerFactory.CreateLogger<LocalUnderFileSystem>();
        var runner = new UfsCallRunner(label, policy, SecretRedactor.ForMount(mount), logger, LocalUnderFileSystem.Classify);
        return new LocalUnderFileSystem(root, display, runner, logger);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    private static partial Regex ClaimName();
}
