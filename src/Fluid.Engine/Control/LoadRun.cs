using System.Threading.Channels;
using Fluid.Cache;
using Fluid.Engine.Hosting;

namespace Fluid.Engine.Control;

/// <summary>
/// A load running on an <see cref="EngineHost"/> with its progress handed over as the latest states (older ones are
/// dropped while the reader lags): what the control socket streams and what the daemonless <c>fluid load</c> shows.
/// </summary>
public sealed class LoadRun
{
    private LoadRun(ChannelReader<LoadProgress> updates, Task<LoadSummary> completion)
    {
        Updates = updates;
        Completion = completion;
    }

    /// <summary>Progress states; the reader completes when the load has ended.</summary>
    public ChannelReader<LoadProgress> Updates { get; }

    /// <summary>The load's summary, or its failure.</summary>
    public Task<LoadSummary> Completion { get; }

    /// <summary>Starts loading <paramref name="replicas"/> copies of <paramref name="paths"/>; cancelling <paramref name="cancellationToken"/> cancels the load.</summary>
    public static LoadRun Start(EngineHost host, IReadOnlyList<string> paths, int replicas, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var updates = Channel.CreateBounded<LoadProgress>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        var load = host.LoadAsync(paths, replicas, new Latest(updates.Writer), cancellationToken);
        _ = load.ContinueWith(_ => updates.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new LoadRun(updates.Reader, load);
    }

    private sealed class Latest(ChannelWriter<LoadProgress> writer) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value) => writer.TryWrite(value);
    }
}
