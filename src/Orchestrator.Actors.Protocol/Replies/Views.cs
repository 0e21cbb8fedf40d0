using System.Text.Json.Serialization;

namespace Orchestrator.Actors.Protocol.Replies;

/// <summary>A task as the state manager reports it. Equality compares <see cref="DependsOn"/> by its items.</summary>
/// <param name="DependsOn">Tasks that must be COMPLETED before this one is READY.</param>
/// <param name="MaxAttempts">Claims it gets before it is DEAD.</param>
/// <param name="Attempts">Claims it has had in this round (a requeue starts a new round).</param>
/// <param name="Claim">The current claim while CLAIMED.</param>
/// <param name="RetryAt">While FAILED: when it becomes READY again.</param>
/// <param name="Reason">Why it last failed, died or was cancelled.</param>
/// <param name="UpdatedAt">The time of its last transition.</param>
/// <param name="Agent">The agent.</param>
/// <param name="DefinedAt">When it was defined.</param>
/// <param name="Priority">The task's priority.</param>
/// <param name="Status">The task's current status.</param>
/// <param name="TaskFile">Where the task's instructions live.</param>
/// <param name="TaskId">The task.</param>
public sealed record TaskView(
    string TaskId,
    string Agent,
    string TaskFile,
    TaskPriority Priority,
    TaskState Status,
    DateTimeOffset DefinedAt,
    IReadOnlyList<string>? DependsOn = null,
    int MaxAttempts = 0,
    int Attempts = 0,
    ClaimInfo? Claim = null,
    DateTimeOffset? RetryAt = null,
    string? Reason = null,
    DateTimeOffset? UpdatedAt = null)
{
    /// <summary>Its tags, in the order first given; null when it has none (and left out of the JSON then).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>A scheduled task's time: not READY before it; null (and left out of the JSON) for a task that is not scheduled.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The question its holder asked (<see cref="Commands.RequestInput"/>), kept once answered; null when none was asked.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Question { get; init; }

    /// <summary>While WAITING: when it fails if no answer came; null when the wait has no limit.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? AnswerBy { get; init; }

    /// <inheritdoc />
    public bool Equals(TaskView? other) =>
        other is not null
        && TaskId == other.TaskId && Agent == other.Agent && TaskFile == other.TaskFile
        && Priority == other.Priority && Status == other.Status && DefinedAt == other.DefinedAt
        && (DependsOn ?? []).SequenceEqual(other.DependsOn ?? [])
        && MaxAttempts == other.MaxAttempts && Attempts == other.Attempts && Claim == other.Claim
        && RetryAt == other.RetryAt && Reason == other.Reason && UpdatedAt == other.UpdatedAt
        && (Tags ?? []).SequenceEqual(other.Tags ?? []) && NotBefore == other.NotBefore && Question == other.Question && AnswerBy == other.AnswerBy;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(TaskId, Status, Attempts, Claim, UpdatedAt);
}

/// <summary>A claim on a task: who holds it, which attempt it is, and until when its lease runs.</summary>
/// <param name="ClaimId">Unique across the state manager; messages about the task must carry it to be told from an older claim.</param>
/// <param name="LeaseDuration">How far each heartbeat extends the lease.</param>
/// <param name="Agent">The agent.</param>
/// <param name="Attempt">The attempt this claim is.</param>
/// <param name="ClaimedAt">When it was claimed.</param>
/// <param name="LeaseUntil">When the lease runs out without a heartbeat.</param>
public sealed record ClaimInfo(string ClaimId, string Agent, int Attempt, DateTimeOffset ClaimedAt, TimeSpan LeaseDuration, DateTimeOffset LeaseUntil);

/// <summary>One transition in a task's history.</summary>
/// <param name="Event">The journaled event's name without its version (<c>task-claimed</c>, <c>lease-expired</c>, …).</param>
/// <param name="From">The status before (null for the definition).</param>
/// <param name="To">The status after.</param>
/// <param name="At">When it happened.</param>
/// <param name="By">The agent that caused it, <c>orchestrator</c> for timers, the operator for cancel and requeue; null when not known (a DefineTask without <c>By</c>, or an event written before the lifecycle).</param>
/// <param name="ClaimId">The claim involved, if any.</param>
/// <param name="Detail">The failure reason, the dependency that died, and the like.</param>
public sealed record TaskHistoryEntry(string Event, TaskState? From, TaskState To, DateTimeOffset At, string? By, string? ClaimId = null, string? Detail = null);

