namespace Orchestrator.Actors.Domain;

/// <summary>
/// How the task lifecycle behaves: attempts, leases, retry backoff. Set from
/// <c>orchestrator.lifecycle</c> in hocon.conf.
/// </summary>
/// <param name="DefaultMaxAttempts">Claims a task gets before it is DEAD when its definition does not say.</param>
/// <param name="MaxAttemptsLimit">The largest maxAttempts a definition may ask for.</param>
/// <param name="DefaultLease">How long a claim lasts without a heartbeat when the claim does not say.</param>
/// <param name="MinLease">The shortest lease a claim or heartbeat may ask for.</param>
/// <param name="MaxLease">The longest lease a claim or heartbeat may ask for.</param>
/// <param name="RetryBase">The backoff after a failed first attempt; it doubles with each later attempt (an attempt whose lease expired counts too).</param>
/// <param name="RetryCap">The longest backoff before jitter.</param>
/// <param name="RetryJitter">Each backoff is stretched by a random share of up to this factor (0 for none).</param>
/// <param name="MaxDependencies">The most tasks one task may depend on.</param>
/// <param name="AgentSeenResolution">An idle agent's empty claims are journaled (to keep its last-seen time) at most this often.</param>
/// <param name="MaxDeadlinesPerDecision">The most deadlines one decision acts on; the rest follow in the next (set from max-batch-events).</param>
public sealed record LifecyclePolicy(
    int DefaultMaxAttempts = 3,
    int MaxAttemptsLimit = 1000,
    TimeSpan? DefaultLease = null,
    TimeSpan? MinLease = null,
    TimeSpan? MaxLease = null,
    TimeSpan? RetryBase = null,
    TimeSpan? RetryCap = null,
    double RetryJitter = 0.2,
    int MaxDependencies = 100,
    TimeSpan? AgentSeenResolution = null,
    int MaxDeadlinesPerDecision = 1000)
{
    /// <summary>30 s unless set.</summary>
    public TimeSpan Lease => DefaultLease ?? TimeSpan.FromSeconds(30);

    /// <summary>1 s unless set.</summary>
    public TimeSpan ShortestLease => MinLease ?? TimeSpan.FromSeconds(1);

    /// <summary>1 h unless set.</summary>
    public TimeSpan LongestLease => MaxLease ?? TimeSpan.FromHours(1);

    /// <summary>1 s unless set.</summary>
    public TimeSpan FirstRetryDelay => RetryBase ?? TimeSpan.FromSeconds(1);

    /// <summary>5 min unless set.</summary>
    public TimeSpan LongestRetryDelay => RetryCap ?? TimeSpan.FromMinutes(5);

    /// <summary>10 s unless set.</summary>
    public TimeSpan SeenResolution => AgentSeenResolution ?? TimeSpan.FromSeconds(10);

    /// <summary>The defaults.</summary>
    public static LifecyclePolicy Default { get; } = new();
}

/// <summary>What a decision may depend on besides the state and the command.</summary>
/// <param name="Now">The time of the decision; it goes into the events.</param>
/// <param name="Limits">Input limits.</param>
/// <param name="Policy">Lifecycle policy.</param>
/// <param name="Random">A number in [0, 1) for backoff jitter; the event records the outcome, so replay needs none.</param>
public sealed record DecisionContext(DateTimeOffset Now, DomainLimits Limits, LifecyclePolicy Policy, Func<double> Random)
{
    /// <summary>No jitter.</summary>
    public static double NoJitter() => 0;

    /// <summary>
    /// The secret part of each new claim id (the state manager's: 64 random bits as hex), so that a
    /// claim id cannot be guessed from another; null gives the bare <c>claim-N</c> (specs that read ids).
    /// The event records the id, so replay needs none.
    /// </summary>
    public Func<string>? ClaimSecret { get; init; }

    /// <summary>The id of claim number <paramref name="number"/>: <c>claim-N-SECRET</c>, or <c>claim-N</c> without <see cref="ClaimSecret"/>.</summary>
    public string ClaimId(long number) => ClaimSecret is { } secret ? $"claim-{number}-{secret()}" : $"claim-{number}";
}

