using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.Domain;

// How each lifecycle event moves a task, and how it reads in the task's history.
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
            var status = AllComplete(state, defined.DependsOn ?? []) ? TaskState.Ready : TaskState.Pending;
            return new TaskTransitioned(defined.TaskId, defined.Agent, defined.Priority,
                new TaskHistoryEntry("task-defined", null, status, defined.DefinedAt, defined.By, null,
                    defined.DependsOn is { Count: > 0 } deps ? $"waits for {string.Join(", ", deps)}" : null));
        }

        var entry = Entry(state, @event);
        if (entry is null) return null;
        var task = state.Tasks[entry.Value.TaskId];
        var claimAgent = @event is TaskClaimed claimed ? claimed.Agent : task.Claim?.Agent;
        return new TaskTransitioned(task.TaskId, task.Agent, task.Priority, entry.Value.Entry with { From = task.Status }, claimAgent);
    }

    private static (string TaskId, TaskHistoryEntry Entry)? Entry(OrchestratorState state, IOrchestratorEvent @event) =>
        @event switch
        {
            TaskClaimed e => (e.TaskId, new("task-claimed", null, TaskState.Claimed, e.At, e.Agent, e.ClaimId,
                $"attempt {e.Attempt} of {state.Tasks[e.TaskId].MaxAttempts}; lease until {e.LeaseUntil:O}")),
            TaskCompleted e => (e.TaskId, new("task-completed", null, TaskState.Completed, e.At, e.Agent, e.ClaimId)),
            TaskFailed e => (e.TaskId, new("task-failed", null, e.RetryAt is null ? TaskState.Dead : TaskState.Failed, e.At, e.Agent, e.ClaimId,
                e.RetryAt is { } retryAt
                    ? $"{e.Reason} (attempt {e.Attempt}; retry at {retryAt:O})"
                    : $"{e.Reason} (attempt {e.Attempt}, the last)")),
            LeaseExpired e => (e.TaskId, new("lease-expired", null, e.OutOfAttempts ? TaskState.Dead : TaskState.Ready, e.At, Causes.Orchestrator, e.ClaimId,
                $"agent '{e.Agent}' sent no heartbeat (attempt {e.Attempt}{(e.OutOfAttempts ? ", the last" : "")})")),
            RetryDue e => (e.TaskId, new("retry-due", null, TaskState.Ready, e.At, Causes.Orchestrator)),
            DependenciesMet e => (e.TaskId, new("dependencies-met", null, TaskState.Ready, e.At, e.By, null,
                $"'{e.CompletedDependency}' completed")),
            TaskKilled e => (e.TaskId, new("task-killed", null, TaskState.Dead, e.At, e.By, null, e.Reason)),
            TaskCancelled e => (e.TaskId, new("task-cancelled", null, TaskState.Cancelled, e.At, e.By,
                state.Tasks[e.TaskId].Claim?.ClaimId, e.Reason)),
            TaskRequeued e => (e.TaskId, new("task-requeued", null,
                AllComplete(state, state.Tasks[e.TaskId].DependsOn) ? TaskState.Ready : TaskState.Pending, e.At, e.By, null,
                e.Because is null ? null : $"came back with '{e.Because}'")),
            _ => null,
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
            TaskCompleted e => task with { Result = e.Result, Reason = null, LastClaim = task.Claim, LastClaimOutcome = "COMPLETED", Claim = null },
            TaskFailed e => task with { Reason = e.Reason, RetryAt = e.RetryAt, LastClaim = task.Claim, LastClaimOutcome = "FAILED", Claim = null },
            LeaseExpired e => task with
            {
                Reason = $"lease expired: agent '{e.Agent}' sent no heartbeat",
                LastClaim = task.Claim,
                LastClaimOutcome = "EXPIRED",
                Claim = null,
            },
            RetryDue => task with { RetryAt = null },
            DependenciesMet => task,
            TaskKilled e => task with { Reason = e.Reason, KilledBy = e.Dependency },
            TaskCancelled e => task with
            {
                Reason = e.Reason,
                RetryAt = null,
                LastClaim = task.Claim ?? task.LastClaim,
                LastClaimOutcome = task.Claim is null ? task.LastClaimOutcome : "CANCELLED",
                Claim = null,
            },
            TaskRequeued => task with { Attempts = 0, Reason = null, KilledBy = null, RetryAt = null, Result = null },
            _ => throw new ArgumentException($"Unknown event {@event.GetType().Name}", nameof(@event)),
        };

        var entering = entry.To == TaskState.Ready;
        next = (next with
        {
            Status = entry.To,
            UpdatedAt = entry.At,
            ReadySeq = entering ? state.NextReadySeq : next.ReadySeq,
        }).WithHistory(entry with { From = task.Status });

        var after = state.Put(next) with { NextReadySeq = entering ? state.NextReadySeq + 1 : state.NextReadySeq };
        return @event switch
        {
            TaskClaimed e => Seen(after, e.Agent, e.At) with { NextClaim = after.NextClaim + 1 },
            TaskCompleted e => Seen(after, e.Agent, e.At),
            TaskFailed e => Seen(after, e.Agent, e.At),
            _ => after,
        };
    }
}
