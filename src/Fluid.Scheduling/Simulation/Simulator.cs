using Fluid.Scheduling.Model;
using Fluid.Scheduling.Policies;
using Fluid.Scheduling.Traces;

namespace Fluid.Scheduling.Simulation;

/// <summary>
/// Deterministic discrete-event simulation of a GPU cluster running a trace under one policy. Between two
/// events (arrival, epoch end, completion) every job's speed is constant: the lower of its compute speed
/// and its read speed, with reads shared max-min fairly over the links they use (node cache tiers, NIC
/// ingress and egress, each dataset's remote store).
/// </summary>
public static class Simulator
{
    /// <summary>Runs <paramref name="trace"/> on <paramref name="cluster"/> under <paramref name="policy"/>.</summary>
    /// <exception cref="ArgumentException">The cluster or trace is invalid; the message lists every problem.</exception>
    /// <exception cref="SimulationException">A job can never start (for example its quota is too small).</exception>
    public static SimulationResult Run(ClusterSpec cluster, Trace trace, ISchedulingPolicy policy, SimulatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(policy);
        var problems = new List<string>(cluster.Validate());
        problems.AddRange(trace.Validate(cluster));
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems));
        }

        return new Run(cluster, trace, policy, options ?? new SimulatorOptions()).Execute();
    }
}

internal sealed class Run
{
    private const double RelativeTolerance = 1e-9;

    private readonly ClusterSpec _cluster;
    private readonly Trace _trace;
    private readonly ISchedulingPolicy _policy;
    private readonly SimulatorOptions _options;
    private readonly JobInfo[] _jobs;
    private readonly ClusterState _resources;
    private readonly CacheState _cache;
    private readonly SchedulingContext _context;
    private readonly List<JobInfo> _pending = [];
    private readonly List<RunningJob> _running = [];
    private readonly bool[] _pendingDatasets;
    private readonly bool[] _activeDatasets;
    private readonly double[] _capacities;
    private readonly JobResult?[] _results;
    private readonly List<TimelinePoint> _timeline = [];
    private readonly Func<EvictionCandidate, EvictionCandidate, int> _evictionOrder;
    private readonly int _nodes;
    private double _now;
    private double _allocatedGpuSeconds;
    private double _busyGpuSeconds;

    public Run(ClusterSpec cluster, Trace trace, ISchedulingPolicy policy, SimulatorOptions options)
    {
        _cluster = cluster;
        _trace = trace;
        _policy = policy;
        _options = options;
        _nodes = cluster.Nodes.Count;
        var datasetIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < trace.Datasets.Count; i++)
        {
            datasetIndex[trace.Datasets[i].Name] = i;
        }

        _jobs = new JobInfo[trace.Jobs.Count];
        for (var i = 0; i < _jobs.Length; i++)
        {
            var d = datasetIndex[trace.Jobs[i].Dataset];
            _jobs[i] = new JobInfo(trace.Jobs[i], i, d, trace.Datasets[d]);
        }

        _resources = new ClusterState(cluster);
        _cache = new CacheState(cluster, trace.Datasets);
        _pendingDatasets = new bool[trace.Datasets.Count];
        _activeDatasets = new bool[trace.Datasets.Count];
        _context = new SchedulingContext(_resources, _cache, trace.Datasets, _pending, _pendingDatasets, _activeDatasets, new DeterministicRandom(options.Seed));
        _results = new JobResult?[_jobs.Length];
        _evictionOrder = policy.CompareForEviction;

        // Links: cache tier of each node, NIC ingress, NIC egress, then each dataset's store.
        _capacities = new double[(3 * _nodes) + trace.Datasets.Count];
        for (var n = 0; n < _nodes; n++)
        {
            _capacities[n] = cluster.Nodes[n].CacheReadBytesPerSecond;
            _capacities[_nodes + n] = cluster.Nodes[n].NetworkBytesPerSecond;
            _capacities[(2 * _nodes) + n] = cluster.Nodes[n].NetworkBytesPerSecond;
        }

