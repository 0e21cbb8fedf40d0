using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.Domain;

// Bulk cancel and requeue: the tasks a filter matches, one event with their ids. The event is
// applied as the single-task transitions it stands for (Expand), decided and replayed alike.
public static partial class OrchestratorDomain
{
    /// <summary>The most tasks one bulk command changes (the protocol's <see cref="TaskFilter.MaxTasksPerRequest"/>).</summary>
    public const int MaxBulkTasks = TaskFilter.MaxTasksPerRequest;

    private static Decision DecideCancelTasks(OrchestratorState state, CancelTasks command, DecisionContext context)
    {
        var invalid = Validation.Text("reason", command.Reason) ?? Validation.By("by", command.By) ?? BulkLimit(command.Limit);
        if (invalid is not null) return Decision.Answer(invalid);
        if (Matching(state, command.Filter, out var matches) is { } badFilter) return Decision.Answer(badFilter);
        var ids = new List<string>();
        var more = false;
        foreach (var task in matches)
        {
            if (task.IsFinished) continue;
            if (ids.Count == command.Limit) { more = true; break; }
            ids.Add(task.TaskId);
        }
        if (ids.Count == 0) return Decision.Answer(new TasksChanged(0, [], false));
        var cancelled = new TasksCancelled(ids, command.Reason, command.By ?? Causes.Operator, context.Now);
        return new Decision([cancelled], new TasksChanged(ids.Count, ids, more)) { After = Expand(state, cancelled).After };
    }

    private static Decision DecideRequeueTasks(OrchestratorState state, RequeueTasks command, DecisionContext context)
    {
        var invalid = Validation.By("by", command.By) ?? BulkLimit(command.Limit);
        if (invalid is not null) return Decision.Answer(invalid);
        if (Matching(state, command.Filter, out var matches) is { } badFilter) return Decision.Answer(badFilter);
        // In definition order, each against the state the ones before it left: a dependency requeued
        // earlier in the batch is no longer DEAD, and a task revived by an earlier one is not DEAD any more.
        var by = command.By ?? Causes.Operator;
        var ids = new List<string>();
        var more = false;
        var current = state;
        foreach (var matched in matches.Where(t => t.Status == TaskState.Dead).ToList())
        {
            if (!Requeueable(current, matched.TaskId)) continue;
            if (ids.Count == command.Limit) { more = true; break; }
            ids.Add(matched.TaskId);
            current = ApplyAll(current, Requeued(current, matched.TaskId, by, context.Now));
        }
        if (ids.Count == 0) return Decision.Answer(new TasksChanged(0, [], false));
        return new Decision([new TasksRequeued(ids, by, context.Now)], new TasksChanged(ids.Count, ids, more)) { After = current };
    }

    /// <summary>
    /// The single-task events a bulk event stands for, in order, and the state after them: each
    /// task as <see cref="CancelTask"/> or <see cref="RequeueDeadTask"/> would have changed it against
    /// the state the ones before it left. A task that can no longer take the change (gone, already
    /// finished, no longer DEAD) is passed over. With <paramref name="notices"/>, each transition's
    /// notice is added to it, described against the state it met (what subscribers hear).
    /// </summary>
    public static (IReadOnlyList<IOrchestratorEvent> Events, OrchestratorState After) Expand(
        OrchestratorState state, IOrchestratorEvent bulk, List<TaskTransitioned>? notices = null)
    {
        var events = new List<IOrchestratorEvent>();
        var current = state;
        switch (bulk)
        {
            case TasksCancelled c:
                foreach (var id in c.TaskIds)
                    if (current.Tasks.TryGetValue(id, out var task) && !task.IsFinished)
                        current = Take(current, Cancelled(current, id, c.Reason, c.By, c.At));
                break;
            case TasksRequeued r:
                foreach (var id in r.TaskIds)
                    if (Requeueable(current, id))
                        current = Take(current, Requeued(current, id, r.By, r.At));
                break;
            default:
                throw new ArgumentException($"{bulk.GetType().Name} is not a bulk event", nameof(bulk));
        }
        return (events, current);

        OrchestratorState Take(OrchestratorState before, List<IOrchestratorEvent> one)
        {
            events.AddRange(one);
            if (notices is null) return ApplyAll(before, one);
            foreach (var @event in one)
            {
                if (Describe(before, @event) is { } notice) notices.Add(notice);
                before = Apply(before, @event);
            }
            return before;
        }
    }

    /// <summary>True for the events that stand for several tasks' transitions (<see cref="Expand"/>).</summary>
    public static bool IsBulk(IOrchestratorEvent @event) => @event is TasksCancelled or TasksRequeued;

    // What RequeueDeadTask would take: a DEAD task none of whose dependencies is DEAD or CANCELLED.
    private static bool Requeueable(OrchestratorState state, string taskId) =>
        state.Tasks.TryGetValue(taskId, out var task) && task.Status == TaskState.Dead
        && !task.DependsOn.Any(d => state.Tasks[d].Status is TaskState.Dead or TaskState.Cancelled);

    private static CommandRejected? BulkLimit(int limit) =>
        limit is < 1 or > MaxBulkTasks ? Validation.Reject("limit", limit.ToString(), $"must be between 1 and {MaxBulkTasks}") : null;

    // The tasks a filter matches, in definition order, read as ListTasks reads them.
    private static CommandRejected? Matching(OrchestratorState state, TaskFilter? filter, out IEnumerable<TaskRecord> matches) =>
        Matching(state, filter, out _, out matches);

    // The same, with the filter as checked (the status parsed, say).
    private static CommandRejected? Matching(OrchestratorState state, TaskFilter? filter, out TaskSelection selection, out IEnumerable<TaskRecord> matches)
    {
        matches = [];
        selection = new TaskSelection(null, null, null, null, null);
        if (filter is null) return Validation.Reject("filter", null, "must be given; an empty filter ({}) matches every task");
        if (TaskSelection.Parse(filter.Agent, filter.Status, filter.Priority, filter.IdPrefix, filter.Tag, out selection) is { } badFilter)
            return badFilter;
        matches = selection.Candidates(state).Where(selection.MayMatch).Select(id => state.Tasks[id]).Where(selection.Matches);
        return null;
    }
}