/// <summary>
/// A command the state manager gives itself (its timer, its recovery), never a client: it decides
/// deadlines itself (none are acted on before it), is not traced as a request, is not bounded by
/// <c>max-pending-requests</c>, and is not handed on to the next incarnation.
/// </summary>
public interface IOwnCommand : Protocol.IStateManagerCommand;

/// <summary>
/// The state manager's own command to act on deadlines that have passed (expired leases, retries due).
/// Sent by its timer, never by clients.
/// </summary>
public sealed record ProcessDeadlines : Protocol.NamespacedRequest, IOwnCommand
{
    /// <summary>The single instance.</summary>
    public static readonly ProcessDeadlines Instance = new();
}

/// <summary>
/// The state manager's own command when it starts serving a namespace (after a restart, a crash or a
/// move to another node): every lease that ended while the namespace was not serving is given back,
/// running its full duration again from now, so that no lease runs out because the orchestrator was
/// down. Sent once after recovery, never by clients.
/// </summary>
public sealed record ResumeLeases : Protocol.NamespacedRequest, IOwnCommand
{
    /// <summary>The single instance.</summary>
    public static readonly ResumeLeases Instance = new();
}

/// <summary>
/// The state manager's own command to purge the finished tasks its retention no longer keeps; sent by
/// its periodic timer, never by clients. Does nothing without a retention. It looks at
/// <paramref name="Scan"/> tasks in definition order from the first defined at or after
/// <paramref name="FromOrdinal"/>: each sweep starts where the last one stopped
/// (<see cref="RetentionSwept.NextFrom"/>), so the look goes round every task, and old tasks still
/// running do not hide the finished ones behind them.
/// </summary>
/// <param name="FromOrdinal">Where in definition order to start (0: the oldest task).</param>
/// <param name="Scan">The most tasks to look at (<see cref="OrchestratorDomain.MaxRetentionScan"/>).</param>
public sealed record SweepRetention(long FromOrdinal = 0, int Scan = OrchestratorDomain.MaxRetentionScan) : Protocol.NamespacedRequest, IOwnCommand
{
    /// <summary>A sweep from the oldest task.</summary>
    public static readonly SweepRetention Instance = new();
}

/// <summary>The reply to <see cref="SweepRetention"/> (to the state manager itself): how many tasks were purged, and where the next sweep starts.</summary>
/// <param name="Count">Tasks purged.</param>
/// <param name="NextFrom">The ordinal the next sweep starts from (0: the oldest task again).</param>
public sealed record RetentionSwept(int Count, long NextFrom = 0) : Protocol.IOrchestratorReply;

/// <summary>The reply to <see cref="ResumeLeases"/> (nobody receives it): how many leases were given back.</summary>
public sealed record LeasesResumed(int Count) : Protocol.IOrchestratorReply;

/// <summary>The reply to <see cref="ProcessDeadlines"/> (nobody receives it): how many deadlines were acted on.</summary>
public sealed record DeadlinesProcessed(int Count) : Protocol.IOrchestratorReply;

/// <summary>
/// Claim ids: <c>claim-N-SECRET</c>, where only the claimer learns SECRET (from TaskAssigned). Views,
/// histories, notices and refusals show the public part <c>claim-N</c>, so that reading a task never
/// hands out what fences its claim.
/// </summary>
public static class ClaimIds
{
    /// <summary><c>claim-N</c> of <c>claim-N-SECRET</c>; any other id as it is.</summary>
    public static string Public(string claimId)
    {
        var second = claimId.StartsWith("claim-", StringComparison.Ordinal) ? claimId.IndexOf('-', "claim-".Length) : -1;
        return second > 0 ? claimId[..second] : claimId;
    }

    /// <summary>The claim with its id's public part only.</summary>
    public static Protocol.Replies.ClaimInfo? Public(Protocol.Replies.ClaimInfo? claim) =>
        claim is null ? null : claim with { ClaimId = Public(claim.ClaimId) };
}
