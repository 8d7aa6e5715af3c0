using System.Collections.Concurrent;
using System.Diagnostics;
using Fluid.Kubernetes.Queues;

namespace Fluid.Kubernetes.Tests.Queues;

public sealed class WorkQueueTests
{
    private static WorkQueue<string> NewQueue(IRateLimiter<string>? limiter = null) =>
        new("test", limiter ?? new ExponentialBackoffRateLimiter<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1)));

    private static async Task<string> GetAsync(WorkQueue<string> queue, TimeSpan? timeout = null)
    {
        var (item, shuttingDown) = await queue.GetAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(5));
        Assert.False(shuttingDown);
        return item;
    }

    [Fact]
    public async Task Add_SameKeyTwice_HandedOutOnce()
    {
        using var queue = NewQueue();
        queue.Add("a");
        queue.Add("b");
        queue.Add("a");

        Assert.Equal(2, queue.Count);
        Assert.Equal("a", await GetAsync(queue));
        Assert.Equal("b", await GetAsync(queue));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Add_WhileProcessing_QueuedAgainOnlyAfterDone()
    {
        using var queue = NewQueue();
        queue.Add("a");
        Assert.Equal("a", await GetAsync(queue));

        queue.Add("a");
        queue.Add("a");
        Assert.Equal(0, queue.Count);
        var next = queue.GetAsync();
        await Task.Delay(100);
        Assert.False(next.IsCompleted);

        queue.Done("a");
        var (item, _) = await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("a", item);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task ManyWorkers_ManyAdds_AtMostOneInFlightPerKey()
    {
        using var queue = NewQueue();
        var inFlight = new ConcurrentDictionary<string, int>();
        var processed = new ConcurrentDictionary<string, int>();
        int violations = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var (key, shuttingDown) = await queue.GetAsync();
                if (shuttingDown)
                {
                    return;
                }

                if (inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
                {
                    Interlocked.Increment(ref violations);
                }

                await Task.Delay(Random.Shared.Next(0, 3));
                processed.AddOrUpdate(key, 1, (_, n) => n + 1);
                inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
                queue.Done(key);
            }
        })).ToArray();

        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (int i = 0; i < 500; i++)
            {
                queue.Add($"k{(i + p) % 5}");
                if (i % 50 == 0)
                {
                    await Task.Yield();
                }
            }
        })).ToArray();
        await Task.WhenAll(producers);
        await queue.ShutDownWithDrainAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(0, violations);
        Assert.Equal(5, processed.Count);
        Assert.All(processed.Values, n => Assert.InRange(n, 1, 2000));
        Assert.True(processed.Values.Sum() < 2000, "duplicates were coalesced");
    }

    [Fact]
    public async Task AddRateLimited_RepeatedFailures_DelaysDoubleWithinBounds()
    {
        using var queue = NewQueue(new ExponentialBackoffRateLimiter<string>(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10)));
        var delays = new List<TimeSpan>();
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var watch = Stopwatch.StartNew();
            queue.AddRateLimited("a");
            Assert.Equal(1, queue.DelayedCount);
            Assert.Equal("a", await GetAsync(queue));
            delays.Add(watch.Elapsed);
            queue.Done("a");
        }

        Assert.Equal(3, queue.NumRequeues("a"));
        // Expected 100, 200 and 400 ms: never early, and not wildly late even on a loaded machine.
        Assert.InRange(delays[0].TotalMilliseconds, 95, 1000);
        Assert.InRange(delays[1].TotalMilliseconds, 195, 1100);
        Assert.InRange(delays[2].TotalMilliseconds, 395, 1300);
        queue.Forget("a");
        Assert.Equal(0, queue.NumRequeues("a"));
    }

    [Fact]
    public async Task AddAfter_TwiceForOneKey_KeepsEarliest()
    {
        using var queue = NewQueue();
        var watch = Stopwatch.StartNew();
        queue.AddAfter("a", TimeSpan.FromSeconds(30));
        queue.AddAfter("a", TimeSpan.FromMilliseconds(150));
        queue.AddAfter("a", TimeSpan.FromSeconds(10));

        Assert.Equal("a", await GetAsync(queue));
        Assert.InRange(watch.Elapsed.TotalMilliseconds, 145, 5000);
        Assert.Equal(0, queue.DelayedCount);
    }

    [Fact]
    public async Task ShutDown_QueuedItemsStillDrainThenWorkersAreTold()
    {
        using var queue = NewQueue();
        queue.Add("a");
        queue.Add("b");
        queue.AddAfter("late", TimeSpan.FromSeconds(30));

        queue.ShutDown();
        queue.Add("ignored");

        Assert.True(queue.IsShuttingDown);
        Assert.Equal(0, queue.DelayedCount);
        Assert.Equal("a", await GetAsync(queue));
        Assert.Equal("b", await GetAsync(queue));
        var (_, shuttingDown) = await queue.GetAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(shuttingDown);
    }

    [Fact]
    public async Task ShutDown_WakesWaitingWorker()
    {
        using var queue = NewQueue();
        var waiting = queue.GetAsync();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        queue.ShutDown();

        var (_, shuttingDown) = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(shuttingDown);
    }

    [Fact]
    public async Task ShutDownWithDrain_WaitsForInFlightDone()
    {
        using var queue = NewQueue();
        queue.Add("a");
        Assert.Equal("a", await GetAsync(queue));

        var drain = queue.ShutDownWithDrainAsync();
        await Task.Delay(100);
        Assert.False(drain.IsCompleted);

        queue.Done("a");
        await drain.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task GetAsync_Cancelled_Throws()
    {
        using var queue = NewQueue();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.GetAsync(cts.Token));
    }
}

