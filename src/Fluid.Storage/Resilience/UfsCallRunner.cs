using System.Globalization;
using Fluid.Storage.Mounts;
using Microsoft.Extensions.Logging;

namespace Fluid.Storage.Resilience;

/// <summary>
/// Runs one under file system call with a per-attempt timeout and bounded retries with backoff,
/// and turns every failure into a <see cref="UfsException"/> naming the mount, path and operation
/// with credentials scrubbed. NotFound, VersionMismatch and other definite answers are never retried.
/// </summary>
internal sealed class UfsCallRunner
{
    private readonly SecretRedactor _redactor;
    private readonly ILogger _logger;
    private readonly Func<Exception, UfsAttemptException?> _classify;

    /// <param name="mountLabel">How errors name the mount, e.g. <c>mount "data" (s3://bucket/x)</c>.</param>
    /// <param name="classify">Maps a connector's own exceptions (SDK, socket, HTTP) to a failure; null = unknown, not retried.</param>
    public UfsCallRunner(string mountLabel, UfsCallPolicy policy, SecretRedactor redactor, ILogger logger, Func<Exception, UfsAttemptException?> classify)
    {
        MountLabel = mountLabel;
        Policy = policy;
        _redactor = redactor;
        _logger = logger;
        _classify = classify;
    }

    public string MountLabel { get; }

    public UfsCallPolicy Policy { get; }

    public SecretRedactor Redactor => _redactor;

    /// <summary>Formats a duration for messages ("5 s", "250 ms").</summary>
    public static string Describe(TimeSpan duration) =>
        duration.TotalSeconds >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.###} s")
            : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0} ms");

    /// <summary>Creates the exception callers see, with secrets scrubbed from the detail and the inner chain.</summary>
    public UfsException Error(UfsErrorKind kind, string operation, string path, string detail, Exception? inner = null) =>
        new(kind, MountLabel, path, operation, _redactor.Scrub(detail), _redactor.SafeInner(inner));

    /// <summary>Throws <see cref="UfsErrorKind.InvalidPath"/> for a path that could leave the mount (see <see cref="UfsPath.Validate"/>).</summary>
    public void ThrowIfInvalid(string path, string operation)
    {
        if (UfsPath.Validate(path) is { } problem)
        {
            throw Error(UfsErrorKind.InvalidPath, operation, path ?? string.Empty, problem);
        }
    }

    /// <summary>
    /// The part of <see cref="IUnderFileSystem.ReadAsync"/> every remote connector shares: checks the entry, answers
    /// reads at or past the end with 0, clamps the buffer to the file, and runs <paramref name="read"/> with retries.
    /// </summary>
    public ValueTask<int> ReadAsync<TOwner>(
        TOwner owner,
        UfsEntry file,
        long offset,
        Memory<byte> buffer,
        Func<TOwner, UfsEntry, long, Memory<byte>, CancellationToken, Task<int>> read,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ThrowIfInvalid(file.Path, "read");
        if (file.IsDirectory)
        {
            throw Error(UfsErrorKind.IsADirectory, "read", file.Path, "is a directory");
        }

        if (offset >= file.Length || buffer.Length == 0)
        {
            return ValueTask.FromResult(0);
        }

        var count = (int)Math.Min(buffer.Length, file.Length - offset);
        return new ValueTask<int>(RunAsync(
            "read",
            file.Path,
            (Owner: owner, File: file, Offset: offset, Buffer: buffer[..count], Read: read),
            static (s, token) => s.Read(s.Owner, s.File, s.Offset, s.Buffer, token),
            cancellationToken));
    }

    /// <summary>Runs <paramref name="call"/> until it succeeds, fails definitely, or the retries are spent.</summary>
    public async Task<T> RunAsync<TState, T>(
        string operation,
        string path,
        TState state,
        Func<TState, CancellationToken, Task<T>> call,
        CancellationToken cancellationToken)
    {
        var attempts = Policy.Retries + 1;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            UfsAttemptException failure;
            using (var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptCts.CancelAfter(Policy.Timeout);
                try
                {
                    return await call(state, attemptCts.Token).ConfigureAwait(false);
                }
                catch (UfsException)
                {
                    throw;
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    throw;
                }
                catch (Exception ex) when (attemptCts.IsCancellationRequested || ex is TimeoutException || IsClientTimeout(ex))
                {
                    failure = new UfsAttemptException(UfsErrorKind.Timeout, $"no answer within {Describe(Policy.Timeout)}", transient: true, ex);
                }
                catch (UfsAttemptException ex)
                {
                    failure = ex;
                }
                catch (Exception ex)
                {
                    failure = _classify(ex) ?? new UfsAttemptException(UfsErrorKind.Unavailable, ex.Message, transient: false, ex);
                }
            }

            var inner = failure.InnerException ?? failure;
            if (!failure.Transient || attempt >= attempts)
            {
                var detail = failure.Transient && attempt > 1 ? $"{failure.Message} (gave up after {attempt} attempts)" : failure.Message;
                throw Error(failure.Kind, operation, path, detail, inner);
            }

            var delay = Policy.BackoffFor(attempt);
            StorageLog.RetryingCall(_logger, MountLabel, operation, path, attempt, attempts, (long)delay.TotalMilliseconds, _redactor.Scrub(failure.Message));
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    // HttpClient and the AWS SDK report their own timeouts as a TaskCanceledException wrapping a TimeoutException.
    private static bool IsClientTimeout(Exception ex) =>
        ex is TaskCanceledException { InnerException: TimeoutException };
}
