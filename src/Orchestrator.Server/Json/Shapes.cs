using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Server.Json;

/// <summary>
/// The replies as the doors (HTTP, MCP) show them in JSON: camelCase, the protocol's own names,
/// enums upper-case, and the documents the protocol carries as strings of JSON (payload, result)
/// embedded as JSON values. Written here once; a door only picks the shape for its reply.
/// </summary>
public static class Shapes
{
    /// <summary>The task object.</summary>
    public static TaskShape Task(TaskView task) => new(task);

    /// <summary>The task object with its payload and result (GetTask).</summary>
    public static TaskDetailShape Detail(TaskFound found) => new(found);

    /// <summary>The task object with the claim's id, its lease and the payload (ClaimTask).</summary>
    public static ClaimedTaskShape Claimed(TaskAssigned assigned) => new(assigned);

    /// <summary>A page of task objects.</summary>
    public static BatchShape Batch(TasksDefined defined) => new(
        [.. defined.Results.Select(r => new BatchItemShape(r.Index, r.TaskId, r.Outcome,
            r.Task is null ? null : Task(r.Task), r.Existing is null ? null : Task(r.Existing), r.Error))],
        defined.Count(DefinitionOutcome.Created), defined.Count(DefinitionOutcome.Unchanged),
        defined.Count(DefinitionOutcome.Conflict), defined.Count(DefinitionOutcome.Invalid));

    /// <summary>A page of tasks.</summary>
    public static TaskListShape List(TaskPage page) => new([.. page.Tasks.Select(Task)], page.Total, page.Offset, page.Limit, page.NextOffset);

    /// <summary>A page of agents.</summary>
    public static AgentListShape Agents(AgentList page) => new(page.Agents, page.Total, page.Offset, page.Limit, page.NextOffset);

    /// <summary>A schedule as defined now (DefineSchedule).</summary>
    public static ScheduleAcceptedShape Accepted(ScheduleAccepted accepted) => new(new ScheduleShape(accepted.Schedule), accepted.Unchanged);

    /// <summary>A page of schedules.</summary>
    public static ScheduleListShape Schedules(ScheduleList page) =>
        new([.. page.Schedules.Select(s => new ScheduleShape(s))], page.Total, page.Offset, page.Limit, page.NextOffset);

    /// <summary>A document the protocol carries as text, as a JSON value; null stays null.</summary>
    public static JsonElement? Document(string? json)
    {
        if (json is null) return null;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>A JSON value as the text the protocol carries; null stays null.</summary>
    public static string? DocumentText(JsonElement? value) => value?.GetRawText();
}

/// <summary>
/// A task: <c>taskId, agent, taskFile, priority, status, definedAt, dependsOn, maxAttempts,
/// attempts, claim, retryAt, reason, updatedAt</c> (the protocol's <see cref="TaskView"/>, with
/// <c>dependsOn</c> always a list).
/// </summary>
public class TaskShape(TaskView task)
{
    /// <summary>The task's id.</summary>
    public string TaskId { get; } = task.TaskId;

    /// <summary>The agent it is defined for, <c>*</c> for any.</summary>
    public string Agent { get; } = task.Agent;

    /// <summary>Where its instructions live.</summary>
    public string TaskFile { get; } = task.TaskFile;

    /// <summary>CRITICAL, HIGH, MEDIUM or LOW.</summary>
    public TaskPriority Priority { get; } = task.Priority;

    /// <summary>PENDING, READY, CLAIMED, WAITING, COMPLETED, FAILED, DEAD or CANCELLED.</summary>
    public TaskState Status { get; } = task.Status;

    /// <summary>When it was defined.</summary>
    public DateTimeOffset DefinedAt { get; } = task.DefinedAt;

    /// <summary>Tasks that must be COMPLETED before it is READY.</summary>
    public IReadOnlyList<string> DependsOn { get; } = task.DependsOn ?? [];

    /// <summary>Claims it gets before it is DEAD.</summary>
    public int MaxAttempts { get; } = task.MaxAttempts;

    /// <summary>Claims it has had in this round.</summary>
    public int Attempts { get; } = task.Attempts;

    /// <summary>The current claim while CLAIMED (its leaseDuration as hh:mm:ss).</summary>
    public ClaimInfo? Claim { get; } = task.Claim;

    /// <summary>While FAILED: when it is READY again.</summary>
    public DateTimeOffset? RetryAt { get; } = task.RetryAt;

    /// <summary>Why it last failed, died or was cancelled.</summary>
    public string? Reason { get; } = task.Reason;

    /// <summary>The time of its last transition.</summary>
    public DateTimeOffset? UpdatedAt { get; } = task.UpdatedAt;

