namespace Orchestrator.Actors.Protocol.Commands;

/// <summary>
/// Asks for the next READY task defined for <paramref name="Agent"/> or for any agent (<c>*</c>):
/// highest priority first, first come first served within a priority. Replies
/// <see cref="Replies.TaskAssigned"/> (with a claim id and a lease) or <see cref="Replies.NoTaskReady"/>.
/// An agent may hold several claims at once.
/// </summary>
/// <param name="Agent">The claiming agent (a name, not <c>*</c>).</param>
/// <param name="Lease">How long the claim lasts without a heartbeat; <c>orchestrator.lifecycle.lease</c> when null.</param>
public sealed record ClaimTask(string Agent, TimeSpan? Lease = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Extends the lease of a claim from now by its lease duration (or <paramref name="Lease"/>).
/// Replies <see cref="Replies.LeaseRenewed"/>; <see cref="Replies.StaleClaim"/> when the claim is no
/// longer current.
/// </summary>
/// <param name="TaskId">The claimed task.</param>
/// <param name="Agent">The agent that holds the claim.</param>
/// <param name="ClaimId">The claim id from <see cref="Replies.TaskAssigned"/>. Pass it: it tells this claim from a later one by the same agent.</param>
/// <param name="Lease">A new lease duration for this and later heartbeats; the claim's current one when null.</param>
public sealed record Heartbeat(string TaskId, string Agent, string? ClaimId = null, TimeSpan? Lease = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Completes a claimed task. Only the holder of the current claim may. Dependants whose dependencies
/// are then all complete become READY. Replies <see cref="Replies.TaskUpdated"/>; repeating it with the
/// same claim answers the same without a second event.
/// </summary>
/// <param name="TaskId">The claimed task.</param>
/// <param name="Agent">The agent that holds the claim.</param>
/// <param name="ClaimId">The claim id from <see cref="Replies.TaskAssigned"/>.</param>
/// <param name="Result">Optional JSON result, size-limited like SaveState.</param>
public sealed record CompleteTask(string TaskId, string Agent, string? ClaimId = null, string? Result = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Reports that a claimed task failed. Only the holder of the current claim may. The task is retried
/// (FAILED, then READY after an exponential backoff) until it has used its attempts, then it is DEAD
/// and its dependants die with it. Replies <see cref="Replies.TaskUpdated"/>.
/// </summary>
/// <param name="TaskId">The claimed task.</param>
/// <param name="Agent">The agent that holds the claim.</param>
/// <param name="ClaimId">The claim id from <see cref="Replies.TaskAssigned"/>, or null.</param>
/// <param name="Reason">Why it failed (non-empty, at most 1,000 characters).</param>
public sealed record FailTask(string TaskId, string Agent, string? ClaimId, string Reason) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// The holder of a claim asks for input before it can go on (a human's decision, another agent's
/// answer): the claim ends and the task is WAITING with the question, its attempt not spent, until
/// <see cref="ProvideInput"/> makes it READY again (for the agent it is defined for) or, with
/// <paramref name="AnswerWithin"/>, until that long has passed, when it fails as a failed attempt
/// does (FAILED and retried, or DEAD on its last attempt). Only the holder of the current claim may.
/// Replies <see cref="Replies.TaskUpdated"/>; repeating it with the same claim answers the same.
/// A2A's <c>input-required</c>.
/// </summary>
/// <param name="TaskId">The claimed task.</param>
/// <param name="Agent">The agent that holds the claim.</param>
/// <param name="ClaimId">The claim id from <see cref="Replies.TaskAssigned"/>.</param>
/// <param name="Question">What it needs to know (non-empty text, at most 1,000 characters).</param>
/// <param name="AnswerWithin">How long the answer may take (1 s to 30 days); no limit when null.</param>
public sealed record RequestInput(string TaskId, string Agent, string? ClaimId, string Question, TimeSpan? AnswerWithin = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Answers a WAITING task's question: it is READY again, and the next claim of it carries the answer
/// (<see cref="Replies.TaskAssigned.Input"/>) beside the question. Replies <see cref="Replies.TaskUpdated"/>;
/// <see cref="Replies.TransitionRejected"/> when the task is not WAITING.
/// </summary>
/// <param name="TaskId">The WAITING task.</param>
/// <param name="Input">The answer: JSON, size-limited like SaveState.</param>
/// <param name="By">Who answers, for the history; "operator" when null.</param>
public sealed record ProvideInput(string TaskId, string Input, string? By = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Cancels a task that is not finished (PENDING, READY, CLAIMED, WAITING or FAILED). Its dependants become DEAD.
/// A claim on it ends: the holder's later messages are rejected as stale. Replies <see cref="Replies.TaskUpdated"/>.
/// </summary>
/// <param name="TaskId">The task.</param>
/// <param name="Reason">Why (non-empty, at most 1,000 characters).</param>
/// <param name="By">Who cancels it, for the history; "operator" when null.</param>
public sealed record CancelTask(string TaskId, string Reason, string? By = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Gives a DEAD task another round: its attempts start again from zero and it becomes READY (or
/// PENDING while dependencies are incomplete). Dependants that died because of it come back too.
/// Replies <see cref="Replies.TaskUpdated"/>.
/// </summary>
/// <param name="TaskId">The DEAD task.</param>
/// <param name="By">Who requeues it, for the history; "operator" when null.</param>
public sealed record RequeueDeadTask(string TaskId, string? By = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>Which tasks a bulk command touches: the filters of <see cref="Queries.ListTasks"/>, combined with AND.</summary>
/// <param name="Agent">Only tasks defined for this agent.</param>
/// <param name="Status">Only tasks in this status.</param>
/// <param name="Priority">Only tasks of this priority.</param>
/// <param name="IdPrefix">Only tasks whose id starts with this.</param>
/// <param name="Tag">Only tasks carrying this tag.</param>
public sealed record TaskFilter(string? Agent = null, string? Status = null, string? Priority = null, string? IdPrefix = null, string? Tag = null)
{
    /// <summary>The most tasks one bulk command touches, and its limit when none is given.</summary>
    public const int MaxTasksPerRequest = 1000;
}

/// <summary>
/// Cancels the unfinished tasks the filter matches, in definition order, at most
/// <paramref name="Limit"/> of them (1 to 1,000): one <c>tasks-cancelled.v1</c> event with their ids,
/// each cancelled as <see cref="CancelTask"/> would (claims end, PENDING dependants die). Replies
/// <see cref="Replies.TasksChanged"/>: how many, which, and whether more match (send it again).
/// </summary>
public sealed record CancelTasks(TaskFilter Filter, string Reason, string? By = null, int Limit = TaskFilter.MaxTasksPerRequest) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Requeues the DEAD tasks the filter matches, in definition order, at most <paramref name="Limit"/>
/// (1 to 1,000): one <c>tasks-requeued.v1</c> event with their ids, each requeued as
/// <see cref="RequeueDeadTask"/> would (dependants that died with it come back); a DEAD task whose
/// dependency is DEAD or CANCELLED is left as it is. Replies <see cref="Replies.TasksChanged"/>.
/// </summary>
public sealed record RequeueTasks(TaskFilter Filter, string? By = null, int Limit = TaskFilter.MaxTasksPerRequest) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Purges finished tasks (COMPLETED, CANCELLED, DEAD) the filter matches from the state, in
/// definition order, at most <paramref name="Limit"/>: they are gone from lists, counts and lookups
/// (their events stay in the journal until the snapshot behind them deletes them). A task that a
/// task not yet purged depends on is kept (it is purged with or after its dependants), so no
/// dependency ever goes missing. Journaled as one <c>tasks-purged.v1</c> with the ids. Replies
/// <see cref="Replies.TasksChanged"/> (<c>more</c>: more match; send it again).
/// </summary>
/// <param name="Filter">ListTasks' filters; a status, when given, must be COMPLETED, CANCELLED or DEAD.</param>
/// <param name="FinishedFor">Only tasks finished at least this long ago; any finished task when null.</param>
/// <param name="By">Who purges, for the record.</param>
/// <param name="Limit">1 to 1,000.</param>
public sealed record PurgeTasks(TaskFilter Filter, TimeSpan? FinishedFor = null, string? By = null, int Limit = TaskFilter.MaxTasksPerRequest) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Sets the namespace's retention: finished tasks (COMPLETED, CANCELLED, DEAD) are purged once they
/// have been finished for <paramref name="FinishedFor"/> (as <see cref="PurgeTasks"/> purges them, by
/// the state manager's periodic sweep); null keeps every task. Journaled (<c>retention-changed.v1</c>),
/// kept in snapshots, shown in the stats. Replies <see cref="Replies.RetentionSet"/>.
/// </summary>
/// <param name="FinishedFor">1 minute to 365 days, or null for none.</param>
/// <param name="By">Who sets it, for the record.</param>
public sealed record SetRetention(TimeSpan? FinishedFor, string? By = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Sets the namespace's claim limits, replacing the ones before (a null or absent limit: none). A
/// claim that a limit holds back gets the next task no limit holds back, or none
/// (<see cref="Replies.NoTaskReady.Limited"/> says which limit). Journaled (<c>claim-limits-changed.v1</c>),
/// kept in snapshots, changed at run time. Replies <see cref="Replies.ClaimLimitsSet"/>.
/// </summary>
/// <param name="MaxClaims">The most claims held at once in the namespace (0 to 1,000,000; 0 holds every claim back).</param>
/// <param name="MaxClaimsPerAgent">The most claims one agent holds at once.</param>
/// <param name="MaxClaimsPerTag">The most claims held at once of the tasks carrying each tag (at most 100 tags).</param>
/// <param name="By">Who sets them, for the record.</param>
/// <param name="FairBy">
/// Fairness: a tag prefix (such as <c>tenant=</c>). Within a priority, claims then rotate across the
/// groups of tasks that share the first tag with that prefix (a task without one is in a group of its
/// own), the group served longest ago first, instead of first come, first served: a flood of one
/// tenant's tasks does not starve the others. Null: first come, first served.
/// </param>
/// <param name="MaxClaimsPerSecondPerTag">
/// The most claims per second of the tasks carrying each tag (at most 100 tags; 0, or 0.001 to
/// 1,000,000; 0.5 is one claim every 2 s): a burst of up to the rate (at least one) at once, then one
/// claim each 1/rate. A claim the rate holds back gets the next task nothing holds back, or none with
/// <see cref="Replies.NoTaskReady.LimitedUntil"/>. The spacing follows the journaled claims' times, so
/// it holds across restarts.
/// </param>
public sealed record SetClaimLimits(int? MaxClaims = null, int? MaxClaimsPerAgent = null, IReadOnlyDictionary<string, int>? MaxClaimsPerTag = null, string? By = null,
    string? FairBy = null, IReadOnlyDictionary<string, double>? MaxClaimsPerSecondPerTag = null)
    : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Registers an agent and what it can do, or updates its capabilities. Replies
/// <see cref="Replies.AgentRegistrationAccepted"/>.
/// </summary>
/// <param name="Agent">The agent's name (not <c>*</c>).</param>
/// <param name="Capabilities">Free-form capability names (each non-empty, at most 1,000 characters; at most 100).</param>
public sealed record RegisterAgent(string Agent, IReadOnlyList<string>? Capabilities = null) : NamespacedRequest, IStateManagerCommand;
