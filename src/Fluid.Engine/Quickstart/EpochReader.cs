using System.Diagnostics;

namespace Fluid.Engine.Quickstart;

/// <summary>What one epoch read.</summary>
public sealed record EpochResult(long Files, long Bytes, TimeSpan Elapsed)
{
    public double BytesPerSecond => Elapsed.TotalSeconds > 0 ? Bytes / Elapsed.TotalSeconds : 0;

    public double FilesPerSecond => Elapsed.TotalSeconds > 0 ? Files / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Reads every file of a directory tree once, whole, in a shuffled order, with several readers — what a
/// training job's data loader does in one epoch. Readers are dedicated threads (their reads block in the
/// kernel, and the FUSE server of the same process must keep the thread pool for itself).
/// </summary>
public static class EpochReader
{
    /// <summary>Every file under <paramref name="root"/> (as <c>os.walk</c> would find them), sorted.</summary>
    public static IReadOnlyList<string> ListFiles(string root) =>
        [.. Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal)];

    public static async Task<EpochResult> ReadAsync(IReadOnlyList<string> files, int readers, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentOutOfRangeException.ThrowIfLessThan(readers, 1);
        var order = files.ToArray();
        new Random(seed).Shuffle(order);
        var next = -1;
        long bytes = 0;
        Exception? failure = null;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = readers;
        var watch = Stopwatch.StartNew();
        for (var r = 0; r < readers; r++)
        {
            var thread = new Thread(() =>
            {
                var buffer = new byte[1 << 20];
                try
                {
                    while (!cancellationToken.IsCancellationRequested && Volatile.Read(ref failure) is null)
                    {
                        var index = Interlocked.Increment(ref next);
                        if (index >= order.Length)
                        {
                            break;
                        }

                        using var handle = File.OpenHandle(order[index], FileMode.Open, FileAccess.Read);
                        long offset = 0;
                        int read;
                        while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
                        {
                            offset += read;
                        }

                        Interlocked.Add(ref bytes, offset);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Interlocked.CompareExchange(ref failure, ex, null);
                }
                finally
                {
                    if (Interlocked.Decrement(ref running) == 0)
                    {
                        done.TrySetResult();
                    }
                }
            })
            {
                IsBackground = true,
                Name = "epoch-reader-" + r,
            };
            thread.Start();
        }

        await done.Task.WaitAsync(cancellationToken);
        watch.Stop();
        cancellationToken.ThrowIfCancellationRequested(); // the readers may have seen it first and stopped early
        if (failure is not null)
        {
            throw new IOException("reading the mounted dataset failed: " + failure.Message, failure);
        }

        return new EpochResult(Math.Min(order.Length, Volatile.Read(ref next) + 1), Interlocked.Read(ref bytes), watch.Elapsed);
    }
}
