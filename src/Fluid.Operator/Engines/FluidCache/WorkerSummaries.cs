using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Operator.Naming;

namespace Fluid.Operator.Engines.FluidCache;

/// <summary>
/// What a worker answers on <c>GET http://&lt;pod-ip&gt;:7521/summary</c> (with <c>Authorization: Bearer &lt;token&gt;</c>).
/// Byte counts are totals since the worker started; ufsTotalBytes and fileCount describe the whole Dataset as the
/// worker last listed it (null until it has).
/// </summary>
public sealed record WorkerSummary
{
    [JsonPropertyName("cachedBytes")]
    public long CachedBytes { get; init; }

    [JsonPropertyName("capacityBytes")]
    public long CapacityBytes { get; init; }

    [JsonPropertyName("ufsTotalBytes")]
    public long? UfsTotalBytes { get; init; }

    [JsonPropertyName("fileCount")]
    public long? FileCount { get; init; }

    [JsonPropertyName("bytesServedFromCache")]
    public long BytesServedFromCache { get; init; }

    [JsonPropertyName("bytesReadFromSource")]
    public long BytesReadFromSource { get; init; }
}

/// <summary>The Dataset-level figures made from the workers' summaries.</summary>
/// <param name="CacheStates">cached, cacheCapacity, cachedPercentage, cacheHitRatio (Fluid's names and formats).</param>
/// <param name="UfsTotal">The Dataset's size in its sources, or null when no worker knows it yet.</param>
/// <param name="FileNum">The Dataset's file count, or null when no worker knows it yet.</param>
public sealed record CacheFigures(ValueMap<string> CacheStates, string? UfsTotal, string? FileNum)
{
    /// <summary>
    /// Sums the per-worker byte counts; takes the largest ufsTotalBytes and fileCount reported (every worker lists
    /// the same Dataset, so they agree once synced, and a worker that has not listed yet reports none).
    /// </summary>
    public static CacheFigures Aggregate(IReadOnlyCollection<WorkerSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        long cached = summaries.Sum(s => s.CachedBytes);
        long capacity = summaries.Sum(s => s.CapacityBytes);
        long fromCache = summaries.Sum(s => s.BytesServedFromCache);
        long fromSource = summaries.Sum(s => s.BytesReadFromSource);
        long? ufsTotal = summaries.Max(s => s.UfsTotalBytes);
        long? files = summaries.Max(s => s.FileCount);
        var states = ValueMap.Of(
            (CacheStateNames.Cached, Units.Bytes(cached)),
            (CacheStateNames.CacheCapacity, Units.Bytes(capacity)),
            (CacheStateNames.CachedPercentage, Units.Percent(cached, ufsTotal ?? 0)),
            (CacheStateNames.CacheHitRatio, Units.Percent(fromCache, fromCache + fromSource)));
        return new CacheFigures(states, ufsTotal is { } total ? Units.Bytes(total) : null, files?.ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>Reads the workers' summaries over HTTP; a worker that does not answer in time is left out.</summary>
public sealed class WorkerSummaryClient(HttpClient http, int port = Naming.RuntimeNames.HttpPort, TimeSpan? timeout = null)
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(3);

    /// <summary>The summaries of the workers at <paramref name="podIps"/> that answered.</summary>
    public async Task<IReadOnlyList<WorkerSummary>> ReadAsync(IEnumerable<string> podIps, string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(podIps);
        var reads = podIps.Select(ip => ReadOneAsync(ip, token, cancellationToken)).ToList();
        var results = await Task.WhenAll(reads);
        return [.. results.OfType<WorkerSummary>()];
    }

    private async Task<WorkerSummary?> ReadOneAsync(string podIp, string token, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var host = podIp.Contains(':', StringComparison.Ordinal) ? $"[{podIp}]" : podIp;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{host}:{port}{ContainerContract.SummaryPath}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            return await JsonSerializer.DeserializeAsync<WorkerSummary>(body, cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
