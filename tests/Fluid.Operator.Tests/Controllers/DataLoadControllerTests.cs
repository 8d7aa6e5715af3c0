using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Kubernetes.Objects;
using Fluid.Kubernetes.Resources;
using Fluid.Operator.Tests.Harness;
using k8s.Models;

namespace Fluid.Operator.Tests.Controllers;

public sealed class DataLoadControllerTests
{
    private static async Task<OperatorCluster> BoundClusterAsync()
    {
        var cluster = await OperatorCluster.StartAsync();
        await cluster.Cluster.Datasets.CreateAsync(Samples.Dataset("data"));
        await cluster.Cluster.Runtimes.CreateAsync(Samples.Runtime("data"));
        return cluster;
    }

    private static async Task MakeReadyAsync(OperatorCluster cluster)
    {
        await cluster.RunWorkersAsync("default", "data", ready: 1, replicas: 1);
        await Eventually.ValueAsync(() => cluster.Cluster.Datasets.GetAsync(new ObjectKey("default", "data")), d => d.Status?.Phase == DatasetPhase.Bound, "bound");
    }

    private static Task FinishJobAsync(OperatorCluster cluster, string job, bool complete, DateTime? at = null) =>
        cluster.Cluster.Jobs.UpdateStatusAsync(new ObjectKey("default", job), j => j.Status = new V1JobStatus
        {
            Succeeded = complete ? 1 : 0,
            Failed = complete ? 0 : 4,
            Conditions =
            [
                new V1JobCondition
                {
                    Type = complete ? "Complete" : "Failed",
                    Status = "True",
                    Reason = complete ? "Completed" : "BackoffLimitExceeded",
                    Message = complete ? "Reached expected number of succeeded pods" : "Job has reached the specified backoff limit",
                    LastProbeTime = at ?? DateTime.UtcNow,
                    LastTransitionTime = at ?? DateTime.UtcNow,
                },
            ],
        });

