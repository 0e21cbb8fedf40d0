using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

// Purge and retention: finished tasks leave the state, one event with their ids. A task that a task
// still held depends on stays (its dependants go first), so no kept task ever misses a dependency.
public static partial class OrchestratorDomain
{
    /// <summary>The most tasks one retention sweep looks at, from where the last one stopped.</summary>
    public const int MaxRetentionScan = 50_000;

    /// <summary>
    /// The most tasks one retention sweep purges: one event of at most this many ids (a purge costs
    /// the tasks it purges, about 11 ms for 1,000 at a million tasks, PurgeBenchmarks).
    /// </summary>
    public const int MaxSweepTasks = 10_000;

    /// <summary>Who the retention sweep's purges are by.</summary>
    public const string RetentionCause = "retention";

    /// <summary>The longest age a purge may ask for (ten years; nothing older exists to purge).</summary>
    public static readonly TimeSpan LongestPurgeAge = TimeSpan.FromDays(3650);

    /// <summary>The shortest retention.</summary>
    public static readonly TimeSpan ShortestRetention = TimeSpan.FromMinutes(1);

    /// <summary>The longest retention.</summary>
    public static readonly TimeSpan LongestRetention = TimeSpan.FromDays(365);

    private static Decision DecidePurgeTasks(OrchestratorState state, PurgeTasks command, DecisionContext context)
    {
        var invalid = Validation.By("by", command.By) ?? BulkLimit(command.Limit)
                      ?? (command.FinishedFor is { } age && (age < TimeSpan.Zero || age > LongestPurgeAge)
                          ? Validation.Reject("finishedFor", ProtocolNames.Of(age), $"must be between 0s and {ProtocolNames.Of(LongestPurgeAge)}")
                          : null);
        if (invalid is not null) return Decision.Answer(invalid);
        if (Matching(state, command.Filter, out var selection, out var matches) is { } badFilter) return Decision.Answer(badFilter);
        if (selection.Status is { } status && status is not (TaskState.Completed or TaskState.Cancelled or TaskState.Dead))
            return Decision.Answer(Validation.Reject("status", command.Filter.Status,
                "cannot be purged: only finished tasks (COMPLETED, CANCELLED, DEAD) are"));
        var ids = Purgeable(state, matches, context.Now - command.FinishedFor, command.Limit, FinishedCount(state, selection.Status), out var more);
        if (ids.Count == 0) return Decision.Answer(new TasksChanged(0, [], more));
        var purged = new TasksPurged(ids, command.By ?? Causes.Operator, context.Now);
        return new Decision([purged], new TasksChanged(ids.Count, ids, more)) { After = state.WithoutTasks(ids) };
    }

    private static Decision DecideSetRetention(OrchestratorState state, SetRetention command, DecisionContext context)
    {
        var invalid = Validation.By("by", command.By)
                      ?? (command.FinishedFor is { } keep && (keep < ShortestRetention || keep > LongestRetention)
                          ? Validation.Reject("finishedFor", ProtocolNames.Of(keep), $"must be between {ProtocolNames.Of(ShortestRetention)} and {ProtocolNames.Of(LongestRetention)}, or null to keep every task")
                          : null);
        if (invalid is not null) return Decision.Answer(invalid);
        if (command.FinishedFor == state.Retention) return Decision.Answer(new RetentionSet(state.Retention));
        return Respond(state, [new RetentionChanged(command.FinishedFor, command.By ?? Causes.Operator, context.Now)], after => new RetentionSet(after.Retention));
    }

    // The retention's sweep: from where the last one stopped, at most command.Scan tasks looked at
    // (wrapping to the oldest after the newest) and MaxSweepTasks purged. A sweep that purged its
    // most looks at the same place again next time (the purged are gone from it).
    private static Decision DecideSweepRetention(OrchestratorState state, SweepRetention command, DecisionContext context)
    {
        if (state.Retention is not { } keep) return Decision.Answer(new RetentionSwept(0));
        var order = state.Order;
        var start = FirstDefinedFrom(state, command.FromOrdinal);
        var end = (int)Math.Min(order.Count, start + (long)Math.Max(1, command.Scan));
        var window = order.Entries(start).Take(end - start).Select(entry => state.Tasks[entry.TaskId]);
        var ids = Purgeable(state, window, context.Now - keep, MaxSweepTasks, FinishedCount(state, null), out var more);
        var next = more ? command.FromOrdinal : end < order.Count ? order.EntryAt(end).Ordinal : 0;
        if (ids.Count == 0) return Decision.Answer(new RetentionSwept(0, next));
        return new Decision([new TasksPurged(ids, RetentionCause, context.Now)], new RetentionSwept(ids.Count, next)) { After = state.WithoutTasks(ids) };
    }

    // The place in definition order of the first task whose ordinal is at least ordinal; the oldest's when none is.
    private static int FirstDefinedFrom(OrchestratorState state, long ordinal) =>
        state.Order.IndexOfOrdinal(ordinal) is var at && at < state.Order.Count ? at : 0;

    // How many finished tasks (of the status, when one is named) the state holds: the kept counts.
    private static int FinishedCount(OrchestratorState state, TaskState? status) =>
        status is { } only ? state.Counts[only] : state.Counts[TaskState.Completed] + state.Counts[TaskState.Cancelled] + state.Counts[TaskState.Dead];

    /// <summary>
    /// The tasks of <paramref name="candidates"/> that may be purged: finished by
    /// <paramref name="finishedBy"/> (any finished task when null), and depended on by no task that
    /// stays. A dependant always comes after its dependencies, so the ones held back only by
    /// dependants purged in the same batch are taken in further passes. At most
    /// <paramref name="limit"/>; <paramref name="more"/> when the limit left some out. The reading
    /// ends once it has met <paramref name="finished"/> finished tasks (the kept count): old tasks
    /// are at the front, so a purge of the oldest reads them and not the rest.
    /// </summary>
    private static List<string> Purgeable(OrchestratorState state, IEnumerable<TaskRecord> candidates, DateTimeOffset? finishedBy, int limit, int finished, out bool more)
    {
        var batch = new HashSet<string>(StringComparer.Ordinal);
        var ids = new List<string>();
        var held = new List<string>();
        var full = false;
        var met = 0;
        // Checked before the next candidate is asked for: a filtered reading would otherwise look
        // through every task after the last finished one for a next match.
        using (var reading = candidates.GetEnumerator())
        {
            while (met < finished && reading.MoveNext())
            {
                var task = reading.Current;
                if (!task.IsFinished) continue;
                met++;
                if (task.UpdatedAt > finishedBy) continue;
                if (Held(task.TaskId)) held.Add(task.TaskId);
                else if (!Take(task.TaskId)) break;
            }
        }
        for (var freed = true; freed && !full; )
        {
            freed = false;
            for (var i = held.Count - 1; i >= 0 && !full; i--)
            {
                if (Held(held[i])) continue;
                if (!Take(held[i])) break;
                held.RemoveAt(i);
                freed = true;
            }
        }
        more = full;
        return ids;

        bool Held(string taskId) => state.DependantsOf(taskId).Any(d => !batch.Contains(d));

        bool Take(string taskId)
        {
            if (ids.Count == limit)
            {
                full = true;
                return false;
            }
            batch.Add(taskId);
            ids.Add(taskId);
            return true;
        }
    }
}
