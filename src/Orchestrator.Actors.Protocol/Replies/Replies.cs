using System.Text.Json.Serialization;

namespace Orchestrator.Actors.Protocol.Replies;

/// <summary>
/// The task is defined: either now (its event is journaled) or earlier with the identical definition
/// (<paramref name="AlreadyDefined"/> is true and nothing was written). Both are successes.
/// </summary>
public sealed record TaskDefinitionAccepted(TaskView Task, bool AlreadyDefined) : IOrchestratorReply;

/// <summary>The id exists with a different definition; nothing was written. Carries the existing task.</summary>
public sealed record TaskDefinitionConflict(string TaskId, TaskView Existing) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message =>
        $"task '{TaskId}' is already defined differently (agent '{Existing.Agent}', file '{Existing.TaskFile}', priority {ProtocolNames.Of(Existing.Priority)})";
}

/// <summary>
/// The answer to <see cref="Commands.DefineTasks"/>: one result per definition, in the order given.
/// The definitions that were <c>created</c> are journaled (in one write); the others wrote nothing.
/// </summary>
/// <param name="Results">One per definition of the batch, <see cref="TaskDefinitionResult.Index"/> 0 first.</param>
public sealed record TasksDefined(IReadOnlyList<TaskDefinitionResult> Results) : IOrchestratorReply
{
    /// <summary>How many definitions had <paramref name="outcome"/>.</summary>
    public int Count(DefinitionOutcome outcome) => Results.Count(r => r.Outcome == outcome);
}

/// <summary>What became of one definition of a <see cref="Commands.DefineTasks"/>.</summary>
/// <param name="Index">Its place in the batch, from 0.</param>
/// <param name="TaskId">Its task id as given; null when the definition or its id was null.</param>
/// <param name="Outcome">created, unchanged, conflict or invalid.</param>
/// <param name="Task">
/// For created and unchanged: the task as it is now defined (as <see cref="TaskDefinitionAccepted.Task"/>);
/// null on the results past <c>orchestrator.limits.max-reply-bytes</c> (read the task with GetTask).
/// </param>
/// <param name="Existing">
/// For conflict: the existing, different definition (as <see cref="TaskDefinitionConflict.Existing"/>);
/// null past the reply budget, as <paramref name="Task"/>.
/// </param>
/// <param name="Error">For invalid: the rejection, naming the field, the value and the rule.</param>
public sealed record TaskDefinitionResult(
    int Index,
    string? TaskId,
    DefinitionOutcome Outcome,
    TaskView? Task = null,
    TaskView? Existing = null,
    CommandRejected? Error = null);

/// <summary>A request was invalid; nothing was written. Names the field, the offending value and why.</summary>
/// <param name="Field">The field, as named in the protocol (camelCase).</param>
/// <param name="Value">The offending value, shortened to 100 characters.</param>
/// <param name="Reason">What the value must be.</param>
public sealed record CommandRejected(string Field, string? Value, string Reason) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message => Value is null ? $"invalid {Field}: {Reason}" : $"invalid {Field} '{Value}': {Reason}";
}

/// <summary>
/// The idempotency key was used, within the time keys are kept, for another request than this one;
/// nothing was done. A new request needs a new key (draft-ietf-httpapi-idempotency-key-header: 422).
/// </summary>
/// <param name="Key">The key (1-200 visible ASCII characters: a malformed key is a <see cref="CommandRejected"/>).</param>
/// <param name="UsedAt">When the request the key was used for was done.</param>
/// <param name="Request">The kind of this request (such as <c>ClaimTask</c>).</param>
public sealed record IdempotencyKeyReused(string Key, DateTimeOffset UsedAt, string Request) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message => $"idempotency key '{Key}' was used at {UsedAt:O} for another request than this {Request}; a new request needs a new key";
}

/// <summary>The document was saved; its event is journaled.</summary>
public sealed record StateSaved(string OwnerId, string Key, long Version) : IOrchestratorReply;