    /// <summary>Its tags, in the order first given (empty when it has none).</summary>
    public IReadOnlyList<string> Tags { get; } = task.Tags ?? [];

    /// <summary>A scheduled task's time: not READY before it (null when it is not scheduled).</summary>
    public DateTimeOffset? NotBefore { get; } = task.NotBefore;

    /// <summary>The question a holder asked (request-input), kept once answered; null when none was asked.</summary>
    public string? Question { get; } = task.Question;

    /// <summary>While WAITING: when it fails if no answer came (null: no limit).</summary>
    public DateTimeOffset? AnswerBy { get; } = task.AnswerBy;
}

/// <summary>A task with its payload and, once COMPLETED, its result (JSON values, or null).</summary>
public sealed class TaskDetailShape(TaskFound found) : TaskShape(found.Task)
{
    /// <summary>The payload it was defined with.</summary>
    [JsonPropertyOrder(1)]
    public JsonElement? Payload { get; } = Shapes.Document(found.Payload);

    /// <summary>The result it was completed with.</summary>
    [JsonPropertyOrder(1)]
    public JsonElement? Result { get; } = Shapes.Document(found.Result);

    /// <summary>The answer to its question (provide-input).</summary>
    [JsonPropertyOrder(1)]
    public JsonElement? Input { get; } = Shapes.Document(found.Input);
}

/// <summary>A task just claimed, with the claim's id, when its lease runs out and the payload.</summary>
public sealed class ClaimedTaskShape(TaskAssigned assigned) : TaskShape(assigned.Task)
{
    /// <summary>Pass it with heartbeat, complete and fail.</summary>
    [JsonPropertyOrder(1)]
    public string ClaimId { get; } = assigned.ClaimId;

    /// <summary>When the claim lapses without a heartbeat.</summary>
    [JsonPropertyOrder(1)]
    public DateTimeOffset LeaseUntil { get; } = assigned.LeaseUntil;

    /// <summary>The payload the task was defined with.</summary>
    [JsonPropertyOrder(1)]
    public JsonElement? Payload { get; } = Shapes.Document(assigned.Payload);

    /// <summary>The answer to the question an earlier claim asked (the question is <c>question</c>); null when none.</summary>
    [JsonPropertyOrder(1)]
    public JsonElement? Input { get; } = Shapes.Document(assigned.Input);
}

/// <summary>
/// A page of tasks in definition order. It holds fewer than <paramref name="Limit"/> before the end
/// when the next task would take the reply past the server's reply size limit.
/// </summary>
/// <param name="Tasks">The tasks of this page.</param>
/// <param name="Total">How many match the filters in all.</param>
/// <param name="Offset">The offset of this page.</param>
/// <param name="Limit">The page size asked for.</param>
/// <param name="NextOffset">The offset of the next page; null on the last one.</param>
public sealed record TaskListShape(IReadOnlyList<TaskShape> Tasks, int Total, int Offset, int Limit, int? NextOffset);

/// <summary>
/// A page of agents by name. It holds fewer than <paramref name="Limit"/> before the end when the
/// next agent would take the reply past the server's reply size limit.
/// </summary>
/// <param name="Agents">The agents of this page.</param>
/// <param name="Total">How many agents are known in all.</param>
/// <param name="Offset">The offset of this page.</param>
/// <param name="Limit">The page size asked for.</param>
/// <param name="NextOffset">The offset of the next page; null on the last one.</param>
public sealed record AgentListShape(IReadOnlyList<AgentView> Agents, int Total, int Offset, int Limit, int? NextOffset);

/// <summary>What an event stream's <c>reset</c> event carries: why the missed notices cannot be replayed.</summary>
/// <param name="Reason">Why (buffer overrun, another server start, an interrupted feed).</param>
public sealed record ResetShape(string Reason);

/// <summary>The data of an event stream's <c>subscription-ended</c> event: the namespace whose notices stopped, and why.</summary>
public sealed record SubscriptionEndedShape(string Namespace, string Reason);

/// <summary>What a digest event stream's <c>digest</c> event carries: how many transitions happened since the last one.</summary>
/// <param name="Transitions">The transitions (matching the stream's filters) this digest stands for; its id is the last one's.</param>
public sealed record DigestShape(int Transitions);

/// <summary>The answer of POST .../tasks:batch: one result per item, in the order given, and the counts.</summary>
public sealed record BatchShape(IReadOnlyList<BatchItemShape> Results, int Created, int Unchanged, int Conflicts, int Invalid);

/// <summary>One item's outcome: <c>task</c> for created and unchanged, <c>existing</c> for conflict, <c>error</c> for invalid.</summary>
public sealed record BatchItemShape(int Index, string? TaskId, DefinitionOutcome Outcome, TaskShape? Task, TaskShape? Existing, CommandRejected? Error);

/// <summary>What a definition did: <c>created</c> false for the identical definition again (nothing written), and the task.</summary>
public sealed record DefinedShape(bool Created, TaskShape Task);

/// <summary>
/// A claim's outcome: <c>claimed</c> false (and no task) when none was READY for the agent; then
/// <c>limited</c> names the claim limit that held it back, if one did, and <c>limitedUntil</c> when a
/// rate limit lets a claim through.
/// </summary>
public sealed record ClaimShape(bool Claimed, ClaimedTaskShape? Task)
{
    /// <summary>The claim limit that held the claim back; absent when none did.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Limited { get; init; }

