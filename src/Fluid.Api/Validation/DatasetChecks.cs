using System.Text.RegularExpressions;
using Fluid.Api.Datasets;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;

namespace Fluid.Api.Validation;

/// <summary>Checks of a Dataset on its own.</summary>
internal static partial class DatasetChecks
{
    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")]
    private static partial Regex MountName();

    [GeneratedRegex("(secret|password|passwd|token|credential)", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialKey();

    public static void Check(Dataset dataset, ProblemSink sink)
    {
        CommonChecks.Metadata(dataset.Metadata, CommonChecks.NameRule.Dns1035Label, sink);
        var spec = dataset.Spec;
        if (spec is null)
        {
            if (!sink.WasReported("spec"))
            {
                sink.Error("spec", "is required (a Dataset needs at least one mount)");
            }

            return;
        }

        Mounts(spec.Mounts, "spec.mounts", sink);
        Options(spec.SharedOptions, spec.SharedEncryptOptions, "spec.sharedOptions", "spec.sharedEncryptOptions", sink);
        CommonChecks.Tolerations(spec.Tolerations, "spec.tolerations", sink);
        CommonChecks.NodeSelector(spec.NodeAffinity?.Required, "spec.nodeAffinity.required", sink);
        if (spec.Owner is { } owner)
        {
            if (owner.Uid < 0)
            {
                sink.Error("spec.owner.uid", "must not be negative");
            }

            if (owner.Gid < 0)
            {
                sink.Error("spec.owner.gid", "must not be negative");
            }
        }

        if (spec.DataRestoreLocation?.Path is { } restore)
        {
            var scheme = MountPoints.SchemeOf(restore);
            if (scheme is not ("local" or "pvc"))
            {
                sink.Error("spec.dataRestoreLocation.path", $"\"{MountPoints.Redact(restore)}\" must start with local:// or pvc://");
            }
            else if (MountPoints.Check(restore) is { } error)
            {
                sink.Error("spec.dataRestoreLocation.path", error);
            }
        }

        if (spec.AccessModes is { } modes && modes.Distinct().Count() != modes.Count)
        {
            sink.Error("spec.accessModes", "lists a mode more than once");
        }
    }

    private static void Mounts(ValueList<Mount>? mounts, string path, ProblemSink sink)
    {
        if (mounts is null)
        {
            return;
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var paths = new List<(int Index, string Path)>();
        for (var i = 0; i < mounts.Count; i++)
        {
            var mount = mounts[i];
            var at = FieldPath.Index(path, i);
            var duplicateName = false;
            if (mount.MountPoint is { } mountPoint && MountPoints.Check(mountPoint) is { } error)
            {
                sink.Error(FieldPath.Child(at, "mountPoint"), error);
            }

            if (!string.IsNullOrEmpty(mount.Name))
            {
                if (!MountName().IsMatch(mount.Name) || mount.Name.Length > 253)
                {
                    sink.Error(FieldPath.Child(at, "name"), $"\"{mount.Name}\" must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
                }
                else if (names.TryGetValue(mount.Name, out var first))
                {
                    sink.Error(FieldPath.Child(at, "name"), $"\"{mount.Name}\" is already the name of mounts[{first}]");
                    duplicateName = true;
                }
                else
                {
                    names[mount.Name] = i;
                }
            }

            string? effectivePath = null;
            if (mount.Path is { Length: > 0 } mountPath)
            {
                if (!mountPath.StartsWith('/'))
                {
                    sink.Error(FieldPath.Child(at, "path"), $"\"{mountPath}\" must start with \"/\"");
                }
                else if (Paths.HasDotDot(mountPath))
                {
                    sink.Error(FieldPath.Child(at, "path"), $"\"{mountPath}\" must not contain \"..\"");
                }
                else
                {
                    effectivePath = Paths.Normalize(mountPath);
                }
            }
            else if (string.IsNullOrEmpty(mount.Name))
            {
                if (!sink.WasReported(FieldPath.Child(at, "name")))
                {
                    sink.Error(FieldPath.Child(at, "name"), "is required when path is not set (the mount appears at /<name>)");
                }
            }
            else if (MountName().IsMatch(mount.Name) && !duplicateName)
            {
                effectivePath = "/" + mount.Name;
            }

            if (effectivePath is not null)
            {
                foreach (var (other, otherPath) in paths)
                {
                    var field = FieldPath.Child(at, mount.Path is { Length: > 0 } ? "path" : "name");
                    if (otherPath == effectivePath)
                    {
                        sink.Error(field, $"mounts[{i}] and mounts[{other}] both appear at \"{effectivePath}\"");
                    }
                    else if (Paths.IsUnder(effectivePath, otherPath) || Paths.IsUnder(otherPath, effectivePath))
                    {
                        sink.Error(field, $"\"{effectivePath}\" overlaps \"{otherPath}\" of mounts[{other}] (mount paths must not nest)");
                    }
                }

                paths.Add((i, effectivePath));
            }

            Options(mount.Options, mount.EncryptOptions, FieldPath.Child(at, "options"), FieldPath.Child(at, "encryptOptions"), sink);
        }
    }

    private static void Options(ValueMap<string>? options, ValueList<EncryptOption>? encryptOptions, string optionsPath, string encryptPath, ProblemSink sink)
    {
        foreach (var (key, value) in options ?? ValueMap<string>.Empty)
        {
            if (value.Length > 0 && CredentialKey().IsMatch(key))
            {
                // The value is never printed: it may be a credential.
                sink.Warning(FieldPath.Key(optionsPath, key), "looks like a credential written in plain text; move it to encryptOptions with a secretKeyRef");
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (encryptOptions?.Count ?? 0); i++)
        {
            var option = encryptOptions![i];
            var at = FieldPath.Index(encryptPath, i);
            if (option.Name is { } name)
            {
                if (options?.ContainsKey(name) == true)
                {
                    sink.Error(FieldPath.Child(at, "name"), $"\"{name}\" is also set in {optionsPath.Split('.')[^1]}");
                }
                else if (!seen.Add(name))
                {
                    sink.Error(FieldPath.Child(at, "name"), $"\"{name}\" is set more than once");
                }
            }

            if (option.ValueFrom?.SecretKeyRef is null && !sink.WasReported(FieldPath.Child(at, "valueFrom")))
            {
                sink.Error(FieldPath.Child(at, "valueFrom.secretKeyRef"), "is required");
            }
            else if (option.ValueFrom?.SecretKeyRef?.Name is { } secret && !Names.IsDns1123Subdomain(secret))
            {
                sink.Error(FieldPath.Child(at, "valueFrom.secretKeyRef.name"), $"\"{secret}\" must be {Names.Dns1123SubdomainRule}");
            }
        }
    }
}
