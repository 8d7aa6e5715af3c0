using Fluid.Api.Core;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Api.Operations;
using Fluid.Api.Runtimes;
using Fluid.Operator.DataLoads;
using Fluid.Operator.Datasets;
using Fluid.Operator.Engines.FluidCache;
using Fluid.Operator.Naming;
using Fluid.Operator.Tests.Harness;
using k8s.Models;

namespace Fluid.Operator.Tests.Rendering;

public sealed class CalculatorTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 0, RuntimePhase.Ready)]
    [InlineData(3, 3, RuntimePhase.Ready)]
    [InlineData(3, 1, RuntimePhase.PartialReady)]
    [InlineData(3, 0, RuntimePhase.NotReady)]
    public void PhaseOf_FluidRule(int desired, int ready, RuntimePhase expected) =>
        Assert.Equal(expected, RuntimeStatusCalculator.PhaseOf(desired, ready));

    [Fact]
    public void RuntimeStatus_UnchangedObservation_SameStatusAndConditionTimesKept()
    {
        var observation = new RuntimeObservation(new RuntimeNames("default", "data"), 2,
            new V1StatefulSet { Status = new V1StatefulSetStatus { Replicas = 2, ReadyReplicas = 2, AvailableReplicas = 1 } },
            new V1DaemonSet { Status = new V1DaemonSetStatus { DesiredNumberScheduled = 2, NumberReady = 1, CurrentNumberScheduled = 2, NumberAvailable = 1, NumberUnavailable = 1 } },
            null, null, Now.AddMinutes(-3), Now);
        var first = RuntimeStatusCalculator.Compute(null, observation);
        Assert.Equal((RuntimePhase.Ready, 2, 2, 2, 1, 1), (first.WorkerPhase!.Value, first.DesiredWorkerNumberScheduled!.Value, first.CurrentWorkerNumberScheduled!.Value, first.WorkerNumberReady!.Value, first.WorkerNumberAvailable!.Value, first.WorkerNumberUnavailable!.Value));
        Assert.Equal((RuntimePhase.PartialReady, 2, 1, 1), (first.FusePhase!.Value, first.DesiredFuseNumberScheduled!.Value, first.FuseNumberReady!.Value, first.FuseNumberUnavailable!.Value));
        Assert.Equal("3m0s", first.SetupDuration);
        Assert.Equal(["WorkersInitialized", "WorkersReady", "FusesInitialized", "FusesReady"], first.Conditions!.Select(c => c.Type));

        var later = RuntimeStatusCalculator.Compute(first, observation with { Now = Now.AddMinutes(5) });
        Assert.Equal(first, later);
    }

    [Fact]
    public void DatasetStatus_Transitions_NotBoundBoundFailedAndBack()
    {
        var dataset = Samples.Dataset("data");
        var runtime = Samples.Runtime("data");
        Assert.Equal(DatasetPhase.NotBound, DatasetStatusCalculator.Compute(dataset, null, [], Now).Phase);
        // A runtime whose workers are not up yet does not bind.
        Assert.Equal(DatasetPhase.NotBound, DatasetStatusCalculator.Compute(dataset, runtime, [], Now).Phase);
        runtime.Status = new RuntimeStatus { WorkerPhase = RuntimePhase.PartialReady };
        var bound = DatasetStatusCalculator.Compute(dataset, runtime, [], Now);
        Assert.Equal(DatasetPhase.Bound, bound.Phase);
        dataset.Status = bound with { CacheStates = ValueMap.Of(("cached", "1GiB")), UfsTotal = "2GiB", OperationRef = ValueMap.Of(("DataLoad", "warm")) };
        // Once bound it stays bound while the runtime lives, even if its workers drop.
        runtime.Status = new RuntimeStatus { WorkerPhase = RuntimePhase.NotReady };
        var still = DatasetStatusCalculator.Compute(dataset, runtime, [], Now.AddHours(1));
        Assert.Equal(dataset.Status, still);
        var unbound = DatasetStatusCalculator.Compute(dataset, null, [], Now);
        Assert.Equal((DatasetPhase.NotBound, (ValueList<RuntimeRef>?)null, (ValueMap<string>?)null, "2GiB", "warm"), (unbound.Phase!.Value, unbound.Runtimes, unbound.CacheStates, unbound.UfsTotal, unbound.OperationRef!["DataLoad"]));
        var failed = DatasetStatusCalculator.Compute(dataset, runtime, ["spec.mounts[0].mountPoint: bad"], Now);
        Assert.Equal((DatasetPhase.Failed, "InvalidSpec", ConditionStatus.False), (failed.Phase!.Value, failed.Conditions![0].Reason, failed.Conditions[0].Status!.Value));
        Assert.Equal("the Dataset is invalid: spec.mounts[0].mountPoint: bad", failed.Conditions[0].Message);
    }

    [Fact]
    public void NodeLabels_Plan_AddCountsRemoveAndFuse()
    {
        var names = new RuntimeNames("default", "data");
        var node = new V1Node { Metadata = new V1ObjectMeta { Name = "n", Labels = new Dictionary<string, string> { ["fluid.io/dataset-num"] = "2", ["fluid.io/f-default-data"] = "true" } } };
        var add = NodeLabels.Plan(node, names, (1L << 30, 100L << 30, 101L << 30), new NodeWish(true, true, false));
        Assert.Equal(new Dictionary<string, string?>
        {
            ["fluid.io/s-default-data"] = "true",
            ["fluid.io/s-fluidcache-default-data"] = "true",
            ["fluid.io/s-h-fluidcache-m-default-data"] = "1GiB",
            ["fluid.io/s-h-fluidcache-d-default-data"] = "100GiB",
            ["fluid.io/s-h-fluidcache-t-default-data"] = "101GiB",
            ["fluid.io/dataset-num"] = "3",
        }, add);
        foreach (var (k, v) in add)
        {
            node.Metadata.Labels[k] = v!;
        }

        Assert.Empty(NodeLabels.Plan(node, names, (1L << 30, 100L << 30, 101L << 30), new NodeWish(true, true, false)));
        // FuseRemovable false (OnRuntimeDeleted): the FUSE label stays even when no pod needs it.
        Assert.DoesNotContain("fluid.io/f-default-data", NodeLabels.Plan(node, names, (0, 0, 0), new NodeWish(true, false, false)).Keys);
        var remove = NodeLabels.Plan(node, names, (0, 0, 0), new NodeWish(false, false, true));
        Assert.Equal("2", remove["fluid.io/dataset-num"]);
        Assert.All(remove.Where(p => p.Key != "fluid.io/dataset-num"), p => Assert.Null(p.Value));
        // Five runtime labels, the count, and the FUSE label (removable now).
        Assert.Equal(7, remove.Count);
        Assert.True(remove.ContainsKey("fluid.io/f-default-data"));
    }

    [Fact]
    public void CacheFigures_Aggregate_SumsAndFluidFormats()
    {
        var figures = CacheFigures.Aggregate(
        [
            new WorkerSummary { Cached = 300L << 20, CacheCapacity = 1L << 30, UfsTotal = null, FileNum = null, CacheHitRatio = 1.0, BytesRead = 6 },
            new WorkerSummary { Cached = 212L << 20, CacheCapacity = 1L << 30, UfsTotal = 4L << 30, FileNum = 10, CacheHitRatio = 0.75, BytesRead = 4 },
            new WorkerSummary { Cached = 0, CacheCapacity = 0, CacheHitRatio = 0, BytesRead = 0 },
        ]);
        Assert.Equal(ValueMap.Of(("cached", "512MiB"), ("cacheCapacity", "2GiB"), ("cachedPercentage", "12.5%"), ("cacheHitRatio", "90.0%")), figures.CacheStates);
        Assert.Equal(("4GiB", "10"), (figures.UfsTotal, figures.FileNum));
        Assert.Null(CacheFigures.Aggregate([new WorkerSummary()]).UfsTotal);
    }

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(1023, "1023B")]
    [InlineData(1536, "1.5KiB")]
    [InlineData(40265318, "38.4MiB")]
    [InlineData(1288490189, "1.2GiB")]
    public void Units_Bytes_GoUnitsStyle(long bytes, string expected) => Assert.Equal(expected, Units.Bytes(bytes));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45.4, "45s")]
    [InlineData(90, "1m30s")]
    [InlineData(3725, "1h2m5s")]
    public void Units_Duration_GoStyleWholeSeconds(double seconds, string expected) => Assert.Equal(expected, Units.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void DataLoadStatus_FromJob_RunningNullFinishedWithDurationAndTtl()
    {
        var started = Now;
        var running = new V1Job { Status = new V1JobStatus { Active = 1 } };
        Assert.Null(DataLoadStatusCalculator.Finished(new OperationStatus(), running, started));
        var failed = new V1Job
        {
            Status = new V1JobStatus
            {
                Conditions = [new V1JobCondition { Type = "Failed", Status = "True", Reason = "BackoffLimitExceeded", Message = "m", LastTransitionTime = Now.AddSeconds(75).UtcDateTime }],
            },
        };
        var status = DataLoadStatusCalculator.Finished(new OperationStatus { Phase = OperationPhase.Executing }, failed, started)!;
        Assert.Equal((OperationPhase.Failed, "1m15s", "Failed", "BackoffLimitExceeded"), (status.Phase!.Value, status.Duration, status.Conditions![0].Type, status.Conditions[0].Reason));
        Assert.Null(status.LastSuccessfulTime);
        Assert.Equal(Now.AddSeconds(75 + 30), DataLoadStatusCalculator.ExpiresAt(status, 30));
        Assert.Null(DataLoadStatusCalculator.ExpiresAt(status, null));
        Assert.Null(DataLoadStatusCalculator.ExpiresAt(new OperationStatus { Phase = OperationPhase.Executing }, 30));
    }

    [Fact]
    public void Validation_SameChecksAsFluidValidate_SplitByObject()
    {
        var dataset = Samples.Dataset("data");
        var runtime = Samples.Runtime("data");
        runtime.Spec = runtime.Spec! with { TieredStore = new TieredStore { Levels = ValueList.Of(new Level { MediumType = MediumType.MEM, Path = "relative/dir", Quota = Quantity.Parse("1Gi") }) } };
        var load = Samples.Load("warm", "data", "default", "/elsewhere");
        var problems = SpecProblems.Check(dataset, runtime, load);
        Assert.Empty(problems.Dataset);
        Assert.Contains(problems.Runtime, p => p.StartsWith("spec.tieredstore.levels[0].path", StringComparison.Ordinal));
        Assert.Contains(problems.DataLoad, p => p.StartsWith("spec.target[0].path: \"/elsewhere\" is not under any mount", StringComparison.Ordinal));
    }
}
