using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Fluid.Storage;

namespace Fluid.Cache.Tests.Sources;

/// <summary>How a <see cref="MemoryUnderFileSystem"/> behaves when it is "away".</summary>
public enum SourceOutage
{
    None,

    /// <summary>Every call fails at once with <see cref="UfsErrorKind.Unavailable"/>.</summary>
    Refuse,

    /// <summary>Every call hangs until cancelled (a network that drops packets).</summary>
    Hang,
}

/// <summary>
/// An in-memory under file system with fault injection (latency, failures, outages, gates) and
/// counters, standing in for the real connectors in cache tests and benchmarks.
/// </summary>
public sealed class MemoryUnderFileSystem : IUnderFileSystem
{
    private readonly ConcurrentDictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _readsByPath = new(StringComparer.Ordinal);
    private long _versionCounter;
    private long _reads;
    private long _bytesRead;
    private long _stats;
    private long _lists;
    private int _failNextReads;

    public MemoryUnderFileSystem(string displayName = "memory://test")
    {
        DisplayName = displayName;
    }

    public string DisplayName { get; }

    /// <summary>Added before every call.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Simulated bandwidth in bytes per second for reads; 0 is unlimited.</summary>
    public long BytesPerSecond { get; set; }

    public SourceOutage Outage { get; set; }

    /// <summary>When set, every read waits for the gate before it proceeds.</summary>
    public SemaphoreSlim? ReadGate { get; set; }

    public long Reads => Interlocked.Read(ref _reads);

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public long Stats => Interlocked.Read(ref _stats);

    public long Lists => Interlocked.Read(ref _lists);

    public long ReadsOf(string path) => _readsByPath.TryGetValue(path, out var n) ? n : 0;

    /// <summary>The next <paramref name="count"/> reads fail with <see cref="UfsErrorKind.Unavailable"/>.</summary>
    public void FailNextReads(int count) => Volatile.Write(ref _failNextReads, count);

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _reads, 0);
        Interlocked.Exchange(ref _bytesRead, 0);
        Interlocked.Exchange(ref _stats, 0);
        Interlocked.Exchange(ref _lists, 0);
        _readsByPath.Clear();
    }

    /// <summary>Creates or rewrites a file; a rewrite gets a new version.</summary>
    public void Write(string path, byte[] content)
    {
        var version = "v" + Interlocked.Increment(ref _versionCounter);
        _files[path] = new StoredFile(content, version, DateTimeOffset.UtcNow);
    }

    public byte[] Content(string path) => _files[path].Content;

    public bool Delete(string path) => _files.TryRemove(path, out _);

    public async Task<UfsEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _stats);
        await EnterAsync("stat", path, cancellationToken);
        if (_files.TryGetValue(path, out var file))
        {
            return new UfsEntry(path, false, file.Content.Length, file.Modified, file.Version);
        }

        if (path.Length == 0 || IsDirectory(path))
        {
            return new UfsEntry(path, true, 0, DateTimeOffset.UnixEpoch, "dir");
        }

        return null;
    }

    public async IAsyncEnumerable<UfsEntry> ListAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lists);
        await EnterAsync("list", path, cancellationToken);
        if (_files.ContainsKey(path))
        {
            throw new UfsException(UfsErrorKind.NotADirectory, DisplayName, path, "list", "not a directory");
        }

        var prefix = path.Length == 0 ? string.Empty : path + "/";
        var dirs = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, file) in _files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = name[prefix.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                dirs.Add(prefix + rest[..slash]);
                continue;
            }

            yield return new UfsEntry(name, false, file.Content.Length, file.Modified, file.Version);
        }

        foreach (var dir in dirs)
        {
            yield return new UfsEntry(dir, true, 0, DateTimeOffset.UnixEpoch, "dir");
        }
    }

    public async ValueTask<int> ReadAsync(UfsEntry file, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        _readsByPath.AddOrUpdate(file.Path, 1, static (_, n) => n + 1);
        if (ReadGate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
            gate.Release();
        }

        await EnterAsync("read", file.Path, cancellationToken);
        if (Interlocked.Decrement(ref _failNextReads) >= 0)
        {
            throw new UfsException(UfsErrorKind.Unavailable, DisplayName, file.Path, "read", "injected failure");
        }

        if (!_files.TryGetValue(file.Path, out var stored))
        {
            throw new UfsException(UfsErrorKind.NotFound, DisplayName, file.Path, "read", "no such file");
        }

        if (stored.Version != file.Version)
        {
            throw new UfsException(UfsErrorKind.VersionMismatch, DisplayName, file.Path, "read", $"version {file.Version} is gone (now {stored.Version})");
        }

        var count = (int)Math.Clamp(stored.Content.Length - offset, 0, buffer.Length);
        if (BytesPerSecond > 0 && count > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)count / BytesPerSecond), cancellationToken);
        }

        stored.Content.AsSpan((int)offset, count).CopyTo(buffer.Span);
        Interlocked.Add(ref _bytesRead, count);
        return count;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private bool IsDirectory(string path)
    {
        var prefix = path + "/";
        foreach (var name in _files.Keys)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private async Task EnterAsync(string operation, string path, CancellationToken cancellationToken)
    {
        switch (Outage)
        {
            case SourceOutage.Refuse:
                throw new UfsException(UfsErrorKind.Unavailable, DisplayName, path, operation, "connection refused");
            case SourceOutage.Hang:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
        }

        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency, cancellationToken);
        }
    }

    private sealed record StoredFile(byte[] Content, string Version, DateTimeOffset Modified);
}