public sealed class RateLimiterTests
{
    [Fact]
    public void ExponentialBackoff_DoublesPerFailureUpToCapAndForgets()
    {
        var limiter = new ExponentialBackoffRateLimiter<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(100));

        var delays = Enumerable.Range(0, 7).Select(_ => limiter.When("a").TotalMilliseconds).ToList();

        Assert.Equal([5d, 10, 20, 40, 80, 100, 100], delays);
        Assert.Equal(5, limiter.When("b").TotalMilliseconds);
        Assert.Equal(7, limiter.NumRequeues("a"));
        limiter.Forget("a");
        Assert.Equal(0, limiter.NumRequeues("a"));
        Assert.Equal(5, limiter.When("a").TotalMilliseconds);
    }

    [Fact]
    public void ExponentialBackoff_ManyFailures_DoesNotOverflow()
    {
        var limiter = new ExponentialBackoffRateLimiter<int>(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5));

        TimeSpan last = default;
        for (int i = 0; i < 200; i++)
        {
            last = limiter.When(1);
        }

        Assert.Equal(TimeSpan.FromMinutes(5), last);
    }

    [Fact]
    public void TokenBucket_AfterBurst_SpacesCallsAtRate()
    {
        var time = new ManualTime();
        var limiter = new TokenBucketRateLimiter<string>(ratePerSecond: 10, burst: 2, time);

        var delays = Enumerable.Range(0, 4).Select(i => limiter.When($"k{i}").TotalMilliseconds).ToList();
        time.Advance(TimeSpan.FromSeconds(1));
        double afterRefill = limiter.When("x").TotalMilliseconds;

        Assert.Equal(0, delays[0]);
        Assert.Equal(0, delays[1]);
        Assert.Equal(100, delays[2], precision: 3);
        Assert.Equal(200, delays[3], precision: 3);
        // Two tokens were borrowed; one second of refill at 10/s pays them back and leaves a token.
        Assert.Equal(0, afterRefill);
    }

    [Fact]
    public void MaxOf_TakesLongestDelay()
    {
        var time = new ManualTime();
        var limiter = new MaxOfRateLimiter<string>(
            new ExponentialBackoffRateLimiter<string>(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1)),
            new TokenBucketRateLimiter<string>(ratePerSecond: 1, burst: 1, time));

        Assert.Equal(50, limiter.When("a").TotalMilliseconds);
        Assert.Equal(1000, limiter.When("b").TotalMilliseconds, precision: 3);
        Assert.Equal(1, limiter.NumRequeues("a"));
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