        for (var d = 0; d < trace.Datasets.Count; d++)
        {
            _capacities[(3 * _nodes) + d] = trace.Datasets[d].StoreBytesPerSecond;
        }
    }

    public SimulationResult Execute()
    {
        var arrivals = new int[_jobs.Length];
        for (var i = 0; i < arrivals.Length; i++)
        {
            arrivals[i] = i;
        }

        Array.Sort(arrivals, (a, b) =>
        {
            var c = _jobs[a].Spec.ArrivalSeconds.CompareTo(_jobs[b].Spec.ArrivalSeconds);
            return c != 0 ? c : a.CompareTo(b);
        });

        if (!(_options.CacheStepFraction > 0))
        {
            throw new ArgumentException($"simulator.cacheStepFraction: must be > 0 (got {_options.CacheStepFraction})");
        }

        var next = 0;
        var start = arrivals.Length > 0 ? _jobs[arrivals[0]].Spec.ArrivalSeconds : 0;
        _now = start;
        var changed = true;
        while (true)
        {
            while (next < arrivals.Length && _jobs[arrivals[next]].Spec.ArrivalSeconds <= _now)
            {
                _pending.Add(_jobs[arrivals[next]]);
                next++;
                changed = true;
            }

            RefreshPendingDatasets();

            // Free resources only change on arrivals and completions, so only then can a round start a job.
            if (_pending.Count > 0 && changed)
            {
                ScheduleRound();
            }

            changed = false;

            if (_running.Count == 0)
            {
                if (next < arrivals.Length)
                {
                    Record(0, 0);
                    _now = _jobs[arrivals[next]].Spec.ArrivalSeconds;
                    continue;
                }

                if (_pending.Count > 0)
                {
                    var ids = string.Join(", ", _pending.Select(j => j.Spec.Id));
                    throw new SimulationException($"policy {_policy.Name} cannot start job(s) {ids} even on an idle cluster (check GPUs per worker, CPU/memory requests and virtual cluster quotas)");
                }

                break;
            }

            foreach (var job in _running)
            {
                UpdateSources(job);
            }

            var rates = ComputeRates();
            var allocated = _resources.TotalUsedGpus();
            var busy = 0.0;
            for (var i = 0; i < _running.Count; i++)
            {
                busy += _running[i].Info.Spec.Gpus * (rates[i] / _running[i].ComputeRate);
            }

            Record(allocated, busy);

            var dt = double.PositiveInfinity;
            for (var i = 0; i < _running.Count; i++)
            {
                dt = Math.Min(dt, _running[i].EpochRemaining / rates[i]);
            }

            dt = Math.Min(dt, FillStep(rates));
            var untilArrival = next < arrivals.Length ? _jobs[arrivals[next]].Spec.ArrivalSeconds - _now : double.PositiveInfinity;
            var arrivalFirst = untilArrival <= dt;
            if (arrivalFirst)
            {
                dt = untilArrival;
            }

            if (double.IsInfinity(dt) || double.IsNaN(dt))
            {
                throw new SimulationException($"policy {_policy.Name}: no job makes progress at t={_now}s");
            }

            _allocatedGpuSeconds += allocated * dt;
            _busyGpuSeconds += busy * dt;
            var then = arrivalFirst ? _jobs[arrivals[next]].Spec.ArrivalSeconds : _now + dt;
            Advance(rates, dt, then);
            _now = then;
            changed |= FinishEpochs();
        }

        return BuildResult(start);
    }

    private void RefreshPendingDatasets()
    {
        Array.Clear(_pendingDatasets);
        foreach (var job in _pending)
        {
            _pendingDatasets[job.DatasetIndex] = true;
        }
    }

    private void ScheduleRound()
    {
        _context.Now = _now;
        var order = _policy.Order(_context);
        foreach (var entry in order)
        {
            var job = entry.Job;
            if (!_pending.Contains(job))
            {
                throw new InvalidOperationException($"policy {_policy.Name} ordered job {job.Spec.Id}, which is not queued");
            }

            var placement = _policy.TryPlace(job, _context, null);
            if (placement is null)
            {
                if (entry.Blocking)
                {
                    break;
                }

                continue;
            }

            CheckPlacementShape(job, placement);
            _resources.Allocate(job.Spec.Id, placement);
            _policy.OnStarted(job, placement);
            _pending.Remove(job);
            _activeDatasets[job.DatasetIndex] = true;
            var running = new RunningJob(job, placement, _now, ComputeRate(job.Spec, job.Dataset), _nodes);
            InsertRunning(running);
            BeginEpoch(running);
        }

        RefreshPendingDatasets();
    }

    private void CheckPlacementShape(JobInfo job, Placement placement)
    {
        var spec = job.Spec;
        if (placement.Pods.Count != spec.Workers)
        {
            throw new InvalidOperationException($"policy {_policy.Name} placed {placement.Pods.Count} pods for job {spec.Id}, which has {spec.Workers} workers");
        }

        foreach (var pod in placement.Pods)
        {
            if (pod.Gpus != spec.GpusPerWorker
                || pod.CpuCores < (spec.CpuCores / spec.Workers) * (1 - 1e-12)
                || pod.MemoryBytes < (spec.MemoryBytes / spec.Workers) * (1 - 1e-12))
            {
                throw new InvalidOperationException($"policy {_policy.Name} placed a pod of job {spec.Id} with less than its requests");
            }
        }
    }

    private double ComputeRate(JobSpec spec, DatasetSpec dataset)
    {
        var samplesPerSecond = spec.Gpus / spec.SampleSeconds;
        if (spec.Workers > 1)
        {
            samplesPerSecond *= _options.MultiNodeEfficiency;
        }

        return samplesPerSecond * dataset.BytesPerSample;
    }

    private void InsertRunning(RunningJob job)
    {
        // Keep the running list in trace order so every loop over it is deterministic.
        var i = 0;
        while (i < _running.Count && _running[i].Info.Index < job.Info.Index)
        {
            i++;
        }

        _running.Insert(i, job);
    }

    private void BeginEpoch(RunningJob job)
    {
        job.EpochRemaining = Math.Min(job.Info.Dataset.SizeBytes, job.TotalWork - job.Done);
        job.EpochWork = job.EpochRemaining;
        Array.Clear(job.OwnFills);
        Array.Clear(job.Hits);
    }

    /// <summary>
    /// Where each pod's remaining reads of this epoch come from. An epoch reads each sample at most once, in
    /// random order, so the cached bytes still ahead of the job are those it has neither cached itself nor
    /// already read as hits in this epoch; they are spread evenly over the bytes it has not read yet.
    /// </summary>
    private void UpdateSources(RunningJob job)
    {
        var dataset = job.Info.Dataset;
        var d = job.Info.DatasetIndex;
        var workers = job.Info.Spec.Workers;
        var unread = dataset.SizeBytes - (job.EpochWork - job.EpochRemaining);
        var usable = new double[_nodes];
        var total = 0.0;
        for (var h = 0; h < _nodes; h++)
        {
            var ahead = _cache.CachedBytes(h, d) - job.OwnFills[h] - job.Hits[h];
            usable[h] = unread > 0 ? Math.Max(0, ahead) / unread : 0;
            total += usable[h];
        }

        if (total > 1)
        {
            // Concurrent fills within one step can make the bytes ahead look larger than what is left to read.
            for (var h = 0; h < _nodes; h++)
            {
                usable[h] /= total;
            }

            total = 1;
        }

        var usage = new SortedDictionary<int, double>();
        for (var p = 0; p < job.Pods.Length; p++)
        {
            var node = job.Placement.Pods[p].Node;
            var local = usable[node];
            var holders = new List<(int Node, double Fraction)>();
            var remote = 0.0;
            for (var h = 0; h < _nodes; h++)
            {
                if (h != node && usable[h] > 0)
                {
                    holders.Add((h, usable[h]));
                    remote += usable[h];
                }
            }

            var miss = Math.Max(0, 1 - total);
            job.Pods[p] = new PodIo(node, local, holders, remote, miss);

            // Each pod reads 1/workers of every epoch.
            Add(usage, node, local / workers);
            foreach (var (h, f) in holders)
            {
                Add(usage, h, f / workers);
                Add(usage, (2 * _nodes) + h, f / workers);
                Add(usage, _nodes + node, f / workers);
            }

            Add(usage, (3 * _nodes) + d, miss / workers);
            Add(usage, _nodes + node, miss / workers);
        }

        var list = new List<(int, double)>(usage.Count);
        foreach (var (link, coefficient) in usage)
        {
            if (coefficient > 0)
            {
                list.Add((link, coefficient));
            }
        }

        job.Demand = new BandwidthDemand(job.Info.Spec.Gpus, job.ComputeRate, list);

        static void Add(SortedDictionary<int, double> map, int key, double value)
        {
            map[key] = map.GetValueOrDefault(key) + value;
        }
    }

    /// <summary>Longest step in which no dataset's cache grows by more than the configured share of its size.</summary>
    private double FillStep(double[] rates)
    {
        var fill = new double[_trace.Datasets.Count];
        for (var i = 0; i < _running.Count; i++)
        {
            var job = _running[i];
            foreach (var pod in job.Pods)
            {
                fill[job.Info.DatasetIndex] += rates[i] * pod.Miss / job.Info.Spec.Workers;
            }
        }

        var step = double.PositiveInfinity;
        for (var d = 0; d < fill.Length; d++)
        {
            var room = _trace.Datasets[d].SizeBytes - _cache.TotalCached(d);
            if (fill[d] > 0 && room > 0)
            {
                step = Math.Min(step, _options.CacheStepFraction * _trace.Datasets[d].SizeBytes / fill[d]);
            }
        }

        return step;
    }

    private double[] ComputeRates()
    {
        var demands = new BandwidthDemand[_running.Count];
        for (var i = 0; i < demands.Length; i++)
        {
            demands[i] = _running[i].Demand!;
        }

        return BandwidthAllocator.Allocate(_capacities, demands);
    }

    private void Advance(double[] rates, double dt, double then)
    {
        for (var i = 0; i < _running.Count; i++)
        {
            var job = _running[i];
            var timeToEnd = job.EpochRemaining / rates[i];
            var progress = timeToEnd <= dt * (1 + RelativeTolerance) ? job.EpochRemaining : rates[i] * dt;
            job.Done += progress;
            job.EpochRemaining -= progress;
            if (job.EpochRemaining <= job.Info.Dataset.SizeBytes * 1e-12)
            {
                job.EpochRemaining = 0;
            }

            var perPod = progress / job.Info.Spec.Workers;
            foreach (var pod in job.Pods)
            {
                job.LocalBytes += perPod * pod.Local;
                job.RemoteBytes += perPod * pod.Remote;
                job.StoreBytes += perPod * pod.Miss;
                job.Hits[pod.Node] += perPod * pod.Local;
                _cache.Touch(pod.Node, job.Info.DatasetIndex, then);
                foreach (var (h, f) in pod.Holders)
                {
                    job.Hits[h] += perPod * f;
                    _cache.Touch(h, job.Info.DatasetIndex, then);
                }

                if (pod.Miss > 0)
                {
                    // The first read of a byte fills the cache (LocalFirst, overflowing to other nodes).
                    _cache.Insert(pod.Node, job.Info.DatasetIndex, perPod * pod.Miss, then, _evictionOrder, _activeDatasets, _pendingDatasets, job.OwnFills);
                }
            }
        }
    }

    private bool FinishEpochs()
    {
        var completed = false;
        for (var i = 0; i < _running.Count;)
        {
            var job = _running[i];
            if (job.EpochRemaining > 0)
            {
                i++;
                continue;
            }

            if (job.Done >= job.TotalWork * (1 - 1e-12))
            {
                Complete(job);
                _running.RemoveAt(i);
                completed = true;
                continue;
            }

            BeginEpoch(job);
            i++;
        }

        Array.Clear(_activeDatasets);
        foreach (var job in _running)
        {
            _activeDatasets[job.Info.DatasetIndex] = true;
        }

        return completed;
    }

    private void Complete(RunningJob job)
    {
        _resources.Release(job.Placement);
        _context.Now = _now;
        _policy.OnFinished(job.Info, job.Placement, _context);
        var spec = job.Info.Spec;
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var pod in job.Placement.Pods)
        {
            names.Add(_cluster.Nodes[pod.Node].Name);
        }

        _results[job.Info.Index] = new JobResult
        {
            Id = spec.Id,
            Dataset = spec.Dataset,
            Gpus = spec.Gpus,
            Workers = spec.Workers,
            Nodes = string.Join('+', names),
            ArrivalSeconds = spec.ArrivalSeconds,
            StartSeconds = job.Start,
            FinishSeconds = _now,
            IdealSeconds = job.TotalWork / job.ComputeRate,
            LocalCacheBytes = job.LocalBytes,
            RemoteCacheBytes = job.RemoteBytes,
            StoreBytes = job.StoreBytes,
        };
    }

    private void Record(int allocated, double busy)
    {
        if (!_options.RecordTimeline)
        {
            return;
        }

        if (_timeline.Count > 0 && _timeline[^1].Seconds == _now)
        {
            _timeline[^1] = new TimelinePoint(_now, allocated, busy);
            return;
        }

        // Cache-fill steps are short; keep a point only when the picture changes visibly (totals are exact anyway).
        if (_timeline.Count > 0 && _timeline[^1].AllocatedGpus == allocated && Math.Abs(_timeline[^1].BusyGpus - busy) < 0.005 * _cluster.TotalGpus)
        {
            return;
        }

        _timeline.Add(new TimelinePoint(_now, allocated, busy));
    }

    private SimulationResult BuildResult(double start)
    {
        var jobs = new JobResult[_results.Length];
        for (var i = 0; i < jobs.Length; i++)
        {
            jobs[i] = _results[i] ?? throw new InvalidOperationException($"job {_jobs[i].Spec.Id} did not finish");
        }

        var end = start;
        var jctSum = 0.0;
        var queueSum = 0.0;
        var local = 0.0;
        var remote = 0.0;
        var store = 0.0;
        var jcts = new double[jobs.Length];
        for (var i = 0; i < jobs.Length; i++)
        {
            var r = jobs[i];
            end = Math.Max(end, r.FinishSeconds);
            jctSum += r.JctSeconds;
            queueSum += r.QueueSeconds;
            jcts[i] = r.JctSeconds;
            local += r.LocalCacheBytes;
            remote += r.RemoteCacheBytes;
            store += r.StoreBytes;
        }

        Array.Sort(jcts);
        var makespan = end - start;
        var gpuSeconds = _cluster.TotalGpus * makespan;
        var read = local + remote + store;
        if (_options.RecordTimeline)
        {
            Record(0, 0);
        }

        var peaks = new int[_nodes];
        for (var n = 0; n < _nodes; n++)
        {
            peaks[n] = _resources.PeakGpus(n);
        }

        return new SimulationResult
        {
            Policy = _policy.Name,
            Jobs = jobs,
            Timeline = _timeline,
            PeakGpusPerNode = peaks,
            Totals = new SimulationTotals
            {
                Jobs = jobs.Length,
                MakespanSeconds = makespan,
                AverageJctSeconds = jobs.Length > 0 ? jctSum / jobs.Length : 0,
                P95JctSeconds = jobs.Length > 0 ? jcts[(int)Math.Ceiling(0.95 * jobs.Length) - 1] : 0,
                AverageQueueSeconds = jobs.Length > 0 ? queueSum / jobs.Length : 0,
                GpuUtilisation = gpuSeconds > 0 ? _allocatedGpuSeconds / gpuSeconds : 0,
                BusyGpuUtilisation = gpuSeconds > 0 ? _busyGpuSeconds / gpuSeconds : 0,
                CacheHitRatio = read > 0 ? (local + remote) / read : 0,
                LocalHitRatio = read > 0 ? local / read : 0,
                Evictions = _cache.Evictions,
            },
        };
    }

    private sealed class RunningJob(JobInfo info, Placement placement, double start, double computeRate, int nodes)
    {
        public JobInfo Info { get; } = info;

        public Placement Placement { get; } = placement;

        public double Start { get; } = start;

        public double ComputeRate { get; } = computeRate;

        public double TotalWork { get; } = info.Spec.Epochs * info.Dataset.SizeBytes;

        public PodIo[] Pods { get; } = new PodIo[placement.Pods.Count];

        public double[] OwnFills { get; } = new double[nodes];

        public double[] Hits { get; } = new double[nodes];

        public double EpochWork { get; set; }

        public BandwidthDemand? Demand { get; set; }

        public double Done { get; set; }

        public double EpochRemaining { get; set; }

        public double LocalBytes { get; set; }

        public double RemoteBytes { get; set; }

        public double StoreBytes { get; set; }
    }

    private sealed record PodIo(int Node, double Local, IReadOnlyList<(int Node, double Fraction)> Holders, double Remote, double Miss);
}
