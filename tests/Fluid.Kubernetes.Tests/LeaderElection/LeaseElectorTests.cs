using System.Diagnostics;
using Fluid.Kubernetes.Controllers;
using Fluid.Kubernetes.LeaderElection;
using Fluid.Kubernetes.Queues;
using Fluid.Kubernetes.Resources;
using Fluid.Kubernetes.TestServer.Control;
using k8s;
using k8s.Models;

namespace Fluid.Kubernetes.Tests.LeaderElection;

public sealed class LeaseElectorTests
{
    private static LeaderElectionOptions Options(string identity, double leaseSeconds = 2, bool release = true, double renewDeadlineSeconds = 1.5) => new()
    {
        Namespace = "fluid-system",
        LeaseName = "fluid-controller",
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
        RenewDeadline = TimeSpan.FromSeconds(renewDeadlineSeconds),
        RetryPeriod = TimeSpan.FromMilliseconds(200),
        ReleaseOnCancel = release,
    };

    /// <summary>One candidate: its elector, its run, and how many times its work is running now.</summary>
    private sealed class Candidate : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Func<CancellationToken, Task>? _work;
        private int _active;

        public Candidate(IKubernetes client, LeaderElectionOptions options, Func<CancellationToken, Task>? work = null)
        {
            Elector = new LeaseElector(client, options);
            _work = work;
            Run = Elector.RunAsync(LeadAsync, _stop.Token);
        }

        public LeaseElector Elector { get; }

        public Task Run { get; }

        public int Active => Volatile.Read(ref _active);

        public int TimesLed { get; private set; }

        public CancellationToken? LastLeadershipToken { get; private set; }

