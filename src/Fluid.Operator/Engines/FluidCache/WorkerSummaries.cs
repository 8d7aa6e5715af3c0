using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fluid.Api.Datasets;
using Fluid.Api.Meta;
using Fluid.Cache.Cluster.Security;
using Fluid.Operator.Naming;

namespace Fluid.Operator.Engines.FluidCache;

/// <summary>
/// The fields the controller reads from a worker's <c>GET http://&lt;pod-ip&gt;:7521/summary</c> (the JSON of
/// <c>Fluid.Cache.Cluster.Worker.WorkerSummary</c>, sent with <c>Authorization: Bearer</c> and the credential derived
/// from the runtime's token and the dataset). Byte counts are totals since the worker started; <c>ufsTotal</c> and
/// <c>fileNum</c> describe the whole Dataset when a worker reports them (null otherwise).
/// </summary>
public sealed record WorkerSummary
{
    /// <summary>Bytes of pages the worker holds.</summary>
    [JsonPropertyName("cached")]
    public long Cached { get; init; }

    /// <summary>Sum of the worker's tier quotas.</summary>
    [JsonPropertyName("cacheCapacity")]
    public long CacheCapacity { get; init; }

    /// <summary>Bytes served from cached pages / all bytes read through the worker's cache, 0..1.</summary>
    [JsonPropertyName("cacheHitRatio")]
    public double CacheHitRatio { get; init; }

    /// <summary>Bytes read through the worker's cache (weighs its hit ratio).</summary>
    [JsonPropertyName("bytesRead")]
    public long BytesRead { get; init; }

    [JsonPropertyName("ufsTotal")]
    public long? UfsTotal { get; init; }

    [JsonPropertyName("fileNum")]
    public long? FileNum { get; init; }
}

/// <summary>The Dataset-level figures made from the workers' summaries.</summary>
/// <param name="CacheStates">cached, cacheCapacity, cachedPercentage, cacheHitRatio (Fluid's names and formats).</param>
/// <param name="UfsTotal">The Dataset's size in its sources, or null when no worker knows it yet.</param>
/// <param name="FileNum">The Dataset's file count, or null when no worker knows it yet.</param>
public sealed record CacheFigures(ValueMap<string> CacheStates, string? UfsTotal, string? FileNum)
{
    /// <summary>
    /// Sums cached bytes and capacity over the workers and weighs their hit ratios by the bytes read through each;
    /// takes the largest ufsTotal and fileNum reported (every worker lists the same Dataset, so they agree once
    /// synced, and a worker that has not listed reports none).
    /// </summary>
    public static CacheFigures Aggregate(IReadOnlyCollection<WorkerSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        long cached = summaries.Sum(s => s.Cached);
        long capacity = summaries.Sum(s => s.CacheCapacity);
        long read = summaries.Sum(s => Math.Max(0, s.BytesRead));
        long fromCache = (long)Math.Round(summaries.Sum(s => Math.Clamp(s.CacheHitRatio, 0, 1) * Math.Max(0, s.BytesRead)));
        long? ufsTotal = summaries.Max(s => s.UfsTotal);
        long? files = summaries.Max(s => s.FileNum);
        var states = ValueMap.Of(
            (CacheStateNames.Cached, Units.Bytes(cached)),
            (CacheStateNames.CacheCapacity, Units.Bytes(capacity)),
            (CacheStateNames.CachedPercentage, Units.Percent(cached, ufsTotal ?? 0)),
            (CacheStateNames.CacheHitRatio, Units.Percent(fromCache, read)));
        return new CacheFigures(states, ufsTotal is { } total ? Units.Bytes(total) : null, files?.ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>Reads the workers' summaries over HTTP; a worker that does not answer in time is left out.</summary>
public sealed class WorkerSummaryClient(HttpClient http, int port = Naming.RuntimeNames.HttpPort, TimeSpan? timeout = null)
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(3);

    /// <summary>
    /// The summaries of the workers at <paramref name="podIps"/> that answered. <paramref name="token"/> is the runtime's
    /// secret; requests carry the credential the workers derive from it and <paramref name="dataset"/> ("namespace/name").
    /// </summary>
    public async Task<IReadOnlyList<WorkerSummary>> ReadAsync(IEnumerable<string> podIps, string token, string dataset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(podIps);
        string authorization;
        try
        {
            authorization = ClusterToken.FromSecret(token, "the runtime's token secret").AuthorizationHeader(dataset);
        }
        catch (ArgumentException)
        {
            // A secret too short to be a worker token: no worker would accept anything derived from it.
            return [];
        }

        var reads = podIps.Select(ip => ReadOneAsync(ip, authorization, cancellationToken)).ToList();
        var results = await Task.WhenAll(reads);
        return [.. results.OfType<WorkerSummary>()];
    }

    private async Task<WorkerSummary?> ReadOneAsync(string podIp, string authorization, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var host = podIp.Contains(':', StringComparison.Ordinal) ? $"[{podIp}]" : podIp;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{host}:{port}{ContainerContract.SummaryPath}"));
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
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
