namespace Orchestrator.Actors.Protocol.Queries;

/// <summary>Reads one task. Replies <see cref="Replies.TaskFound"/> or <see cref="Replies.TaskNotFound"/>.</summary>
public sealed record GetTask(string TaskId) : NamespacedRequest, IStateManagerQuery;

/// <summary>
/// Lists tasks in definition order, filtered and paged. Filters are optional and combine with AND.
/// Replies <see cref="Replies.TaskPage"/>.
/// </summary>
/// <param name="Agent">Only tasks defined for this agent (exact match; <c>*</c> lists tasks for any agent).</param>
/// <param name="Status">Only tasks in this status (case-insensitive).</param>
/// <param name="Priority">Only tasks of this priority (case-insensitive).</param>
/// <param name="Offset">How many matching tasks to skip (at least 0).</param>
/// <param name="Limit">How many to return at most (1 to 1,000).</param>
/// <param name="IdPrefix">Only tasks whose id starts with this (case-sensitive, the characters of an id).</param>
/// <param name="Tag">Only tasks carrying this tag (exact match); read from a kept index of the tag's tasks, not every task.</param>
public sealed record ListTasks(string? Agent = null, string? Status = null, string? Priority = null, int Offset = 0, int Limit = 100, string? IdPrefix = null,
    string? Tag = null)
    : NamespacedRequest, IStateManagerQuery;

/// <summary>
/// What the namespace's state manager journaled over the last hour, in steps of
/// <paramref name="StepSeconds"/> (a multiple of 5 from 5 to 3,600): definitions, claims,
/// completions and failures, and its journal writes' latency. Kept in memory by the state manager
/// since it last started (not journaled). Replies <see cref="Replies.ActivityReport"/>.
/// </summary>
public sealed record GetActivity(int StepSeconds = 60) : NamespacedRequest, IStateManagerQuery;

/// <summary>Counts by status and priority plus journal figures. Replies <see cref="Replies.StatsReport"/>.</summary>
public sealed record GetStats : NamespacedRequest, IStateManagerQuery
{
    /// <summary>The single instance.</summary>
    public static readonly GetStats Instance = new();
}

/// <summary>Reads a saved document. Replies <see cref="Replies.StateDocument"/> or <see cref="Replies.StateNotFound"/>.</summary>
public sealed record GetState(string OwnerId, string Key) : NamespacedRequest, IStateManagerQuery;

/// <summary>
/// The transitions of one task in order, each with its time and who caused it. Replies
/// <see cref="Replies.TaskHistory"/> or <see cref="Replies.TaskNotFound"/>.
/// </summary>
public sealed record GetTaskHistory(string TaskId) : NamespacedRequest, IStateManagerQuery;

/// <summary>
/// The agents known to the state manager (registered, or seen claiming), by name, a page at a time.
/// Replies <see cref="Replies.AgentList"/>.
/// </summary>
/// <param name="Offset">How many agents to skip (at least 0).</param>
/// <param name="Limit">How many to return at most (1 to 1,000; the same rules as <see cref="ListTasks"/>).</param>
public sealed record ListAgents(int Offset = 0, int Limit = 100) : NamespacedRequest, IStateManagerQuery;

/// <summary>
/// The namespace's recurring schedules by id, a page at a time, each with its next occurrence.
/// Replies <see cref="Replies.ScheduleList"/>.
/// </summary>
/// <param name="Offset">How many schedules to skip (at least 0).</param>
/// <param name="Limit">How many to return at most (1 to 1,000).</param>
public sealed record ListSchedules(int Offset = 0, int Limit = 100) : NamespacedRequest, IStateManagerQuery;
