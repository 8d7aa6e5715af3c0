using Fluid.Api.Meta;
using k8s.Models;
using CoreApi = Fluid.Api.Core;

namespace Fluid.Operator.Engines;

/// <summary>Converts the Kubernetes subsets that Fluid.Api carries into KubernetesClient's model types.</summary>
public static class KubeConversions
{
    public static ResourceQuantity ToResourceQuantity(this Quantity quantity) => new(quantity.ToString());

    public static V1ResourceRequirements? ToKube(this CoreApi.ResourceRequirements? resources) => resources is null
        ? null
        : new V1ResourceRequirements
        {
            Limits = resources.Limits is { Count: > 0 } limits ? limits.ToDictionary(p => p.Key, p => p.Value.ToResourceQuantity()) : null,
            Requests = resources.Requests is { Count: > 0 } requests ? requests.ToDictionary(p => p.Key, p => p.Value.ToResourceQuantity()) : null,
        };

    public static List<V1EnvVar> ToKube(this IEnumerable<CoreApi.EnvVar>? env) =>
        [.. (env ?? []).Select(e => new V1EnvVar
        {
            Name = e.Name,
            Value = e.Value,
            ValueFrom = e.ValueFrom is not { } from ? null : new V1EnvVarSource
            {
                FieldRef = from.FieldRef is { } field ? new V1ObjectFieldSelector { ApiVersion = field.ApiVersion, FieldPath = field.FieldPath } : null,
                ResourceFieldRef = from.ResourceFieldRef is { } res
                    ? new V1ResourceFieldSelector { ContainerName = res.ContainerName, Resource = res.Resource, Divisor = res.Divisor?.ToResourceQuantity() }
                    : null,
                ConfigMapKeyRef = from.ConfigMapKeyRef is { } cm ? new V1ConfigMapKeySelector { Name = cm.Name, Key = cm.Key, Optional = cm.Optional } : null,
                SecretKeyRef = from.SecretKeyRef is { } secret ? new V1SecretKeySelector { Name = secret.Name, Key = secret.Key, Optional = secret.Optional } : null,
            },
        })];

    public static V1NodeSelector? ToKube(this CoreApi.NodeSelector? selector) => selector is null
        ? null
        : new V1NodeSelector { NodeSelectorTerms = [.. (selector.NodeSelectorTerms ?? []).Select(ToKube)] };

    public static V1NodeSelectorTerm ToKube(this CoreApi.NodeSelectorTerm term)
    {
        ArgumentNullException.ThrowIfNull(term);
        return new V1NodeSelectorTerm
        {
            MatchExpressions = term.MatchExpressions is { Count: > 0 } expressions ? [.. expressions.Select(ToKube)] : null,
            MatchFields = term.MatchFields is { Count: > 0 } fields ? [.. fields.Select(ToKube)] : null,
        };
    }

    public static V1NodeSelectorRequirement ToKube(this CoreApi.NodeSelectorRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(requirement);
        return new V1NodeSelectorRequirement
        {
            Key = requirement.Key,
            OperatorProperty = requirement.Operator?.ToString(),
            Values = requirement.Values is { Count: > 0 } values ? [.. values] : null,
        };
    }

    public static List<V1Toleration>? ToKube(this IEnumerable<CoreApi.Toleration>? tolerations) => tolerations is null
        ? null
        : [.. tolerations.Select(t => new V1Toleration
        {
            Key = t.Key,
            OperatorProperty = t.Operator?.ToString(),
            Value = t.Value,
            Effect = t.Effect?.ToString(),
            TolerationSeconds = t.TolerationSeconds,
        })];

    public static V1LabelSelector? ToKube(this CoreApi.LabelSelector? selector) => selector is null
        ? null
        : new V1LabelSelector
        {
            MatchLabels = selector.MatchLabels is { Count: > 0 } labels ? labels.ToDictionary(p => p.Key, p => p.Value) : null,
            MatchExpressions = selector.MatchExpressions is { Count: > 0 } expressions
                ? [.. expressions.Select(e => new V1LabelSelectorRequirement { Key = e.Key, OperatorProperty = e.Operator?.ToString(), Values = e.Values is { Count: > 0 } v ? [.. v] : null })]
                : null,
        };

    public static V1Affinity? ToKube(this CoreApi.Affinity? affinity) => affinity is null
        ? null
        : new V1Affinity
        {
            NodeAffinity = affinity.NodeAffinity is not { } node ? null : new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = node.RequiredDuringSchedulingIgnoredDuringExecution.ToKube(),
                PreferredDuringSchedulingIgnoredDuringExecution = node.PreferredDuringSchedulingIgnoredDuringExecution is { Count: > 0 } preferred
                    ? [.. preferred.Select(p => new V1PreferredSchedulingTerm { Weight = p.Weight ?? 1, Preference = p.Preference!.ToKube() })]
                    : null,
            },
            PodAffinity = affinity.PodAffinity is { } pod ? new V1PodAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = pod.RequiredDuringSchedulingIgnoredDuringExecution is { Count: > 0 } r ? [.. r.Select(ToKube)] : null,
                PreferredDuringSchedulingIgnoredDuringExecution = pod.PreferredDuringSchedulingIgnoredDuringExecution is { Count: > 0 } p
                    ? [.. p.Select(w => new V1WeightedPodAffinityTerm { Weight = w.Weight ?? 1, PodAffinityTerm = w.PodAffinityTerm!.ToKube() })]
                    : null,
            }
            : null,
            PodAntiAffinity = affinity.PodAntiAffinity is { } anti ? new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = anti.RequiredDuringSchedulingIgnoredDuringExecution is { Count: > 0 } r2 ? [.. r2.Select(ToKube)] : null,
                PreferredDuringSchedulingIgnoredDuringExecution = anti.PreferredDuringSchedulingIgnoredDuringExecution is { Count: > 0 } p2
                    ? [.. p2.Select(w => new V1WeightedPodAffinityTerm { Weight = w.Weight ?? 1, PodAffinityTerm = w.PodAffinityTerm!.ToKube() })]
                    : null,
            }
            : null,
        };

    public static V1PodAffinityTerm ToKube(this CoreApi.PodAffinityTerm term)
    {
        ArgumentNullException.ThrowIfNull(term);
        return new V1PodAffinityTerm
        {
            LabelSelector = term.LabelSelector.ToKube(),
            NamespaceSelector = term.NamespaceSelector.ToKube(),
            Namespaces = term.Namespaces is { Count: > 0 } ns ? [.. ns] : null,
            TopologyKey = term.TopologyKey,
        };
    }
}
