using Fluid.Kubernetes.Diagnostics;
using Fluid.Kubernetes.Resources;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Kubernetes.LeaderElection;

/// <summary>Settings of a <see cref="LeaseElector"/>; the timing defaults are Kubernetes' usual 15 s / 10 s / 2 s.</summary>
public sealed record LeaderElectionOptions
{
    /// <summary>Namespace of the coordination.k8s.io/v1 Lease.</summary>
    public required string Namespace { get; init; }

    /// <summary>Name of the Lease.</summary>
    public required string LeaseName { get; init; }

    /// <summary>This replica's identity (for example the pod name); unique among candidates.</summary>
    public required string Identity { get; init; }

    /// <summary>How long others wait after the last renewal they saw before taking the lease.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps trying to renew before it gives up leadership; less than the lease duration.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time between acquire or renew attempts.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether a leader that stops clears the holder so another replica can take over at once.</summary>
    public bool ReleaseOnCancel { get; init; } = true;

    /// <summary>Every problem with these options, each naming its field; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Namespace))
        {
            problems.Add("namespace: required");
        }

        if (string.IsNullOrWhiteSpace(LeaseName))
        {
            problems.Add("leaseName: required");
        }

        if (string.IsNullOrWhiteSpace(Identity))
        {
            problems.Add("identity: required");
        }

        if (RetryPeriod <= TimeSpan.Zero)
        {
            problems.Add($"retryPeriod: must be positive (is {RetryPeriod})");
        }

        if (RenewDeadline <= RetryPeriod * LeaseElector.JitterFactor)
        {
            problems.Add($"renewDeadline: must exceed retryPeriod x {LeaseElector.JitterFactor} ({RenewDeadline} <= {RetryPeriod * LeaseElector.JitterFactor})");
        }

        if (LeaseDuration <= RenewDeadline)
        {
            problems.Add($"leaseDuration: must exceed renewDeadline ({LeaseDuration} <= {RenewDeadline})");
        }

        return problems;
    }
}

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease. <see cref="RunAsync"/> acquires the lease, runs the caller's
/// work with a token that is cancelled the moment leadership is lost (renewals failing past the renew deadline,
/// or another holder seen), and keeps competing until stopped. Other candidates take an unrenewed lease only
/// after <see cref="LeaderElectionOptions.LeaseDuration"/> of silence measured on their own clock, and the leader
/// gives up after <see cref="LeaderElectionOptions.RenewDeadline"/>, which is shorter, so two leaders never overlap
/// while clocks run at the same rate. Writes are conditional on the Lease's resourceVersion.
/// </summary>
/// <remarks>
/// KubernetesClient ships a LeaderElector; this one exists because that one (21.0.8), with every renewal failing,
/// kept reporting leadership well past its renew deadline when run against the test API server, does not
/// release the lease when stopped, and offers no leadership-scoped cancellation token (see docs/operator.md).
/// </remarks>
public sealed class LeaseElector
{
    internal const double JitterFactor = 1.2;

    private readonly IKubernetes _client;
    private readonly ILogger _logger;
    private readonly KubernetesMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly string _leaseId;
    private string? _observedVersion;
    private long _observedAt;
    private volatile string? _observedHolder;
    private volatile bool _isLeader;

    /// <summary>Creates an elector; throws <see cref="ArgumentException"/> listing every problem in <paramref name="options"/>.</summary>
    public LeaseElector(IKubernetes client, LeaderElectionOptions options, ILogger? logger = null, KubernetesMetrics? metrics = null, TimeProvider? time = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid leader election options: " + string.Join("; ", problems), nameof(options));
        }

