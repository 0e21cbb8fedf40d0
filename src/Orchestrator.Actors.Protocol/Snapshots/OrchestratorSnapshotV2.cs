using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Protocol.Snapshots;

/// <summary>
/// The whole state with the task lifecycle (manifest <c>snapshot.v2</c>). Snapshots written as
/// <see cref="OrchestratorSnapshotV1"/> still load: they are upcast to this format.
/// </summary>
/// <param name="FormatVersion">Always 2 for this record.</param>
/// <param name="NextOrdinal">The next task's place in definition order.</param>
/// <param name="NextClaim">The number of the next claim id.</param>
/// <param name="NextReadySeq">The next place in the READY queue (first come, first served within a priority).</param>
/// <param name="Tasks">Every task, in definition order.</param>
/// <param name="Documents">Every saved document at its current version.</param>
/// <param name="Agents">Every known agent, by name.</param>
public sealed record OrchestratorSnapshotV2(
    int FormatVersion,
    long NextOrdinal,
    long NextClaim,
    long NextReadySeq,
    IReadOnlyList<TaskSnapshotV2> Tasks,
    IReadOnlyList<StateSavedEvent> Documents,
    IReadOnlyList<AgentSnapshotV2> Agents) : IOrchestratorSnapshot
{
    /// <summary>The format version this record holds.</summary>
    public const int Version = 2;

    /// <summary>
    /// Events the journal held when this snapshot was taken (a batch counts as its events). Absent
    /// from snapshots written before event batches, where the snapshot's sequence number is that count.
    /// </summary>
    public long? EventsJournaled { get; init; }

    /// <summary>
    /// The idempotency keys remembered, oldest first (<see cref="RequestKeyed"/>). Absent from
    /// snapshots written before idempotency keys: none remembered.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<RequestKeyed>? RequestKeys { get; init; }

    /// <summary>The claim limits in force; absent when none is set, and from snapshots written before limits.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ClaimLimits? ClaimLimits { get; init; }

    /// <summary>The recurring schedules, by id, each with its next occurrence; absent when there are none, and from snapshots written before schedules.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ScheduleView>? Schedules { get; init; }

    /// <summary>How long finished tasks are kept; absent when for good, and from snapshots written before retention.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public TimeSpan? Retention { get; init; }

    /// <summary>While fairness is on: per agent queue, the turn each group was last served at; absent otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>? FairServed { get; init; }

    /// <summary>
    /// While rate limits are set: per rated tag, the time its claims are spaced from (each claim moves it
    /// on by 1/rate); absent otherwise, and from snapshots written before rate limits (every tag's burst whole).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, DateTimeOffset>? ClaimRateDue { get; init; }

    /// <summary>While fairness is on: the last turn given.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public long FairTurn { get; init; }

    /// <summary>How many finished tasks have been purged, all told; absent from snapshots written before purges.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public long Purged { get; init; }
}

/// <summary>One task in a <see cref="OrchestratorSnapshotV2"/>.</summary>
/// <param name="ReadySeq">Its place in the READY queue while READY.</param>
/// <param name="LastClaim">The claim that ended last (for telling an idempotent repeat from a stale message).</param>
/// <param name="LastClaimOutcome">How it ended: COMPLETED, FAILED, EXPIRED or CANCELLED.</param>
/// <param name="KilledBy">While DEAD because of a dependency: that dependency.</param>
/// <param name="Agent">The agent.</param>
/// <param name="Attempts">Claims it has had in this round.</param>
/// <param name="Claim">The current claim while CLAIMED.</param>
/// <param name="DefinedAt">When it was defined.</param>
/// <param name="DefinedBy">Who defined it.</param>
/// <param name="DependsOn">Tasks that must be COMPLETED first.</param>
/// <param name="History">Its transitions, oldest first.</param>
/// <param name="HistoryDropped">Older history entries dropped.</param>
/// <param name="MaxAttempts">Claims it gets before it is DEAD.</param>
/// <param name="Ordinal">Its place in definition order.</param>
/// <param name="Payload">JSON handed to the claiming agent.</param>
/// <param name="Priority">The task's priority.</param>
/// <param name="Reason">Why.</param>
/// <param name="Result">The result JSON once COMPLETED.</param>
/// <param name="RetryAt">While FAILED: when it becomes READY again.</param>
/// <param name="Status">The task's current status.</param>
/// <param name="TaskFile">Where the task's instructions live.</param>
/// <param name="TaskId">The task.</param>
/// <param name="UpdatedAt">The time of its last transition.</param>
public sealed record TaskSnapshotV2(
    string TaskId,
    string Agent,
    string TaskFile,
    TaskPriority Priority,
    TaskState Status,
    DateTimeOffset DefinedAt,
    long Ordinal,
    IReadOnlyList<string> DependsOn,
    int MaxAttempts,
    string? Payload,
    string? DefinedBy,
    int Attempts,
    ClaimInfo? Claim,
    DateTimeOffset? RetryAt,
    string? Result,
    string? Reason,
    string? KilledBy,
    DateTimeOffset UpdatedAt,
    long ReadySeq,
    ClaimInfo? LastClaim,
    ClaimOutcome? LastClaimOutcome,
    IReadOnlyList<TaskHistoryEntry> History,
    int HistoryDropped)
{
    /// <summary>Its tags; absent when it has none, and from snapshots written before tags.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>A scheduled task's time; absent when it is not scheduled.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>While PENDING with its dependencies COMPLETED: when its time comes (the deadline that makes it READY).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>The question its holder asked; absent when none.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Question { get; init; }

    /// <summary>While WAITING: when it fails without an answer; absent when the wait has no limit.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? AnswerBy { get; init; }

    /// <summary>The answer to its question, JSON; absent when none.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Input { get; init; }
}

/// <summary>
/// One agent in a <see cref="OrchestratorSnapshotV2"/>. The tally (<paramref name="Completed"/>,
/// <paramref name="Failed"/>, <paramref name="LeasesExpired"/>) is absent from snapshots written
/// before it was kept, and reads as 0 from them.
/// </summary>
public sealed record AgentSnapshotV2(string Agent, IReadOnlyList<string> Capabilities, bool Registered, DateTimeOffset? RegisteredAt, DateTimeOffset LastSeen,
    int Completed = 0, int Failed = 0, int LeasesExpired = 0);

/// <summary>
/// The first line of a <c>snapshot.v4</c> row: the compressed length of each chunk that follows
/// (see <c>ChunkedSnapshots</c>).
/// </summary>
/// <param name="Chunks">Bytes of chunk 0 (the record without its tasks), then of each chunk of tasks.</param>
public sealed record SnapshotChunkIndex(IReadOnlyList<int> Chunks);
