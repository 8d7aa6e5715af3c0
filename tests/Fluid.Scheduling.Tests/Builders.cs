using Fluid.Scheduling.Model;
using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Simulation;
using Fluid.Scheduling.Traces;

namespace Fluid.Scheduling.Tests;

/// <summary>Small hand-made clusters, datasets, jobs and scheduling contexts for tests.</summary>
internal static class Builders
{
    public const double GB = 1e9;

    public static NodeSpec Node(string name, string zone = "zone-a", string region = "region-1", int gpus = 8, double cacheGB = 1000, double nicGBps = 10, double cacheReadGBps = 4) => new()
    {
        Name = name,
        Zone = zone,
        Region = region,
        Gpus = gpus,
        CpuCores = 80,
        MemoryBytes = 320 * GB,
        CacheBytes = cacheGB * GB,
        NetworkBytesPerSecond = nicGBps * GB,
        CacheReadBytesPerSecond = cacheReadGBps * GB,
    };

    public static ClusterSpec Cluster(params NodeSpec[] nodes) => new() { Nodes = nodes };

    /// <summary>A dataset of 100 KB samples.</summary>
    public static DatasetSpec Dataset(string name, double sizeGB, double storeGBps = 1) => new()
    {
        Name = name,
        SizeBytes = sizeGB * GB,
        FileCount = (long)(sizeGB * GB / 100_000),
        StoreBytesPerSecond = storeGBps * GB,
    };

    /// <summary>A job whose compute speed is <paramref name="computeGBps"/> on 100 KB samples.</summary>
    public static JobSpec Job(string id, string dataset, int gpus, double epochs, double computeGBps = 2, double arrival = 0, int workers = 1, int priority = 0, string vc = "default") => new()
    {
        Id = id,
        ArrivalSeconds = arrival,
        Gpus = gpus,
        Workers = workers,
        Dataset = dataset,
        Epochs = epochs,

        // samples/s = computeGBps * 1e9 / 1e5, spread over the GPUs.
        SampleSeconds = gpus / (computeGBps * GB / 100_000),
        CpuCores = gpus * 10,
        MemoryBytes = gpus * 40 * GB,
        Priority = priority,
        VirtualCluster = vc,
    };

    public static Trace Trace(DatasetSpec[] datasets, params JobSpec[] jobs) => new() { Datasets = datasets, Jobs = jobs };

    /// <summary>A scheduling context over live cluster and cache state that tests can change.</summary>
    public sealed class Harness
    {
        private readonly bool[] _pendingDatasets;
        private readonly bool[] _activeDatasets;
        private readonly List<JobInfo> _pending = [];

        public Harness(ClusterSpec cluster, params DatasetSpec[] datasets)
        {
            Cluster = cluster;
            Datasets = datasets;
            Resources = new ClusterState(cluster);
            Cache = new CacheState(cluster, datasets);
            _pendingDatasets = new bool[datasets.Length];
            _activeDatasets = new bool[datasets.Length];
            Context = new SchedulingContext(Resources, Cache, datasets, _pending, _pendingDatasets, _activeDatasets, new DeterministicRandom(7));
        }

        public ClusterSpec Cluster { get; }

        public DatasetSpec[] Datasets { get; }

        public ClusterState Resources { get; }

        public CacheState Cache { get; }

        public SchedulingContext Context { get; }

        public JobInfo Info(JobSpec job, int index)
        {
            var d = Array.FindIndex(Datasets, x => x.Name == job.Dataset);
            return new JobInfo(job, index, d, Datasets[d]);
        }

        public JobInfo Enqueue(JobSpec job)
        {
            var info = Info(job, _pending.Count);
            _pending.Add(info);
            _pendingDatasets[info.DatasetIndex] = true;
            return info;
        }

        public void Cached(int node, string dataset, double gb)
        {
            var d = Array.FindIndex(Datasets, x => x.Name == dataset);
            Cache.Insert(node, d, gb * GB, 0, QueueOrders.LeastRecentlyUsed, _activeDatasets, _pendingDatasets, new double[Cluster.Nodes.Count]);
        }

        public void Start(ISchedulingPolicy policy, JobInfo job, Placement placement)
        {
            Resources.Allocate(job.Spec.Id, placement);
            policy.OnStarted(job, placement);
            _pending.Remove(job);
        }

        public void Finish(ISchedulingPolicy policy, JobInfo job, Placement placement)
        {
            Resources.Release(placement);
            policy.OnFinished(job, placement, Context);
        }
    }
}
