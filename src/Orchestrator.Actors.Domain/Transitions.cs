using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.Domain;

// How each lifecycle event moves a task (the table, StatusAfter), and how it reads in the task's history (HistoryEntry).
public static partial class OrchestratorDomain
{
    /// <summary>
    /// The transition <paramref name="event"/> makes in <paramref name="state"/> (before it is applied),
    /// as subscribers and the task's history see it; null for events that are not task transitions
    /// (documents, agents, heartbeats, journal bookkeeping).
    /// </summary>
    public static TaskTransitioned? Describe(OrchestratorState state, IOrchestratorEvent @event)
    {
        if (@event is TaskDefined defined)
        {
            var status = AllComplete(state, defined.DependsOn ?? []) ? TaskRecord.Released(defined.NotBefore, defined.DefinedAt).Status : TaskState.Pending;
            return new TaskTransitioned(defined.TaskId, defined.Agent, defined.Priority,
                new TaskHistoryEntry("task-defined", null, status, defined.DefinedAt, defined.By, null,
                    DefinedDetail(defined.DependsOn ?? [], defined.NotBefore, defined.DefinedAt)));
        }

        var entry = Entry(state, @event);
        if (entry is null) return null;
        var task = state.Tasks[entry.Value.TaskId];
        var claimAgent = @event is TaskClaimed claimed ? claimed.Agent : task.Claim?.Agent;
        return new TaskTransitioned(task.TaskId, task.Agent, task.Priority, entry.Value.Entry with { From = task.Status }, claimAgent);
    }

    private static (string TaskId, TaskHistoryEntry Entry)? Entry(OrchestratorState state, IOrchestratorEvent @event) =>
        StatusAfter(state, @event) is var (taskId, to) ? (taskId, HistoryEntry(state, @event, to)) : null;

    /// <summary>
    /// The lifecycle's table: the task each transition event moves and the status it moves it to;
    /// null for events that move no task. How the move reads in the history is <see cref="HistoryEntry"/>'s.
    /// </summary>
    public static (string TaskId, TaskState To)? StatusAfter(OrchestratorState state, IOrchestratorEvent @event) =>
        @event switch
        {
            TaskClaimed e => (e.TaskId, TaskState.Claimed),
            TaskCompleted e => (e.TaskId, TaskState.Completed),
            TaskFailed e => (e.TaskId, e.RetryAt is null ? TaskState.Dead : TaskState.Failed),
            LeaseExpired e => (e.TaskId, e.OutOfAttempts ? TaskState.Dead : TaskState.Ready),
            RetryDue e => (e.TaskId, TaskState.Ready),
            TaskDue e => (e.TaskId, TaskState.Ready),
            InputRequested e => (e.TaskId, TaskState.Waiting),
            InputProvided e => (e.TaskId, TaskState.Ready),
            InputTimedOut e => (e.TaskId, e.RetryAt is null ? TaskState.Dead : TaskState.Failed),
            DependenciesMet e => (e.TaskId, TaskRecord.Released(state.Tasks[e.TaskId].NotBefore, e.At).Status),
            TaskKilled e => (e.TaskId, TaskState.Dead),
            TaskCancelled e => (e.TaskId, TaskState.Cancelled),
            TaskRequeued e => (e.TaskId, AllComplete(state, state.Tasks[e.TaskId].DependsOn) ? TaskRecord.Released(state.Tasks[e.TaskId].NotBefore, e.At).Status : TaskState.Pending),
            _ => null,
        };

    // How a transition reads in the task's history (and to subscribers): its name, who caused it, and the detail.
    private static TaskHistoryEntry HistoryEntry(OrchestratorState state, IOrchestratorEvent @event, TaskState to) =>
        @event switch
        {
            TaskClaimed e => new("task-claimed", null, to, e.At, e.Agent, ClaimIds.Public(e.ClaimId),
                $"attempt {e.Attempt} of {state.Tasks[e.TaskId].MaxAttempts}; lease until {e.LeaseUntil:O}"),
            TaskCompleted e => new("task-completed", null, to, e.At, e.Agent, ClaimIds.Public(e.ClaimId)),
            TaskFailed e => new("task-failed", null, to, e.At, e.Agent, ClaimIds.Public(e.ClaimId),
                e.RetryAt is { } retryAt
                    ? $"{e.Reason} (attempt {e.Attempt}; retry at {retryAt:O})"
                    : $"{e.Reason} (attempt {e.Attempt}, the last)"),
            LeaseExpired e => new("lease-expired", null, to, e.At, Causes.Orchestrator, ClaimIds.Public(e.ClaimId),
                $"agent '{e.Agent}' sent no heartbeat (attempt {e.Attempt}{(e.OutOfAttempts ? ", the last" : "")})"),
            RetryDue e => new("retry-due", null, to, e.At, Causes.Orchestrator),
            TaskDue e => new("task-due", null, to, e.At, Causes.Orchestrator, null, $"not before {state.Tasks[e.TaskId].NotBefore:O}"),
            InputRequested e => new("input-requested", null, to, e.At, e.Agent, ClaimIds.Public(e.ClaimId),
                e.AnswerBy is { } by ? $"{e.Question} (answer by {by:O})" : e.Question),
            InputProvided e => new("input-provided", null, to, e.At, e.By),
            InputTimedOut e => new("input-timed-out", null, to, e.At, Causes.Orchestrator, null,
                e.RetryAt is { } retryAt ? $"no answer (attempt {e.Attempt}; retry at {retryAt:O})" : $"no answer (attempt {e.Attempt}, the last)"),
            DependenciesMet e => new("dependencies-met", null, to, e.At, e.By, null,
                to == TaskState.Pending ? $"'{e.CompletedDependency}' completed; not before {state.Tasks[e.TaskId].NotBefore:O}" : $"'{e.CompletedDependency}' completed"),
            TaskKilled e => new("task-killed", null, to, e.At, e.By, null, e.Reason),
            TaskCancelled e => new("task-cancelled", null, to, e.At, e.By, ClaimIds.Public(state.Tasks[e.TaskId].Claim)?.ClaimId, e.Reason),
            TaskRequeued e => new("task-requeued", null, to, e.At, e.By, null, e.Because is null ? null : $"came back with '{e.Because}'"),
            _ => throw new ArgumentException($"{@event.GetType().Name} is not a transition", nameof(@event)),
        };