/// <summary>The expected version was not current; nothing was written. Version 0 means there is no document.</summary>
public sealed record StateVersionConflict(string OwnerId, string Key, long ExpectedVersion, long CurrentVersion) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message =>
        $"state '{OwnerId}/{Key}' is at version {CurrentVersion}, not the expected version {ExpectedVersion}";
}

/// <summary>A saved document.</summary>
public sealed record StateDocument(string OwnerId, string Key, string Json, long Version, DateTimeOffset SavedAt) : IOrchestratorReply;

/// <summary>No document is saved under (owner, key).</summary>
public sealed record StateNotFound(string OwnerId, string Key) : IOrchestratorReply;

/// <summary>What a bulk command did: the tasks it changed (in definition order), and whether more match than it took.</summary>
/// <param name="Count">How many tasks it changed.</param>
/// <param name="TaskIds">Their ids.</param>
/// <param name="More">True when more tasks match than its limit took: send it again.</param>
public sealed record TasksChanged(int Count, IReadOnlyList<string> TaskIds, bool More) : IOrchestratorReply;

/// <summary>The task, with its payload and, once COMPLETED, its result.</summary>
public sealed record TaskFound(TaskView Task, string? Payload = null, string? Result = null) : IOrchestratorReply
{
    /// <summary>The answer to its question (<see cref="Commands.ProvideInput"/>), JSON; null when none was given.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Input { get; init; }
}

/// <summary>No task has this id.</summary>
public sealed record TaskNotFound(string TaskId) : IOrchestratorReply;

/// <summary>
/// One page of a task listing, in definition order. A page holds fewer than <paramref name="Limit"/>
/// tasks before the end when the next one would take the reply past
/// <c>orchestrator.limits.max-reply-bytes</c>; <see cref="NextOffset"/> says where to go on.
/// </summary>
/// <param name="Tasks">The tasks of this page.</param>
/// <param name="Total">How many tasks match the filters in all.</param>
/// <param name="Offset">The offset of this page.</param>
/// <param name="Limit">The page size asked for.</param>
public sealed record TaskPage(IReadOnlyList<TaskView> Tasks, int Total, int Offset, int Limit) : IOrchestratorReply
{
    /// <summary>The offset of the next page; null when this page reaches the last match.</summary>
    [JsonIgnore]
    public int? NextOffset => Paging.Next(Offset, Tasks.Count, Total);
}

/// <summary>Counts and journal figures.</summary>
/// <param name="Tasks">Tasks defined.</param>
/// <param name="ByStatus">Tasks per status (every status is present, zero included).</param>
/// <param name="ByPriority">Tasks per priority (every priority is present, zero included).</param>
/// <param name="StateDocuments">Documents saved with SaveState.</param>
/// <param name="EventsJournaled">Events the journal holds for this state (a batch counts as its events).</param>
/// <param name="LastSnapshotSequenceNr">The journal sequence number the newest snapshot covers, 0 when there is none.</param>
/// <param name="Agents">Agents known (registered or seen claiming).</param>
/// <param name="OldestReadyAge">How long the task that has been READY longest has waited; null when none is READY.</param>
/// <param name="JournalSequenceNr">The sequence number of the last journal entry (one entry holds one event or a batch).</param>
public sealed record StatsReport(
    int Tasks,
    IReadOnlyDictionary<string, int> ByStatus,
    IReadOnlyDictionary<string, int> ByPriority,
    int StateDocuments,
    long EventsJournaled,
    long LastSnapshotSequenceNr,
    int Agents = 0,
    TimeSpan? OldestReadyAge = null,
    long JournalSequenceNr = 0) : IOrchestratorReply
{
    private readonly string _namespace = Namespaces.Default;

    /// <summary>The namespace these figures are of (<see cref="NamespacedRequest"/> says why null reads as the default).</summary>
    public string Namespace
    {
        get => _namespace;
        init => _namespace = value ?? Namespaces.Default;
    }

    /// <summary>How long finished tasks are kept before they are purged; null (left out of the JSON) when they are kept for good.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public TimeSpan? Retention { get; init; }

    /// <summary>How many finished tasks have been purged from the namespace (by PurgeTasks and the retention), all told.</summary>
    public long Purged { get; init; }

    /// <summary>How many recurring schedules the namespace holds (ListSchedules pages them).</summary>
    public int Schedules { get; init; }

    /// <summary>The claim limits in force; null (left out of the JSON) when none is set.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ClaimLimits? ClaimLimits { get; init; }
}

