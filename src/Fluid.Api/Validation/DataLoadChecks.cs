using Fluid.Api.Manifests;
using Fluid.Api.Meta;
using Fluid.Api.Operations;

namespace Fluid.Api.Validation;

/// <summary>Checks of a DataLoad on its own (its dataset is checked with the other objects).</summary>
internal static class DataLoadChecks
{
    public static void Check(DataLoad load, ProblemSink sink)
    {
        CommonChecks.Metadata(load.Metadata, CommonChecks.NameRule.Dns1123Subdomain, sink);
        var spec = load.Spec;
        if (spec is null)
        {
            if (!sink.WasReported("spec"))
            {
                sink.Error("spec", "is required (a DataLoad needs spec.dataset.name)");
            }

            return;
        }

        if (spec.Dataset is null)
        {
            if (!sink.WasReported("spec.dataset"))
            {
                sink.Error("spec.dataset.name", "is required");
            }
        }
        else
        {
            if (spec.Dataset.Name is { } name && !Names.IsDns1035Label(name))
            {
                sink.Error("spec.dataset.name", $"\"{name}\" must be {Names.Dns1035Rule}");
            }

            var own = string.IsNullOrEmpty(load.Metadata?.Namespace) ? "default" : load.Metadata.Namespace;
            if (!string.IsNullOrEmpty(spec.Dataset.Namespace) && spec.Dataset.Namespace != own)
            {
                sink.Error("spec.dataset.namespace", $"must be the DataLoad's own namespace (\"{own}\"): a DataLoad loads a Dataset of its namespace");
            }
        }

        for (var i = 0; i < (spec.Target?.Count ?? 0); i++)
        {
            var target = spec.Target![i];
            var at = FieldPath.Index("spec.target", i);
            if (target.Path is { } path)
            {
                if (!path.StartsWith('/'))
                {
                    sink.Error(FieldPath.Child(at, "path"), $"\"{path}\" must start with \"/\"");
                }
                else if (Paths.HasDotDot(path))
                {
                    sink.Error(FieldPath.Child(at, "path"), $"\"{path}\" must not contain \"..\"");
                }
            }

            if (target.Replicas is < 0)
            {
                sink.Error(FieldPath.Child(at, "replicas"), $"must not be negative (got {target.Replicas})");
            }
            else if (target.Replicas > TargetPath.MaxReplicas)
            {
                sink.Error(FieldPath.Child(at, "replicas"), $"must be at most {TargetPath.MaxReplicas} (got {target.Replicas})");
            }
            else if (i > 0 && target.Copies != spec.Target[0].Copies)
            {
                // One load runs with one replica count; different counts per path would need one load per count.
                sink.Error(FieldPath.Child(at, "replicas"), $"this build loads every target with the same replicas: {target.Copies} differs from spec.target[0]'s {spec.Target[0].Copies} (split the DataLoad)");
            }
        }

        switch (spec.Policy)
        {
            case OperationPolicy.Cron when string.IsNullOrWhiteSpace(spec.Schedule):
                sink.Error("spec.schedule", "is required when policy is Cron");
                break;
            case OperationPolicy.OnEvent:
                sink.Error("spec.policy", "this build cannot run policy OnEvent yet (use Once or Cron)");
                break;
            case null or OperationPolicy.Once when !string.IsNullOrEmpty(spec.Schedule):
                sink.Warning("spec.schedule", "is ignored unless policy is Cron");
                break;
        }

        if (!string.IsNullOrWhiteSpace(spec.Schedule) && CronSchedule.Check(spec.Schedule) is { } error)
        {
            sink.Error("spec.schedule", error);
        }

        if (spec.TtlSecondsAfterFinished is < 0)
        {
            sink.Error("spec.ttlSecondsAfterFinished", $"must not be negative (got {spec.TtlSecondsAfterFinished})");
        }

        if (spec.RunAfter?.Name is { } after && !Names.IsDns1123Subdomain(after))
        {
            sink.Error("spec.runAfter.name", $"\"{after}\" must be {Names.Dns1123SubdomainRule}");
        }

        CommonChecks.Tolerations(spec.Tolerations, "spec.tolerations", sink);
        CommonChecks.Affinity(spec.Affinity, "spec.affinity", sink);
        CommonChecks.NodeSelectorMap(spec.NodeSelector, "spec.nodeSelector", sink);
        CommonChecks.PodMetadata(spec.PodMetadata, "spec.podMetadata", sink);
    }
}
