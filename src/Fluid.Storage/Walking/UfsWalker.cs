using System.Runtime.CompilerServices;

namespace Fluid.Storage.Walking;

/// <summary>Totals of a tree walk: bytes and files (Fluid's <c>ufsTotal</c> and <c>fileNum</c>) and directories.</summary>
public sealed record UfsTreeSummary(long TotalBytes, long FileCount, long DirectoryCount);

/// <summary>
/// Walks a tree of an under file system depth-first, streaming: only the paths of directories still
/// to visit are held, never the entries already seen, so a tree of millions of files walks in memory
/// proportional to its directories pending at one time.
/// </summary>
public static class UfsWalker
{
    private const int ProgressEvery = 1000;

    /// <summary>
    /// Streams every entry below <paramref name="path"/> (not the start itself); a file start yields
    /// just that file. Directories are yielded before their contents.
    /// </summary>
    /// <exception cref="UfsException">NotFound when <paramref name="path"/> does not exist, or any listing failure.</exception>
    public static async IAsyncEnumerable<UfsEntry> WalkAsync(IUnderFileSystem ufs, string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ufs);
        var start = await ufs.StatAsync(path, cancellationToken).ConfigureAwait(false)
            ?? throw new UfsException(UfsErrorKind.NotFound, ufs.DisplayName, path, "walk", "no such file or directory");
        if (!start.IsDirectory)
        {
            yield return start;
            yield break;
        }

        var pending = new Stack<string>();
        pending.Push(start.Path);
        while (pending.TryPop(out var directory))
        {
            await foreach (var entry in ufs.ListAsync(directory, cancellationToken).ConfigureAwait(false))
            {
                if (entry.IsDirectory)
                {
                    pending.Push(entry.Path);
                }

                yield return entry;
            }
        }
    }

    /// <summary>Counts the files and bytes below <paramref name="path"/>, reporting progress every 1,000 entries.</summary>
    public static async Task<UfsTreeSummary> SummarizeAsync(
        IUnderFileSystem ufs,
        string path,
        IProgress<UfsTreeSummary>? progress,
        CancellationToken cancellationToken)
    {
        long bytes = 0, files = 0, directories = 0, seen = 0;
        await foreach (var entry in WalkAsync(ufs, path, cancellationToken).ConfigureAwait(false))
        {
            if (entry.IsDirectory)
            {
                directories++;
            }
            else
            {
                files++;
                bytes += entry.Length;
            }

            if (progress is not null && ++seen % ProgressEvery == 0)
            {
                progress.Report(new UfsTreeSummary(bytes, files, directories));
            }
        }

        var summary = new UfsTreeSummary(bytes, files, directories);
        progress?.Report(summary);
        return summary;
    }
}