/// <summary>
/// The answer to <see cref="Queries.GetActivity"/>: one point per step over the last hour, oldest
/// first, the last one the step still running.
/// </summary>
/// <param name="Namespace">The namespace these figures are of.</param>
/// <param name="Since">When its state manager started on this node: nothing before it is known (the steps before read zero).</param>
/// <param name="StepSeconds">The length of each step.</param>
/// <param name="Points">The steps, oldest first.</param>
public sealed record ActivityReport(string Namespace, DateTimeOffset Since, int StepSeconds, IReadOnlyList<ActivityPoint> Points) : IOrchestratorReply
{
    /// <inheritdoc />
    public bool Equals(ActivityReport? other) =>
        other is not null && Namespace == other.Namespace && Since == other.Since && StepSeconds == other.StepSeconds && Points.SequenceEqual(other.Points);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Namespace, Since, StepSeconds, Points.Count);
}

/// <summary>What one step of an <see cref="ActivityReport"/> journaled.</summary>
/// <param name="At">The step's start.</param>
/// <param name="Defined">Tasks defined.</param>
/// <param name="Claimed">Claims handed out.</param>
/// <param name="Completed">Claims completed.</param>
/// <param name="Failed">Claims that failed: reported by their agent or their lease ran out.</param>
/// <param name="Writes">Journal writes confirmed.</param>
/// <param name="WriteMeanMs">Their mean latency, from handing a write to the journal to its confirmation (0 without writes).</param>
/// <param name="WriteMaxMs">The longest of them (0 without writes).</param>
public sealed record ActivityPoint(DateTimeOffset At, long Defined, long Claimed, long Completed, long Failed, long Writes, double WriteMeanMs, double WriteMaxMs);

/// <summary>
/// The state manager could not take the request now (restarting, shutting down, or a journal write
/// failed). Nothing was acknowledged. Retrying is safe: DefineTask is idempotent, and SaveState
/// with an expected version tells a lost write from a done one.
/// </summary>
public sealed record OrchestratorUnavailable(string Reason) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message => $"orchestrator unavailable, retry: {Reason}";
}

/// <summary>The state manager has stopped after answering everything in flight.</summary>
public sealed record ShutdownComplete : IOrchestratorReply
{
    /// <summary>The single instance.</summary>
    public static readonly ShutdownComplete Instance = new();
}

/// <summary>The agent now holds a claim on the task. Heartbeat before <paramref name="LeaseUntil"/> to keep it.</summary>
/// <param name="Task">The task, now CLAIMED.</param>
/// <param name="ClaimId">Pass it with Heartbeat, CompleteTask and FailTask.</param>
/// <param name="LeaseUntil">When the claim lapses without a heartbeat.</param>
/// <param name="Payload">The payload the task was defined with.</param>
public sealed record TaskAssigned(TaskView Task, string ClaimId, DateTimeOffset LeaseUntil, string? Payload) : IClaimReply
{
    /// <summary>The answer to the question an earlier claim asked (the question is <see cref="TaskView.Question"/>), JSON; null when none.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Input { get; init; }
}

/// <summary>The reply to a claim: <see cref="TaskAssigned"/>, or <see cref="NoTaskReady"/>.</summary>
public interface IClaimReply : IOrchestratorReply;