        _logger = logger ?? NullLogger.Instance;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _leaseId = $"{options.Namespace}/{options.LeaseName}";
    }

    /// <summary>The options the elector runs with.</summary>
    public LeaderElectionOptions Options { get; }

    /// <summary>Whether this replica holds the lease now.</summary>
    public bool IsLeader => _isLeader;

    /// <summary>The holder this replica last saw on the Lease (null when none).</summary>
    public string? ObservedHolder => _observedHolder;

    /// <summary>
    /// Competes for the lease until <paramref name="cancellationToken"/> is cancelled. Each time it is won,
    /// <paramref name="whileLeading"/> runs with a token cancelled when leadership ends; when the work returns on its
    /// own the lease is released and this method returns. If the work throws, the lease is released and the
    /// exception propagates.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> whileLeading, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(whileLeading);
        using var tracking = _metrics?.TrackLeader(_leaseId, () => _isLeader);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await AcquireAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            SetLeader(true, null);
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var work = Task.Run(() => whileLeading(leading.Token), CancellationToken.None);
            var renewing = RenewUntilLostAsync(leading.Token);
            string? lost = null;
            if (await Task.WhenAny(work, renewing) == renewing)
            {
                lost = await renewing;
            }

            if (lost is not null)
            {
                // Stop the work before anything else: another replica may take the lease soon.
                SetLeader(false, lost);
            }

            await leading.CancelAsync();
            lost ??= await renewing;
            Exception? failure = null;
            try
            {
                await work;
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                // The work stopped because leadership ended.
            }
            catch (Exception e)
            {
                failure = e;
            }

            if (lost is null)
            {
                SetLeader(false, cancellationToken.IsCancellationRequested ? "stopping" : "work ended");
                if (Options.ReleaseOnCancel || !cancellationToken.IsCancellationRequested)
                {
                    await ReleaseAsync();
                }
            }

            if (failure is not null)
            {
                throw new InvalidOperationException($"the work run while leading {_leaseId} failed", failure);
            }

            if (lost is null)
            {
                return;
            }
        }
    }

    private async Task AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (await TryAcquireOrRenewAsync(cancellationToken) == Attempt.Held)
                {
                    return;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.LeaseAttemptFailed(_logger, e, _leaseId);
            }

            var jittered = Options.RetryPeriod * (1 + ((JitterFactor - 1) * Random.Shared.NextDouble()));
            await Task.Delay(jittered, _time, cancellationToken);
        }
    }

    /// <summary>Renews every retry period; returns why leadership was lost, or null when <paramref name="leading"/> ended it.</summary>
    private async Task<string?> RenewUntilLostAsync(CancellationToken leading)
    {
        long lastRenewal = _time.GetTimestamp();
        while (true)
        {
            try
            {
                await Task.Delay(Options.RetryPeriod, _time, leading);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            var remaining = Options.RenewDeadline - _time.GetElapsedTime(lastRenewal);
            if (remaining <= TimeSpan.Zero)
            {
                return "renew deadline passed";
            }

            long attemptStarted = _time.GetTimestamp();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(leading);
            attempt.CancelAfter(remaining);
            try
            {
                switch (await TryAcquireOrRenewAsync(attempt.Token))
                {
                    case Attempt.Held:
                        lastRenewal = attemptStarted;
                        break;
                    case Attempt.HeldByOther:
                        return $"lease held by {_observedHolder}";
                }
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                return null;
            }
            catch (OperationCanceledException)
            {
                return "renew deadline passed";
            }
            catch (Exception e)
            {
                Log.LeaseAttemptFailed(_logger, e, _leaseId);
            }
        }
    }

    private async Task<Attempt> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var api = _client.CoordinationV1;
        V1Lease lease;
        try
        {
            lease = await api.ReadNamespacedLeaseAsync(Options.LeaseName, Options.Namespace, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e.IsNotFound())
        {
            var created = new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = Options.LeaseName, NamespaceProperty = Options.Namespace },
                Spec = NewSpec(now, acquireTime: now, transitions: 0),
            };
            try
            {
                created = await api.CreateNamespacedLeaseAsync(created, Options.Namespace, cancellationToken: cancellationToken);
                Observe(created);
                return Attempt.Held;
            }
            catch (Exception conflict) when (conflict.IsConflict())
            {
                // Another candidate created it first.
                return Attempt.Failed;
            }
        }

        Observe(lease);
        var spec = lease.Spec ?? new V1LeaseSpec();
        bool ours = spec.HolderIdentity == Options.Identity;
        if (!string.IsNullOrEmpty(spec.HolderIdentity) && !ours)
        {
            // Judge expiry by how long this replica has seen the record unchanged, not by the holder's clock.
            var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? (int)Options.LeaseDuration.TotalSeconds);
            if (_time.GetElapsedTime(Volatile.Read(ref _observedAt)) < duration)
            {
                return Attempt.HeldByOther;
            }
        }

        int transitions = spec.LeaseTransitions ?? 0;
        lease.Spec = ours
            ? NewSpec(now, spec.AcquireTime ?? now, transitions)
            : NewSpec(now, now, transitions + 1);
        try
        {
            var updated = await api.ReplaceNamespacedLeaseAsync(lease, Options.LeaseName, Options.Namespace, cancellationToken: cancellationToken);
            Observe(updated);
            return Attempt.Held;
        }
        catch (Exception e) when (e.IsConflict())
        {
            // Someone wrote the lease since we read it; the next attempt reads it again.
            return Attempt.Failed;
        }
    }

    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(Options.RenewDeadline);
        try
        {
            var api = _client.CoordinationV1;
            var lease = await api.ReadNamespacedLeaseAsync(Options.LeaseName, Options.Namespace, cancellationToken: timeout.Token);
            if (lease.Spec?.HolderIdentity != Options.Identity)
            {
                return;
            }

            var now = _time.GetUtcNow().UtcDateTime;
            lease.Spec = new V1LeaseSpec
            {
                HolderIdentity = null,
                LeaseDurationSeconds = 1,
                AcquireTime = now,
                RenewTime = now,
                LeaseTransitions = lease.Spec.LeaseTransitions,
            };
            await api.ReplaceNamespacedLeaseAsync(lease, Options.LeaseName, Options.Namespace, cancellationToken: timeout.Token);
            Log.LeaseReleased(_logger, _leaseId, Options.Identity);
        }
        catch (Exception e)
        {
            // Not fatal: the lease then expires after its duration.
            Log.LeaseAttemptFailed(_logger, e, _leaseId);
        }
    }

    private V1LeaseSpec NewSpec(DateTime now, DateTime acquireTime, int transitions) => new()
    {
        HolderIdentity = Options.Identity,
        LeaseDurationSeconds = (int)Math.Ceiling(Options.LeaseDuration.TotalSeconds),
        AcquireTime = acquireTime,
        RenewTime = now,
        LeaseTransitions = transitions,
    };

    private void Observe(V1Lease lease)
    {
        string? version = lease.Metadata?.ResourceVersion;
        if (version != _observedVersion)
        {
            _observedVersion = version;
            Volatile.Write(ref _observedAt, _time.GetTimestamp());
        }

        string? holder = lease.Spec?.HolderIdentity;
        if (holder != _observedHolder)
        {
            _observedHolder = holder;
            Log.LeaseHeldBy(_logger, _leaseId, holder);
        }
    }

    private void SetLeader(bool leading, string? why)
    {
        if (_isLeader == leading)
        {
            return;
        }

        _isLeader = leading;
        _metrics?.LeaderTransitions.Add(1, new("lease", _leaseId), new("change", leading ? "acquired" : "lost"));
        if (leading)
        {
            Log.LeadershipAcquired(_logger, _leaseId, Options.Identity);
        }
        else
        {
            Log.LeadershipLost(_logger, _leaseId, Options.Identity, why ?? "");
        }
    }

    private enum Attempt
    {
        Held,
        HeldByOther,
        Failed,
    }
}
