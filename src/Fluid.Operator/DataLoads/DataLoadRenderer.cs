using Fluid.Api.Operations;
using Fluid.Kubernetes.Objects;
using Fluid.Operator.Naming;
using Fluid.Operator.Resources;
using k8s.Models;

namespace Fluid.Operator.DataLoads;

/// <summary>Renders a DataLoad's Job (policy Once) or CronJob (policy Cron) around the engine's load pod: pure.</summary>
public static class DataLoadRenderer
{
    /// <summary>Fluid's retries of a load pod.</summary>
    public const int BackoffLimit = 3;

    /// <summary>Fluid's name of a DataLoad's Job (and CronJob): <c>&lt;name&gt;-loader-job</c>.</summary>
    public static string JobName(string loadName) => $"{loadName}-loader-job";

    /// <summary>The Job of a one-off load.</summary>
    public static V1Job RenderJob(DataLoadResource load, V1PodTemplateSpec pod)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(pod);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Meta(load),
            Spec = new V1JobSpec { BackoffLimit = BackoffLimit, Template = pod },
        };
    }

    /// <summary>The CronJob of a scheduled load; <paramref name="suspend"/> holds it while another load of the Dataset runs.</summary>
    public static V1CronJob RenderCronJob(DataLoadResource load, V1PodTemplateSpec pod, bool suspend)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(pod);
        return new V1CronJob
        {
            ApiVersion = "batch/v1",
            Kind = "CronJob",
            Metadata = Meta(load),
            Spec = new V1CronJobSpec
            {
                Schedule = load.Spec?.Schedule,
                ConcurrencyPolicy = "Forbid",
                Suspend = suspend,
                JobTemplate = new V1JobTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(load) },
                    Spec = new V1JobSpec { BackoffLimit = BackoffLimit, Template = pod },
                },
            },
        };
    }

    private static V1ObjectMeta Meta(DataLoadResource load) => new()
    {
        Name = JobName(load.Metadata.Name),
        NamespaceProperty = load.Metadata.NamespaceProperty,
        Labels = Labels(load),
        OwnerReferences = string.IsNullOrEmpty(load.Metadata.Uid) ? null : [OwnerReferences.For(load)],
    };

    private static Dictionary<string, string> Labels(DataLoadResource load) => new()
    {
        [FluidLabels.App] = RuntimeNames.RuntimeType,
        [FluidLabels.Role] = "dataload-job",
        [FluidLabels.Release] = $"{load.Metadata.Name}-loader",
        ["targetDataset"] = load.Spec?.Dataset?.Name ?? "",
    };
}

/// <summary>How a DataLoad's status follows its Job: pure functions of what was read.</summary>
public static class DataLoadStatusCalculator
{
    /// <summary>
    /// The status once the Job has finished: phase Complete or Failed, Fluid's condition (the Job's reason, message
    /// and times), and the duration from <paramref name="started"/> to the Job's finish. Null while it runs.
    /// </summary>
    public static OperationStatus? Finished(OperationStatus current, V1Job job, DateTimeOffset started)
    {
        ArgumentNullException.ThrowIfNull(current);
        var condition = job?.Status?.Conditions?.FirstOrDefault(c => c.Status == "True" && c.Type is "Complete" or "Failed");
        if (condition is null)
        {
            return null;
        }

        bool complete = condition.Type == "Complete";
        var finished = condition.LastTransitionTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : started;
        var probe = condition.LastProbeTime is { } p ? new DateTimeOffset(DateTime.SpecifyKind(p, DateTimeKind.Utc)) : finished;
        return current with
        {
            Phase = complete ? OperationPhase.Complete : OperationPhase.Failed,
            Duration = Units.Duration(finished - started),
            Conditions = Fluid.Api.Meta.ValueList.Of(new OperationCondition
            {
                Type = complete ? "Complete" : "Failed",
                Status = Fluid.Api.Core.ConditionStatus.True,
                Reason = condition.Reason,
                Message = condition.Message,
                LastProbeTime = probe,
                LastTransitionTime = finished,
            }),
            LastSuccessfulTime = complete ? finished : current.LastSuccessfulTime,
            WaitingFor = null,
        };
    }

    /// <summary>When the finished operation may be deleted (ttlSecondsAfterFinished), or null when it stays.</summary>
    public static DateTimeOffset? ExpiresAt(OperationStatus? status, int? ttlSeconds)
    {
        if (ttlSeconds is not { } ttl || status?.Phase is not (OperationPhase.Complete or OperationPhase.Failed))
        {
            return null;
        }

        var finished = status.Conditions?.FirstOrDefault()?.LastTransitionTime;
        return finished is { } at ? at + TimeSpan.FromSeconds(ttl) : null;
    }
}