/// <summary>No task defined for the agent or for any agent is READY.</summary>
public sealed record NoTaskReady(string Agent) : IClaimReply
{
    /// <summary>When a claim limit held the claim back: which (and none is READY otherwise); null when nothing is READY for the agent.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Limited { get; init; }

    /// <summary>
    /// When a rate limit (<see cref="ClaimLimits.MaxClaimsPerSecondPerTag"/>) held a READY task back: the
    /// earliest time one such limit lets a claim through; null otherwise (a concurrency limit frees when a
    /// claim ends, at no time known in advance).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? LimitedUntil { get; init; }

    /// <summary>One line for people: the limit that held the claim back, when one did.</summary>
    [JsonIgnore]
    public string Message => Limited is null ? $"no task ready for agent '{Agent}'" : $"no task for agent '{Agent}': {Limited}";
}

/// <summary>The namespace's claim limits; a null limit is none.</summary>
/// <param name="MaxClaims">The most claims held at once in the namespace.</param>
/// <param name="MaxClaimsPerAgent">The most claims one agent holds at once.</param>
/// <param name="MaxClaimsPerTag">The most claims held at once per tag.</param>
public sealed record ClaimLimits(int? MaxClaims, int? MaxClaimsPerAgent, IReadOnlyDictionary<string, int> MaxClaimsPerTag)
{
    /// <summary>No limits.</summary>
    public static ClaimLimits None { get; } = new(null, null, new Dictionary<string, int>());

    /// <summary>The fairness tag prefix: within a priority, claims rotate across the groups of tasks sharing the first tag with it; null: first come, first served.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? FairBy { get; init; }

    /// <summary>
    /// The most claims per second of the tasks carrying each tag (fractions allowed: 0.5 is one claim
    /// every 2 s; 0 holds every claim back). A burst of up to the rate (at least one) goes at once, then
    /// claims are spaced by 1/rate; empty: no rate limit.
    /// </summary>
    public IReadOnlyDictionary<string, double> MaxClaimsPerSecondPerTag { get; init; } = new Dictionary<string, double>();

    /// <summary>True when no limit is set and claims are first come, first served.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsNone => MaxClaims is null && MaxClaimsPerAgent is null && MaxClaimsPerTag.Count == 0 && MaxClaimsPerSecondPerTag.Count == 0 && FairBy is null;
}

/// <summary>The claim limits now in force (<see cref="Commands.SetClaimLimits"/>).</summary>
public sealed record ClaimLimitsSet(ClaimLimits Limits) : IOrchestratorReply;

/// <summary>The heartbeat extended the lease.</summary>
public sealed record LeaseRenewed(string TaskId, string ClaimId, DateTimeOffset LeaseUntil) : IOrchestratorReply;

/// <summary>The task after a completion, failure, cancellation or requeue (journaled, or an identical repeat).</summary>
public sealed record TaskUpdated(TaskView Task) : IOrchestratorReply;

/// <summary>
/// The task is not in a state that allows the action; nothing was written. Names the current state.
/// </summary>
/// <param name="Action">heartbeat, complete, fail, cancel or requeue.</param>
/// <param name="Reason">Why.</param>
/// <param name="Status">The task's current status.</param>
/// <param name="TaskId">The task.</param>
public sealed record TransitionRejected(string TaskId, TaskState Status, string Action, string Reason) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message => $"cannot {Action} task '{TaskId}': it is {ProtocolNames.Of(Status)}; {Reason}";
}

/// <summary>
/// The message came from a claim that is no longer current (its lease expired, the task was
/// cancelled, or it was claimed again); nothing was written. Names the current state.
/// </summary>
public sealed record StaleClaim(string TaskId, string Agent, string? ClaimId, TaskState Status, string Reason) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message =>
        $"stale claim{(ClaimId is null ? "" : $" '{ClaimId}'")} of agent '{Agent}' on task '{TaskId}' (now {ProtocolNames.Of(Status)}): {Reason}";
}

