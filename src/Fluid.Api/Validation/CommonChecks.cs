using System.Globalization;
using Fluid.Api.Core;
using Fluid.Api.Manifests;
using Fluid.Api.Meta;

namespace Fluid.Api.Validation;

/// <summary>Checks shared by all kinds: metadata, labels, scheduling fields, environment and resources.</summary>
internal static class CommonChecks
{
    private static readonly string[] KnownResources = ["cpu", "memory", "ephemeral-storage"];

    public enum NameRule
    {
        Dns1035Label,
        Dns1123Subdomain,
    }

    public static void Metadata(ObjectMeta? metadata, NameRule rule, ProblemSink sink)
    {
        if (metadata is null)
        {
            if (!sink.WasReported("metadata"))
            {
                sink.Error("metadata.name", "is required");
            }

            return;
        }

        if (string.IsNullOrEmpty(metadata.Name))
        {
            if (!sink.WasReported("metadata.name"))
            {
                sink.Error("metadata.name", "is required");
            }
        }
        else if (rule == NameRule.Dns1035Label && !Names.IsDns1035Label(metadata.Name))
        {
            sink.Error("metadata.name", $"\"{metadata.Name}\" must be {Names.Dns1035Rule}");
        }
        else if (rule == NameRule.Dns1123Subdomain && !Names.IsDns1123Subdomain(metadata.Name))
        {
            sink.Error("metadata.name", $"\"{metadata.Name}\" must be {Names.Dns1123SubdomainRule}");
        }

        if (!string.IsNullOrEmpty(metadata.Namespace) && !Names.IsDns1123Label(metadata.Namespace))
        {
            sink.Error("metadata.namespace", $"\"{metadata.Namespace}\" must be {Names.Dns1123LabelRule}");
        }

        Labels(metadata.Labels, "metadata.labels", sink);
        AnnotationKeys(metadata.Annotations, "metadata.annotations", sink);
    }

    public static void Labels(ValueMap<string>? labels, string path, ProblemSink sink)
    {
        if (labels is null)
        {
            return;
        }

        foreach (var (key, value) in labels)
        {
            var entry = FieldPath.Key(path, key);
            if (!Names.IsQualifiedName(key))
            {
                sink.Error(entry, "is not a valid label key (an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)");
            }

            if (!Names.IsLabelValue(value))
            {
                sink.Error(entry, $"\"{value}\" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)");
            }
        }
    }

    public static void AnnotationKeys(ValueMap<string>? annotations, string path, ProblemSink sink)
    {
        foreach (var key in annotations?.Keys ?? [])
        {
            if (!Names.IsQualifiedName(key))
            {
                sink.Error(FieldPath.Key(path, key), "is not a valid annotation key (an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.')");
            }
        }
    }

    public static void PodMetadata(PodMetadata? podMetadata, string path, ProblemSink sink)
    {
        if (podMetadata is null)
        {
            return;
        }

        Labels(podMetadata.Labels, FieldPath.Child(path, "labels"), sink);
        AnnotationKeys(podMetadata.Annotations, FieldPath.Child(path, "annotations"), sink);
    }

    public static void Tolerations(ValueList<Toleration>? tolerations, string path, ProblemSink sink)
    {
        for (var i = 0; i < (tolerations?.Count ?? 0); i++)
        {
            var toleration = tolerations![i];
            var at = FieldPath.Index(path, i);
            var exists = toleration.Operator == TolerationOperator.Exists;
            if (exists && !string.IsNullOrEmpty(toleration.Value))
            {
                sink.Error(FieldPath.Child(at, "value"), "must be empty when operator is Exists");
            }

            if (string.IsNullOrEmpty(toleration.Key) && !exists)
            {
                sink.Error(FieldPath.Child(at, "operator"), "must be Exists when key is empty");
            }

            if (!string.IsNullOrEmpty(toleration.Key) && !Names.IsQualifiedName(toleration.Key))
            {
                sink.Error(FieldPath.Child(at, "key"), $"\"{toleration.Key}\" is not a valid taint key");
            }

            if (toleration.TolerationSeconds is not null && toleration.Effect != TaintEffect.NoExecute)
            {
                sink.Warning(FieldPath.Child(at, "tolerationSeconds"), "is only used with effect NoExecute");
            }
        }
    }

    public static void NodeSelector(NodeSelector? selector, string path, ProblemSink sink)
    {
        if (selector?.NodeSelectorTerms is not { } terms)
        {
            return;
        }

        var termsPath = FieldPath.Child(path, "nodeSelectorTerms");
        if (terms.Count == 0)
        {
            sink.Error(termsPath, "must have at least 1 term");
        }

        for (var i = 0; i < terms.Count; i++)
        {
            NodeSelectorTerm(terms[i], FieldPath.Index(termsPath, i), sink);
        }
    }