    /// <summary>When the rate limit that held the claim back lets one through; absent otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? LimitedUntil { get; init; }
}

/// <summary>A saved document with its version and the time it was saved; <c>value</c> is the document as JSON.</summary>
public sealed record StateShape(string OwnerId, string Key, long Version, DateTimeOffset SavedAt, JsonElement? Value)
{
    /// <summary>The shape of the protocol's reply.</summary>
    public static StateShape Of(StateDocument document) =>
        new(document.OwnerId, document.Key, document.Version, document.SavedAt, Shapes.Document(document.Json));
}

/// <summary>
/// A recurring schedule: its definition (<c>every</c> as a duration such as <c>15m</c>, <c>payload</c>
/// as JSON), its next occurrence, and what it has done since it was (last) defined.
/// </summary>
public sealed class ScheduleShape(ScheduleView schedule)
{
    /// <summary>Its id; each occurrence's task is <c>{scheduleId}:{yyyyMMddTHHmmssZ}</c>.</summary>
    public string ScheduleId { get; } = schedule.ScheduleId;

    /// <summary>The agent each task is for, <c>*</c> for any.</summary>
    public string Agent { get; } = schedule.Agent;

    /// <summary>Each task's file.</summary>
    public string TaskFile { get; } = schedule.TaskFile;

    /// <summary>Each task's priority.</summary>
    public TaskPriority Priority { get; } = schedule.Priority;

    /// <summary>Its cron expression; null for an interval.</summary>
    public string? Cron { get; } = schedule.Cron;

    /// <summary>The time zone its cron expression is read in; null: UTC.</summary>
    public string? TimeZone { get; } = schedule.TimeZone;

    /// <summary>Its interval (such as <c>15m</c>); null for a cron expression.</summary>
    public string? Every { get; } = schedule.Every is { } every ? ProtocolNames.Of(every) : null;

    /// <summary>An interval's first occurrence and anchor.</summary>
    public DateTimeOffset? Start { get; } = schedule.Start;

    /// <summary>one, all or none.</summary>
    public string CatchUp { get; } = schedule.CatchUp;

    /// <summary>Its next occurrence; null when none is left.</summary>
    public DateTimeOffset? NextAt { get; } = schedule.NextAt;

    /// <summary>Each task's attempts; the namespace's default when null.</summary>
    public int? MaxAttempts { get; } = schedule.MaxAttempts;

    /// <summary>JSON handed to each task's claimer.</summary>
    public JsonElement? Payload { get; } = Shapes.Document(schedule.Payload);

    /// <summary>Each task's tags.</summary>
    public IReadOnlyList<string> Tags { get; } = schedule.Tags ?? [];

    /// <summary>When it was (last) defined, and by whom.</summary>
    public DateTimeOffset DefinedAt { get; } = schedule.DefinedAt;

    /// <summary>Who defined it.</summary>
    public string By { get; } = schedule.By;

    /// <summary>The tasks it defined since.</summary>
    public int Occurrences { get; } = schedule.Occurrences;

    /// <summary>The occurrences it passed over.</summary>
    public int Missed { get; } = schedule.Missed;

    /// <summary>The last occurrence it defined a task for.</summary>
    public DateTimeOffset? LastOccurrence { get; } = schedule.LastOccurrence;

    /// <summary>Why an occurrence was last passed over for another reason than the catch-up policy.</summary>
    public string? Note { get; } = schedule.Note;
}

/// <summary>The schedule as defined now; <paramref name="Unchanged"/>: it was defined so already and nothing was written.</summary>
public sealed record ScheduleAcceptedShape(ScheduleShape Schedule, bool Unchanged);

/// <summary>A page of schedules by id.</summary>
public sealed record ScheduleListShape(IReadOnlyList<ScheduleShape> Schedules, int Total, int Offset, int Limit, int? NextOffset);
