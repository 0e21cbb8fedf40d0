namespace Orchestrator.Actors.Protocol.Events;

// Lifecycle events. Each one is a transition of one task (or an agent's registration), with the time
// and the agent (or "orchestrator", or the operator) that caused it. Their JSON names are frozen.

/// <summary>An agent claimed a READY task. Journaled as <c>task-claimed.v1</c>.</summary>
/// <param name="Attempt">The attempt this claim is (1 for the first claim).</param>
/// <param name="Agent">The agent.</param>
/// <param name="At">When it happened.</param>
/// <param name="ClaimId">The claim.</param>
/// <param name="LeaseDuration">How far each heartbeat extends the lease.</param>
/// <param name="LeaseUntil">When the lease runs out without a heartbeat.</param>
/// <param name="TaskId">The task.</param>
public sealed record TaskClaimed(string TaskId, string Agent, string ClaimId, int Attempt, TimeSpan LeaseDuration, DateTimeOffset LeaseUntil, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>The holder of a claim sent a heartbeat. Journaled as <c>lease-renewed.v1</c>.</summary>
public sealed record LeaseRenewed(string TaskId, string Agent, string ClaimId, TimeSpan LeaseDuration, DateTimeOffset LeaseUntil, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>The holder completed the task. Journaled as <c>task-completed.v1</c>.</summary>
public sealed record TaskCompleted(string TaskId, string Agent, string ClaimId, string? Result, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// The holder reported a failure. With <paramref name="RetryAt"/> the task is FAILED until then;
/// without, it used its last attempt and is DEAD. Journaled as <c>task-failed.v1</c>.
/// </summary>
public sealed record TaskFailed(string TaskId, string Agent, string ClaimId, string Reason, int Attempt, DateTimeOffset? RetryAt, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// A claim's lease ran out without a heartbeat. The task is READY again or, when
/// <paramref name="OutOfAttempts"/>, DEAD. Journaled as <c>lease-expired.v1</c>.
/// </summary>
public sealed record LeaseExpired(string TaskId, string Agent, string ClaimId, int Attempt, bool OutOfAttempts, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>A FAILED task's backoff elapsed: it is READY again. Journaled as <c>retry-due.v1</c>.</summary>
public sealed record RetryDue(string TaskId, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// The holder of a claim asked for input: the claim ends and the task is WAITING, until
/// <paramref name="AnswerBy"/> when set. Journaled as <c>input-requested.v1</c>.
/// </summary>
public sealed record InputRequested(string TaskId, string Agent, string ClaimId, string Question, DateTimeOffset? AnswerBy, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>A WAITING task got its answer: READY again, its attempt given back. Journaled as <c>input-provided.v1</c>.</summary>
public sealed record InputProvided(string TaskId, string Input, string By, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// No answer came by the time it was due: the attempt failed. With <paramref name="RetryAt"/> the
/// task is FAILED until then; without, it used its last attempt and is DEAD. Journaled as <c>input-timed-out.v1</c>.
/// </summary>
public sealed record InputTimedOut(string TaskId, int Attempt, DateTimeOffset? RetryAt, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// A bulk cancel (<see cref="Commands.CancelTasks"/>): each task cancelled as by <c>task-cancelled.v1</c>,
/// in order, and the PENDING dependants of each killed. Journaled as <c>tasks-cancelled.v1</c>.
/// </summary>
public sealed record TasksCancelled(IReadOnlyList<string> TaskIds, string Reason, string By, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// A bulk requeue (<see cref="Commands.RequeueTasks"/>): each task requeued as by <c>task-requeued.v1</c>,
/// in order, with the dependants that died with it. Journaled as <c>tasks-requeued.v1</c>.
/// </summary>
public sealed record TasksRequeued(IReadOnlyList<string> TaskIds, string By, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>The namespace's claim limits were set (<see cref="Commands.SetClaimLimits"/>). Journaled as <c>claim-limits-changed.v1</c>.</summary>
public sealed record ClaimLimitsChanged(int? MaxClaims, int? MaxClaimsPerAgent, IReadOnlyDictionary<string, int>? MaxClaimsPerTag, string By, DateTimeOffset At) : IOrchestratorEvent
{
    /// <summary>The fairness tag prefix (<see cref="Commands.SetClaimLimits.FairBy"/>); absent: first come, first served, and from events written before fairness.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? FairBy { get; init; }

    /// <summary>The rate limits (<see cref="Commands.SetClaimLimits.MaxClaimsPerSecondPerTag"/>); absent: none, and from events written before rate limits.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? MaxClaimsPerSecondPerTag { get; init; }
}

/// <summary>A scheduled task's time came (its dependencies COMPLETED already): PENDING -> READY. Journaled as <c>task-due.v1</c>.</summary>
public sealed record TaskDue(string TaskId, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// Every dependency of a PENDING task is COMPLETED: it is READY. <paramref name="By"/> is the agent
/// whose completion of <paramref name="CompletedDependency"/> made it so. Journaled as <c>dependencies-met.v1</c>.
/// </summary>
public sealed record DependenciesMet(string TaskId, string CompletedDependency, string By, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// A dependency became DEAD or CANCELLED, so this task can never run: it is DEAD.
/// Journaled as <c>task-killed.v1</c>.
/// </summary>
/// <param name="Dependency">The direct dependency that is DEAD or CANCELLED.</param>
/// <param name="Reason">Names the dependency (and the task whose end started it).</param>
/// <param name="At">When it happened.</param>
/// <param name="By">Who caused it.</param>
/// <param name="TaskId">The task.</param>
public sealed record TaskKilled(string TaskId, string Dependency, string Reason, string By, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>The task was cancelled. Journaled as <c>task-cancelled.v1</c>.</summary>
public sealed record TaskCancelled(string TaskId, string Reason, string By, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// A DEAD task got another round: attempts start again and it is READY, or PENDING while a
/// dependency is incomplete. Journaled as <c>task-requeued.v1</c>.
/// </summary>
/// <param name="Because">For a dependant brought back with the task it depends on, that task's id.</param>
/// <param name="At">When it happened.</param>
/// <param name="By">Who caused it.</param>
/// <param name="TaskId">The task.</param>
public sealed record TaskRequeued(string TaskId, string By, string? Because, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>An agent registered (or re-registered) with its capabilities. Journaled as <c>agent-registered.v1</c>.</summary>
public sealed record AgentRegistered(string Agent, IReadOnlyList<string> Capabilities, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// An agent asked for work and none was ready. Journaled as <c>agent-seen.v1</c>, at most once per
/// <c>orchestrator.lifecycle.agent-seen-resolution</c>, so that an idle agent's last-seen time stays current.
/// </summary>
public sealed record AgentSeen(string Agent, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// A recurring schedule was defined or replaced (<see cref="Commands.DefineSchedule"/>), checked and
/// normalised; <paramref name="NextAt"/> is its first occurrence from then on. Journaled as <c>schedule-defined.v1</c>.
/// </summary>
public sealed record ScheduleDefined(
    string ScheduleId,
    string Agent,
    string TaskFile,
    TaskPriority Priority,
    string? Cron,
    string? TimeZone,
    TimeSpan? Every,
    DateTimeOffset? Start,
    string CatchUp,
    int? MaxAttempts,
    string? Payload,
    IReadOnlyList<string>? Tags,
    string By,
    DateTimeOffset At,
    DateTimeOffset? NextAt) : IOrchestratorEvent;

/// <summary>A schedule was removed (<see cref="Commands.RemoveSchedule"/>). Journaled as <c>schedule-removed.v1</c>.</summary>
public sealed record ScheduleRemovedEvent(string ScheduleId, string By, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// A schedule's occurrences came: the tasks of <paramref name="Defined"/> were defined by the
/// <c>task-defined.v1</c> events journaled before this one in the same write; <paramref name="Missed"/>
/// occurrences were passed over (by the catch-up policy, or because their task could not be defined:
/// <paramref name="Note"/> says why). <paramref name="NextAt"/> is the next occurrence (null: none is
/// left). Journaled as <c>schedule-fired.v1</c>.
/// </summary>
public sealed record ScheduleFired(string ScheduleId, IReadOnlyList<DateTimeOffset> Defined, int Missed, DateTimeOffset? NextAt, string? Note, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>
/// Finished tasks were purged from the state (<see cref="Commands.PurgeTasks"/>, or the retention
/// sweep with <paramref name="By"/> <c>retention</c>). Journaled as <c>tasks-purged.v1</c>.
/// </summary>
public sealed record TasksPurged(IReadOnlyList<string> TaskIds, string By, DateTimeOffset At) : IOrchestratorEvent;

/// <summary>The namespace's retention was set (<see cref="Commands.SetRetention"/>); null: none. Journaled as <c>retention-changed.v1</c>.</summary>
public sealed record RetentionChanged(TimeSpan? FinishedFor, string By, DateTimeOffset At) : IOrchestratorEvent;