/// <summary>An agent as the state manager knows it.</summary>
/// <param name="Registered">False for an agent only seen claiming, never registered.</param>
/// <param name="LastSeen">Its last journaled action: registration, claim, heartbeat, completion, failure, or an empty claim.</param>
/// <param name="ClaimsHeld">Tasks it holds a claim on now.</param>
/// <param name="Agent">The agent.</param>
/// <param name="Capabilities">What the agent can do.</param>
/// <param name="RegisteredAt">When it registered.</param>
/// <param name="Completed">Claims it completed.</param>
/// <param name="Failed">Claims it reported failed.</param>
/// <param name="LeasesExpired">Claims whose lease ran out while it held them.</param>
public sealed record AgentView(string Agent, IReadOnlyList<string> Capabilities, bool Registered, DateTimeOffset? RegisteredAt, DateTimeOffset LastSeen, int ClaimsHeld,
    int Completed = 0, int Failed = 0, int LeasesExpired = 0)
{
    /// <inheritdoc />
    public bool Equals(AgentView? other) =>
        other is not null && Agent == other.Agent && Capabilities.SequenceEqual(other.Capabilities)
        && Registered == other.Registered && RegisteredAt == other.RegisteredAt && LastSeen == other.LastSeen
        && ClaimsHeld == other.ClaimsHeld && Completed == other.Completed && Failed == other.Failed && LeasesExpired == other.LeasesExpired;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Agent, Registered, LastSeen, ClaimsHeld);
}

/// <summary>A recurring schedule (<see cref="Commands.DefineSchedule"/>) and what it has done.</summary>
/// <param name="ScheduleId">Its id; each occurrence's task is <c>{ScheduleId}:{yyyyMMddTHHmmssZ}</c>.</param>
/// <param name="Agent">The agent each task is for, or <c>*</c>.</param>
/// <param name="TaskFile">Each task's file.</param>
/// <param name="Priority">Each task's priority.</param>
/// <param name="Cron">Its cron expression, or null for an interval.</param>
/// <param name="TimeZone">The time zone of <paramref name="Cron"/> (null: UTC).</param>
/// <param name="Every">Its interval, or null for a cron expression.</param>
/// <param name="Start">An interval's first occurrence and anchor.</param>
/// <param name="CatchUp">one, all or none: what happens to missed occurrences.</param>
/// <param name="NextAt">Its next occurrence; null when none is left.</param>
/// <param name="DefinedAt">When it was (last) defined.</param>
/// <param name="By">Who defined it.</param>
public sealed record ScheduleView(string ScheduleId, string Agent, string TaskFile, TaskPriority Priority, string? Cron, string? TimeZone, TimeSpan? Every,
    DateTimeOffset? Start, string CatchUp, DateTimeOffset? NextAt, DateTimeOffset DefinedAt, string By)
{
    /// <summary>Each task's attempts; the namespace's default when null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxAttempts { get; init; }

    /// <summary>JSON handed to each task's claimer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Payload { get; init; }

    /// <summary>Each task's tags.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>The tasks it defined since it was (last) defined.</summary>
    public int Occurrences { get; init; }

    /// <summary>The occurrences it passed over (catch-up policy, or a task that could not be defined).</summary>
    public int Missed { get; init; }

    /// <summary>The time of the last occurrence it defined a task for.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? LastOccurrence { get; init; }

    /// <summary>Why an occurrence was last passed over, when one was for another reason than the catch-up policy.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Note { get; init; }

    /// <inheritdoc />
    public bool Equals(ScheduleView? other) =>
        other is not null && ScheduleId == other.ScheduleId && Agent == other.Agent && TaskFile == other.TaskFile && Priority == other.Priority
        && Cron == other.Cron && TimeZone == other.TimeZone && Every == other.Every && Start == other.Start && CatchUp == other.CatchUp
        && NextAt == other.NextAt && DefinedAt == other.DefinedAt && By == other.By && MaxAttempts == other.MaxAttempts && Payload == other.Payload
        && (Tags ?? []).SequenceEqual(other.Tags ?? []) && Occurrences == other.Occurrences && Missed == other.Missed
        && LastOccurrence == other.LastOccurrence && Note == other.Note;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ScheduleId, NextAt, Occurrences);
}

/// <summary>Names used in histories for causes that are not agents.</summary>
public static class Causes
{
    /// <summary>The state manager itself (lease expiry, retry timers).</summary>
    public const string Orchestrator = "orchestrator";

    /// <summary>The default for CancelTask and RequeueDeadTask without <c>By</c>.</summary>
    public const string Operator = "operator";
}