        public static int MaxConcurrentLeaders;
        private static int _leadersNow;

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Run.WaitAsync(TimeSpan.FromSeconds(10));
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await StopAsync();
            }

            _stop.Dispose();
        }

        private async Task LeadAsync(CancellationToken leading)
        {
            TimesLed++;
            LastLeadershipToken = leading;
            Interlocked.Increment(ref _active);
            int now = Interlocked.Increment(ref _leadersNow);
            InterlockedMax(ref MaxConcurrentLeaders, now);
            try
            {
                if (_work is not null)
                {
                    await _work(leading);
                }
                else
                {
                    await Task.Delay(Timeout.Infinite, leading);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _leadersNow);
                Interlocked.Decrement(ref _active);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }

    private static async Task<V1Lease> LeaseAsync(TestCluster cluster) =>
        await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync("fluid-controller", "fluid-system");

    [Fact]
    public async Task TwoElectors_OneLease_ExactlyOneLeads()
    {
        await using var cluster = await TestCluster.StartAsync();
        Candidate.MaxConcurrentLeaders = 0;
        await using var a = new Candidate(cluster.NewClient(), Options("a"));
        await using var b = new Candidate(cluster.NewClient(), Options("b"));

        await Eventually.TrueAsync(() => a.Elector.IsLeader || b.Elector.IsLeader, "a leader");
        // Watch for a while: renewals keep the same leader and never let the other in.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            Assert.False(a.Elector.IsLeader && b.Elector.IsLeader, "both lead at once");
            await Task.Delay(10);
        }

        var leader = a.Elector.IsLeader ? a : b;
        var follower = leader == a ? b : a;
        Assert.Equal(1, leader.Active);
        Assert.Equal(0, follower.Active);
        Assert.Equal(1, leader.TimesLed);
        Assert.Equal(0, follower.TimesLed);
        Assert.Equal(1, Candidate.MaxConcurrentLeaders);
        var lease = await LeaseAsync(cluster);
        Assert.Equal(leader.Elector.Options.Identity, lease.Spec.HolderIdentity);
        Assert.Equal(2, lease.Spec.LeaseDurationSeconds);
        Assert.Equal(leader.Elector.Options.Identity, follower.Elector.ObservedHolder);
    }

    [Fact]
    public async Task LeaderStops_OtherTakesOverWithoutWaitingForExpiry()
    {
        await using var cluster = await TestCluster.StartAsync();
        await using var a = new Candidate(cluster.NewClient(), Options("a", leaseSeconds: 6));
        await Eventually.TrueAsync(() => a.Elector.IsLeader, "a leads");
        await using var b = new Candidate(cluster.NewClient(), Options("b", leaseSeconds: 6));
        await Task.Delay(500);
        Assert.False(b.Elector.IsLeader);
        int transitionsBefore = (await LeaseAsync(cluster)).Spec.LeaseTransitions ?? 0;

        var watch = Stopwatch.StartNew();
        await a.StopAsync();
        await Eventually.TrueAsync(() => b.Elector.IsLeader, "b takes over");

        // Released on stop, so b need not wait out the 6 s lease.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"takeover took {watch.Elapsed}");
        Assert.Equal(0, a.Active);
        var lease = await LeaseAsync(cluster);
        Assert.Equal("b", lease.Spec.HolderIdentity);
        Assert.Equal(transitionsBefore + 1, lease.Spec.LeaseTransitions);
    }

    [Fact]
    public async Task LeaderVanishesWithoutRelease_OtherWaitsForLeaseDuration()
    {
        await using var cluster = await TestCluster.StartAsync();
        await using var a = new Candidate(cluster.NewClient(), Options("a", leaseSeconds: 2, release: false));
        await Eventually.TrueAsync(() => a.Elector.IsLeader, "a leads");
        await using var b = new Candidate(cluster.NewClient(), Options("b", leaseSeconds: 2));
        await Task.Delay(400);

        var watch = Stopwatch.StartNew();
        await a.StopAsync();
        Assert.Equal("a", (await LeaseAsync(cluster)).Spec.HolderIdentity);
        await Eventually.TrueAsync(() => b.Elector.IsLeader, "b takes over after expiry");

        // b counts the 2 s from the last renewal it saw, which came at most one retry period before the stop.
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.7), $"took over after only {watch.Elapsed}");
    }

    [Fact]
    public async Task LeaderCannotRenew_StopsReconcilingBeforeLeaseExpires()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var queue = new WorkQueue<ObjectKey>("lease-test", new ExponentialBackoffRateLimiter<ObjectKey>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1)));
        int reconciles = 0;
        int cancelledMidReconcile = 0;
        var reconciler = new DelegateReconciler(async (key, ct) =>
        {
            Interlocked.Increment(ref reconciles);
            try
            {
                await Task.Delay(50, ct);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelledMidReconcile);
                throw;
            }

            return ReconcileResult.After(TimeSpan.FromMilliseconds(10));
        });
        var host = new ControllerHost("lease-test", queue, reconciler, workers: 2);
        queue.Add(new ObjectKey("default", "a"));
        queue.Add(new ObjectKey("default", "b"));
        await using var leader = new Candidate(cluster.NewClient(), Options("a", leaseSeconds: 3), host.RunAsync);
        await Eventually.TrueAsync(() => Volatile.Read(ref reconciles) > 5, "reconciling while leader");

        cluster.Server.InjectFault(new FaultRule { Method = "PUT", Resource = "leases", Count = 100_000, StatusCode = 500 });
        var watch = Stopwatch.StartNew();
        await Eventually.TrueAsync(() => !leader.Elector.IsLeader, "leadership lost");
        var lostAfter = watch.Elapsed;
        await Eventually.TrueAsync(() => leader.Active == 0, "work stopped");

        // The renew deadline is 1.5 s and the lease 3 s: the work must stop before another replica could lead.
        Assert.True(lostAfter < TimeSpan.FromSeconds(3), $"leadership lost only after {lostAfter}");
        int after = Volatile.Read(ref reconciles);
        await Task.Delay(500);
        Assert.Equal(after, Volatile.Read(ref reconciles));
        Assert.True(leader.LastLeadershipToken!.Value.IsCancellationRequested);
        Assert.True(queue.Count + queue.DelayedCount >= 1, "unfinished keys stay queued for the next leader");
    }

    [Fact]
    public async Task LeaseTakenByAnother_LeaderStepsDownAtNextRenewal()
    {
        await using var cluster = await TestCluster.StartAsync();
        await using var a = new Candidate(cluster.NewClient(), Options("a", leaseSeconds: 10, renewDeadlineSeconds: 6));
        await Eventually.TrueAsync(() => a.Elector.IsLeader, "a leads");

        var lease = await LeaseAsync(cluster);
        lease.Spec.HolderIdentity = "intruder";
        lease.Spec.RenewTime = DateTime.UtcNow;
        await cluster.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "fluid-controller", "fluid-system");
        var watch = Stopwatch.StartNew();

        await Eventually.TrueAsync(() => !a.Elector.IsLeader && a.Active == 0, "a steps down");
        // Well before the 6 s renew deadline: seeing another holder ends leadership at once.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"stepped down after {watch.Elapsed}");
        Assert.Equal("intruder", a.Elector.ObservedHolder);
        Assert.Equal("intruder", (await LeaseAsync(cluster)).Spec.HolderIdentity);
    }

    [Fact]
    public void Options_Inconsistent_ThrowsNamingEveryField()
    {
        using var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" });
        var options = new LeaderElectionOptions
        {
            Namespace = "",
            LeaseName = "l",
            Identity = "i",
            LeaseDuration = TimeSpan.FromSeconds(5),
            RenewDeadline = TimeSpan.FromSeconds(10),
            RetryPeriod = TimeSpan.FromSeconds(9),
        };

        var error = Assert.Throws<ArgumentException>(() => new LeaseElector(client, options));

        Assert.Contains("namespace: required", error.Message, StringComparison.Ordinal);
        Assert.Contains("renewDeadline: must exceed retryPeriod", error.Message, StringComparison.Ordinal);
        Assert.Contains("leaseDuration: must exceed renewDeadline", error.Message, StringComparison.Ordinal);
    }
}