    [Fact]
    public async Task Once_ThroughPendingExecutingComplete_JobStatusDrivesPhaseAndLock()
    {
        await using var cluster = await BoundClusterAsync();
        var c = cluster.Cluster;
        var load = Samples.Load("warm", "data", "default", "/data/train", "/data/val");
        load.Spec = load.Spec! with
        {
            LoadMetadata = true,
            Options = ValueMap.Of(("threads", "8")),
            Target = ValueList.Of([.. load.Spec.Target!.Select(t => t with { Replicas = 2 })]),
        };
        var created = await c.DataLoads.CreateAsync(load);
        var key = new ObjectKey("default", "warm");

        var pending = await Eventually.ValueAsync(() => c.DataLoads.GetAsync(key), l => l.Status?.Phase == OperationPhase.Pending, "Pending");
        Assert.Contains("waiting for it to be Bound", pending.Status!.Infos!["waitingFor"], StringComparison.Ordinal);
        Assert.Null(await c.Jobs.GetAsync(new ObjectKey("default", "warm-loader-job")));

        await MakeReadyAsync(cluster);
        await Eventually.ValueAsync(() => c.DataLoads.GetAsync(key), l => l.Status?.Phase == OperationPhase.Executing, "Executing");
        var job = (await c.Jobs.GetAsync(new ObjectKey("default", "warm-loader-job")))!;
        var container = Assert.Single(job.Spec.Template.Spec.Containers);
        Assert.Equal(
            ["load", "data", "/data/train", "/data/val", "--config", "/etc/fluid/config/manifest.yaml", "--token-file", "/etc/fluid/token/token",
             "--membership", "endpointslices:default/data-worker", "--replicas", "2", "--load-metadata", "--option", "threads=8"],
            container.Args);
        Assert.Equal("registry.example.com/fluid:1.2.3", container.Image);
        Assert.Equal("data-fuse", job.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal(3, job.Spec.BackoffLimit);
        Assert.Equal("DataLoad", Assert.Single(job.Metadata.OwnerReferences).Kind);
        var dataset = (await c.Datasets.GetAsync(new ObjectKey("default", "data")))!;
        Assert.Equal("warm", dataset.Status!.OperationRef!["DataLoad"]);

        var finished = created.Metadata.CreationTimestamp!.Value.AddSeconds(90);
        await FinishJobAsync(cluster, "warm-loader-job", complete: true, at: finished);
        var complete = await Eventually.ValueAsync(() => c.DataLoads.GetAsync(key), l => l.Status?.Phase == OperationPhase.Complete, "Complete");
        Assert.Equal("1m30s", complete.Status!.Duration);
        var condition = Assert.Single(complete.Status.Conditions!);
        Assert.Equal(("Complete", "Completed", "Reached expected number of succeeded pods"), (condition.Type, condition.Reason, condition.Message));
        await Eventually.ValueAsync(() => c.Datasets.GetAsync(new ObjectKey("default", "data")), d => d.Status?.OperationRef is null, "lock released");
        Assert.Contains(await c.Events.ListAsync("default"), e => e.Reason == "DataLoadJobComplete" && e.InvolvedObject.Name == "warm");
    }

    [Fact]
    public async Task Once_JobFails_FailedWithJobCondition()
    {
        await using var cluster = await BoundClusterAsync();
        await MakeReadyAsync(cluster);
        var c = cluster.Cluster;
        await c.DataLoads.CreateAsync(Samples.Load("warm", "data"));
        await Eventually.TrueAsync(async () => await c.Jobs.GetAsync(new ObjectKey("default", "warm-loader-job")) is not null, "job");
        Assert.Equal(["load", "data", "/"], (await c.Jobs.GetAsync(new ObjectKey("default", "warm-loader-job")))!.Spec.Template.Spec.Containers[0].Args.Take(3));
        await FinishJobAsync(cluster, "warm-loader-job", complete: false);
        var failed = await Eventually.ValueAsync(() => c.DataLoads.GetAsync(new ObjectKey("default", "warm")), l => l.Status?.Phase == OperationPhase.Failed, "Failed");
        Assert.Equal(("Failed", "BackoffLimitExceeded"), (failed.Status!.Conditions![0].Type, failed.Status.Conditions[0].Reason));
    }

    [Fact]
    public async Task TwoLoads_OneDataset_SecondWaitsForTheLockThenRunAfterAndTtl()
    {
        await using var cluster = await BoundClusterAsync();
        await MakeReadyAsync(cluster);
        var c = cluster.Cluster;
        await c.DataLoads.CreateAsync(Samples.Load("first", "data"));
        await Eventually.TrueAsync(async () => await c.Jobs.GetAsync(new ObjectKey("default", "first-loader-job")) is not null, "first job");
        var second = Samples.Load("second", "data");
        second.Spec = second.Spec! with { TtlSecondsAfterFinished = 1 };
        await c.DataLoads.CreateAsync(second);
        var third = Samples.Load("third", "data");
        third.Spec = third.Spec! with { RunAfter = new OperationRef { Kind = OperationKind.DataLoad, Name = "second" } };
        await c.DataLoads.CreateAsync(third);

        var waiting = await Eventually.ValueAsync(() => c.DataLoads.GetAsync(new ObjectKey("default", "second")), l => l.Status?.Infos?["waitingFor"]?.Contains("first", StringComparison.Ordinal) == true, "second waits for the lock");
        Assert.Equal(OperationPhase.Pending, waiting.Status!.Phase);
        Assert.Contains(await c.Events.ListAsync("default"), e => e.Reason == "DataLoadCollision" && e.InvolvedObject.Name == "second");
        var after = await Eventually.ValueAsync(() => c.DataLoads.GetAsync(new ObjectKey("default", "third")), l => l.Status?.WaitingFor?.OperationComplete == true, "third waits for second");
        Assert.Equal(OperationPhase.Pending, after.Status!.Phase);
        Assert.Null(await c.Jobs.GetAsync(new ObjectKey("default", "second-loader-job")));

        await FinishJobAsync(cluster, "first-loader-job", complete: true);
        await Eventually.TrueAsync(async () => await c.Jobs.GetAsync(new ObjectKey("default", "second-loader-job")) is not null, "second runs");
        Assert.Null(await c.Jobs.GetAsync(new ObjectKey("default", "third-loader-job")));
        await FinishJobAsync(cluster, "second-loader-job", complete: true);

        // second completes, which releases third; second is deleted a second after it finished.
        await Eventually.TrueAsync(async () => await c.Jobs.GetAsync(new ObjectKey("default", "third-loader-job")) is not null, "third runs after second");
        await Eventually.TrueAsync(async () => await c.DataLoads.GetAsync(new ObjectKey("default", "second")) is null, "second deleted by ttl");
        Assert.NotNull(await c.DataLoads.GetAsync(new ObjectKey("default", "first")));
    }

    [Fact]
    public async Task Cron_CronJobRendered_LatestRunDrivesStatus()
    {
        await using var cluster = await BoundClusterAsync();
        await MakeReadyAsync(cluster);
        var c = cluster.Cluster;
        var load = Samples.Load("nightly", "data", "default", "/data");
        load.Spec = load.Spec! with { Policy = OperationPolicy.Cron, Schedule = "30 2 * * MON-FRI" };
        await c.DataLoads.CreateAsync(load);

        var cron = await Eventually.ValueAsync(() => c.CronJobs.GetAsync(new ObjectKey("default", "nightly-loader-job")), _ => true, "CronJob");
        Assert.Equal(("30 2 * * MON-FRI", "Forbid", false), (cron.Spec.Schedule, cron.Spec.ConcurrencyPolicy, cron.Spec.Suspend == true));
        Assert.Equal("load", cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args[0]);
        await Eventually.ValueAsync(() => c.DataLoads.GetAsync(new ObjectKey("default", "nightly")), l => l.Status?.Phase == OperationPhase.Pending, "Pending before the first run");

        // The CronJob controller's part: a run starts.
        var scheduled = new DateTime(2030, 1, 7, 2, 30, 0, DateTimeKind.Utc);
        await c.CronJobs.UpdateStatusAsync(ObjectKey.From(cron), j => j.Status = new V1CronJobStatus { LastScheduleTime = scheduled });
        await c.Jobs.CreateAsync(new V1Job
        {
            Metadata = new V1ObjectMeta { Name = "nightly-loader-job-29000000", NamespaceProperty = "default", OwnerReferences = [OwnerReferences.For(cron)] },
            Spec = cron.Spec.JobTemplate.Spec,
        });
        var executing = await Eventually.ValueAsync(() => c.DataLoads.GetAsync(new ObjectKey("default", "nightly")), l => l.Status?.Phase == OperationPhase.Executing, "Executing");
        Assert.Equal(scheduled, executing.Status!.LastScheduleTime!.Value.UtcDateTime);
        await Eventually.ValueAsync(() => c.Datasets.GetAsync(new ObjectKey("default", "data")), d => d.Status?.OperationRef?["DataLoad"] == "nightly", "lock held during the run");

        await FinishJobAsync(cluster, "nightly-loader-job-29000000", complete: true);
        var complete = await Eventually.ValueAsync(() => c.DataLoads.GetAsync(new ObjectKey("default", "nightly")), l => l.Status?.Phase == OperationPhase.Complete, "Complete");
        Assert.NotNull(complete.Status!.LastSuccessfulTime);
        await Eventually.ValueAsync(() => c.Datasets.GetAsync(new ObjectKey("default", "data")), d => d.Status?.OperationRef is null, "lock released after the run");

        // Another load holding the Dataset suspends the CronJob.
        await c.Datasets.UpdateStatusAsync(new ObjectKey("default", "data"), d => d.Status = d.Status! with { OperationRef = ValueMap.Of(("DataLoad", "someone-else")) });
        await Eventually.ValueAsync(() => c.CronJobs.GetAsync(ObjectKey.From(cron)), j => j.Spec.Suspend == true, "suspended while locked");
    }
}