/// <summary>The agent is registered.</summary>
public sealed record AgentRegistrationAccepted(AgentView Agent) : IOrchestratorReply;

/// <summary>The transitions of a task, oldest first.</summary>
/// <param name="Dropped">
/// Older entries not in the reply: dropped to bound memory (only the newest 200 are kept), or left
/// out so that the reply stays within <c>orchestrator.limits.max-reply-bytes</c>.
/// </param>
/// <param name="Entries">The transitions, oldest first.</param>
/// <param name="TaskId">The task.</param>
public sealed record TaskHistory(string TaskId, IReadOnlyList<TaskHistoryEntry> Entries, int Dropped) : IOrchestratorReply;

/// <summary>
/// One page of the known agents, by name. As a <see cref="TaskPage"/>, it holds fewer than
/// <paramref name="Limit"/> agents before the end when the next one would take the reply past
/// <c>orchestrator.limits.max-reply-bytes</c>; <see cref="NextOffset"/> says where to go on.
/// </summary>
/// <param name="Agents">The agents of this page.</param>
/// <param name="Total">How many agents are known in all (0 from a node older than paging, whose list held every agent).</param>
/// <param name="Offset">The offset of this page.</param>
/// <param name="Limit">The page size asked for.</param>
public sealed record AgentList(IReadOnlyList<AgentView> Agents, int Total = 0, int Offset = 0, int Limit = 0) : IOrchestratorReply
{
    /// <summary>The offset of the next page; null when this page reaches the last agent.</summary>
    [JsonIgnore]
    public int? NextOffset => Paging.Next(Offset, Agents.Count, Total);
}

/// <summary>Where a listing goes on.</summary>
public static class Paging
{
    /// <summary>
    /// The offset after a page of <paramref name="count"/> items at <paramref name="offset"/>; null
    /// when it reaches <paramref name="total"/>, or holds nothing (so that a loop over the pages
    /// always ends). Derived, not carried: a page from an older node says where to go on too.
    /// </summary>
    public static int? Next(int offset, int count, int total) => count > 0 && offset + count < total ? offset + count : null;
}

/// <summary>The schedule as defined now (<see cref="Commands.DefineSchedule"/>).</summary>
/// <param name="Schedule">The schedule, with its next occurrence.</param>
/// <param name="Unchanged">True when it was defined so already, and nothing was written.</param>
public sealed record ScheduleAccepted(ScheduleView Schedule, bool Unchanged) : IOrchestratorReply;

/// <summary>The schedule is removed (<see cref="Commands.RemoveSchedule"/>): no occurrence after this is defined.</summary>
public sealed record ScheduleRemoved(string ScheduleId) : IOrchestratorReply;

/// <summary>No schedule has this id.</summary>
public sealed record ScheduleNotFound(string ScheduleId) : IOrchestratorReply;

/// <summary>A page of schedules by id (<see cref="Queries.ListSchedules"/>).</summary>
/// <param name="Schedules">The schedules of this page.</param>
/// <param name="Total">How many schedules the namespace has.</param>
/// <param name="Offset">The offset of this page.</param>
/// <param name="Limit">The page size asked for.</param>
public sealed record ScheduleList(IReadOnlyList<ScheduleView> Schedules, int Total, int Offset, int Limit) : IOrchestratorReply
{
    /// <summary>The offset of the next page; null when this page reaches the last schedule.</summary>
    [JsonIgnore]
    public int? NextOffset => Paging.Next(Offset, Schedules.Count, Total);
}

/// <summary>The namespace's retention now (<see cref="Commands.SetRetention"/>): finished tasks are purged once finished for <paramref name="FinishedFor"/>; null: kept for good.</summary>
public sealed record RetentionSet(TimeSpan? FinishedFor) : IOrchestratorReply;