    private static OrchestratorState ApplyTransition(OrchestratorState state, IOrchestratorEvent @event)
    {
        var (taskId, entry) = Entry(state, @event)
                              ?? throw new ArgumentException($"Unknown event {@event.GetType().Name}", nameof(@event));
        var task = state.Tasks[taskId];
        var next = @event switch
        {
            TaskClaimed e => task with
            {
                Attempts = e.Attempt,
                Claim = new ClaimInfo(e.ClaimId, e.Agent, e.Attempt, e.At, e.LeaseDuration, e.LeaseUntil),
                RetryAt = null,
            },
            TaskCompleted e => task with { Result = e.Result, Reason = null, LastClaim = task.Claim, LastClaimOutcome = ClaimOutcome.Completed, Claim = null },
            TaskFailed e => task with { Reason = e.Reason, RetryAt = e.RetryAt, LastClaim = task.Claim, LastClaimOutcome = ClaimOutcome.Failed, Claim = null },
            LeaseExpired e => task with
            {
                Reason = $"lease expired: agent '{e.Agent}' sent no heartbeat",
                LastClaim = task.Claim,
                LastClaimOutcome = ClaimOutcome.Expired,
                Claim = null,
            },
            RetryDue => task with { RetryAt = null },
            TaskDue => task,
            InputRequested e => task with
            {
                Question = e.Question,
                AnswerBy = e.AnswerBy,
                Input = null,
                Reason = null,
                LastClaim = task.Claim,
                LastClaimOutcome = ClaimOutcome.Waiting,
                Claim = null,
            },
            // The attempt that asked is given back: asking is not failing.
            InputProvided e => task with { Input = e.Input, AnswerBy = null, Attempts = Math.Max(0, task.Attempts - 1) },
            InputTimedOut e => task with { AnswerBy = null, RetryAt = e.RetryAt, Reason = "no answer to: " + task.Question },
            DependenciesMet => task,
            TaskKilled e => task with { Reason = e.Reason, KilledBy = e.Dependency },
            TaskCancelled e => task with
            {
                Reason = e.Reason,
                RetryAt = null,
                LastClaim = task.Claim ?? task.LastClaim,
                LastClaimOutcome = task.Claim is null ? task.LastClaimOutcome : ClaimOutcome.Cancelled,
                Claim = null,
            },
            TaskRequeued => task with { Attempts = 0, Reason = null, KilledBy = null, RetryAt = null, Result = null },
            _ => throw new ArgumentException($"Unknown event {@event.GetType().Name}", nameof(@event)),
        };

        var entering = entry.To == TaskState.Ready;
        next = (next with
        {
            // PENDING with every dependency COMPLETED: it waits only for its time.
            DueAt = entry.To == TaskState.Pending && AllComplete(state, task.DependsOn) ? task.NotBefore : null,
            Status = entry.To,
            UpdatedAt = entry.At,
            ReadySeq = entering ? state.NextReadySeq : next.ReadySeq,
        }).WithHistory(entry with { From = task.Status });

        var after = state.Put(next) with { NextReadySeq = entering ? state.NextReadySeq + 1 : state.NextReadySeq };
        return @event switch
        {
            TaskClaimed e => (Seen(after, e.Agent, e.At) with { NextClaim = after.NextClaim + 1 }).WithClaimRated(next, e.At),
            InputRequested e => Seen(after, e.Agent, e.At),
            TaskCompleted e => Seen(after, e.Agent, e.At, a => a with { Completed = a.Completed + 1 }),
            TaskFailed e => Seen(after, e.Agent, e.At, a => a with { Failed = a.Failed + 1 }),
            LeaseExpired e when after.Agents.TryGetValue(e.Agent, out var holder) =>
                after with { Agents = after.Agents.SetItem(e.Agent, holder with { LeasesExpired = holder.LeasesExpired + 1 }) },
            _ => after,
        };
    }
}