    public static void NodeSelectorTerm(NodeSelectorTerm? term, string path, ProblemSink sink)
    {
        if (term is null)
        {
            return;
        }

        foreach (var (list, name) in new[] { (term.MatchExpressions, "matchExpressions"), (term.MatchFields, "matchFields") })
        {
            for (var i = 0; i < (list?.Count ?? 0); i++)
            {
                var requirement = list![i];
                var at = FieldPath.Index(FieldPath.Child(path, name), i);
                var values = requirement.Values?.Count ?? 0;
                switch (requirement.Operator)
                {
                    case NodeSelectorOperator.In or NodeSelectorOperator.NotIn when values == 0:
                        sink.Error(FieldPath.Child(at, "values"), $"must have at least 1 value when operator is {requirement.Operator}");
                        break;
                    case NodeSelectorOperator.Exists or NodeSelectorOperator.DoesNotExist when values > 0:
                        sink.Error(FieldPath.Child(at, "values"), $"must be empty when operator is {requirement.Operator}");
                        break;
                    case NodeSelectorOperator.Gt or NodeSelectorOperator.Lt when values != 1 ||
                        !long.TryParse(requirement.Values![0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _):
                        sink.Error(FieldPath.Child(at, "values"), $"must be exactly one integer when operator is {requirement.Operator}");
                        break;
                }
            }
        }
    }

    public static void Affinity(Affinity? affinity, string path, ProblemSink sink)
    {
        if (affinity?.NodeAffinity is not { } node)
        {
            return;
        }

        var nodePath = FieldPath.Child(path, "nodeAffinity");
        NodeSelector(node.RequiredDuringSchedulingIgnoredDuringExecution, FieldPath.Child(nodePath, "requiredDuringSchedulingIgnoredDuringExecution"), sink);
        var preferred = node.PreferredDuringSchedulingIgnoredDuringExecution;
        for (var i = 0; i < (preferred?.Count ?? 0); i++)
        {
            var at = FieldPath.Index(FieldPath.Child(nodePath, "preferredDuringSchedulingIgnoredDuringExecution"), i);
            if (preferred![i].Weight is < 1 or > 100)
            {
                sink.Error(FieldPath.Child(at, "weight"), $"must be from 1 to 100 (got {preferred[i].Weight})");
            }

            NodeSelectorTerm(preferred[i].Preference, FieldPath.Child(at, "preference"), sink);
        }
    }

    public static void NodeSelectorMap(ValueMap<string>? nodeSelector, string path, ProblemSink sink) => Labels(nodeSelector, path, sink);

    public static void Env(ValueList<EnvVar>? env, string path, ProblemSink sink)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (env?.Count ?? 0); i++)
        {
            var variable = env![i];
            var at = FieldPath.Index(path, i);
            if (!string.IsNullOrEmpty(variable.Name))
            {
                if (variable.Name.Contains('=', StringComparison.Ordinal) || variable.Name.Any(char.IsControl))
                {
                    sink.Error(FieldPath.Child(at, "name"), $"\"{variable.Name}\" is not a valid environment variable name");
                }
                else if (!seen.Add(variable.Name))
                {
                    sink.Warning(FieldPath.Child(at, "name"), $"\"{variable.Name}\" is set more than once; the last one wins");
                }
            }

            if (variable.Value is not null && variable.ValueFrom is not null)
            {
                sink.Error(at, "set value or valueFrom, not both");
            }

            if (variable.ValueFrom is { } source)
            {
                var references = new object?[] { source.FieldRef, source.ResourceFieldRef, source.ConfigMapKeyRef, source.SecretKeyRef }.Count(r => r is not null);
                if (references != 1)
                {
                    sink.Error(FieldPath.Child(at, "valueFrom"), "must set exactly one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef");
                }
            }
        }
    }

    public static void Resources(ResourceRequirements? resources, string path, ProblemSink sink)
    {
        if (resources is null)
        {
            return;
        }

        foreach (var (map, name) in new[] { (resources.Limits, "limits"), (resources.Requests, "requests") })
        {
            foreach (var (resource, quantity) in map ?? ValueMap<Quantity>.Empty)
            {
                var at = FieldPath.Key(FieldPath.Child(path, name), resource);
                if (!resource.Contains('/', StringComparison.Ordinal) && !KnownResources.Contains(resource) &&
                    !resource.StartsWith("hugepages-", StringComparison.Ordinal))
                {
                    var nearest = NearestName.Find(resource, KnownResources);
                    sink.Error(at, nearest is null
                        ? $"unknown resource (use {string.Join(", ", KnownResources)}, hugepages-<size> or a domain-prefixed name)"
                        : $"unknown resource (did you mean \"{nearest}\"?)");
                }

                if (quantity.Sign < 0)
                {
                    sink.Error(at, "must not be negative");
                }
            }
        }

        foreach (var (resource, request) in resources.Requests ?? ValueMap<Quantity>.Empty)
        {
            if (resources.Limits is not null && resources.Limits.TryGetValue(resource, out var limit) && request > limit)
            {
                sink.Error(FieldPath.Key(FieldPath.Child(path, "requests"), resource), $"{request} is more than the limit {limit}");
            }
        }
    }
}
