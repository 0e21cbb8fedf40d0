using System.Collections.Immutable;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// Fairness across tags: the READY tasks of each agent's queue (<c>*</c> included) split by group, a
/// task's group being its first tag that starts with <see cref="Prefix"/> (<c>""</c> for a task
/// without one), and the turn each group was last served at. Within a priority a claim takes the
/// head of the group served longest ago, so one group's flood does not starve the others; the cost
/// of a claim grows with the number of groups, not of tasks. Kept by
/// <see cref="OrchestratorState.Put"/> only while fairness is on.
/// </summary>
public sealed record FairQueues(string Prefix)
{
    private static readonly ImmutableDictionary<string, ImmutableSortedSet<ReadyEntry>> NoGroups =
        ImmutableDictionary.Create<string, ImmutableSortedSet<ReadyEntry>>(StringComparer.Ordinal);

    /// <summary>Per agent the queue is for, per group, the READY tasks in claim order.</summary>
    public ImmutableDictionary<string, ImmutableDictionary<string, ImmutableSortedSet<ReadyEntry>>> Queues { get; init; } =
        ImmutableDictionary.Create<string, ImmutableDictionary<string, ImmutableSortedSet<ReadyEntry>>>(StringComparer.Ordinal);

    /// <summary>The turn each group was last served at (a claim of one of its tasks); a group never served has none.</summary>
    public ImmutableDictionary<string, long> Served { get; init; } = ImmutableDictionary.Create<string, long>(StringComparer.Ordinal);

    /// <summary>The last turn given.</summary>
    public long Turn { get; init; }

    /// <summary>The group of <paramref name="task"/>: its first tag with the prefix, else <c>""</c>.</summary>
    public string GroupOf(TaskRecord task)
    {
        foreach (var tag in task.Tags)
            if (tag.StartsWith(Prefix, StringComparison.Ordinal))
                return tag;
        return "";
    }

    /// <summary>The queues of the READY tasks of <paramref name="state"/>, grouped by <paramref name="prefix"/>, with no group served yet.</summary>
    public static FairQueues Of(string prefix, OrchestratorState state)
    {
        var fair = new FairQueues(prefix);
        var queues = new Dictionary<string, Dictionary<string, List<ReadyEntry>>>(StringComparer.Ordinal);
        foreach (var (agent, ready) in state.Ready)
        foreach (var entry in ready)
        {
            if (!queues.TryGetValue(agent, out var groups)) queues[agent] = groups = new Dictionary<string, List<ReadyEntry>>(StringComparer.Ordinal);
            var group = fair.GroupOf(state.Tasks[entry.TaskId]);
            if (!groups.TryGetValue(group, out var entries)) groups[group] = entries = [];
            entries.Add(entry);
        }
        return fair with
        {
            Queues = queues.ToImmutableDictionary(q => q.Key, q => q.Value.ToImmutableDictionary(g => g.Key, g => ImmutableSortedSet.CreateRange(g.Value), StringComparer.Ordinal),
                StringComparer.Ordinal),
        };
    }

    /// <summary>These queues once <paramref name="before"/> (null for a new task) has become <paramref name="after"/>; a claim of a READY task serves its group.</summary>
    public FairQueues Replacing(TaskRecord? before, TaskRecord after)
    {
        var fair = this;
        if (before is { Status: TaskState.Ready }) fair = fair.Changing(before, remove: true);
        if (after.Status == TaskState.Ready) fair = fair.Changing(after, remove: false);
        if (before is { Status: TaskState.Ready } && after.Status == TaskState.Claimed)
            fair = fair with { Turn = fair.Turn + 1, Served = fair.Served.SetItem(GroupOf(after), fair.Turn + 1) };
        return fair;
    }

    private FairQueues Changing(TaskRecord task, bool remove)
    {
        var group = GroupOf(task);
        var groups = Queues.TryGetValue(task.Agent, out var held) ? held : NoGroups;
        var entries = groups.TryGetValue(group, out var set) ? set : ImmutableSortedSet<ReadyEntry>.Empty;
        entries = remove ? entries.Remove(task.QueueEntry) : entries.Add(task.QueueEntry);
        groups = entries.Count == 0 ? groups.Remove(group) : groups.SetItem(group, entries);
        return this with { Queues = groups.Count == 0 ? Queues.Remove(task.Agent) : Queues.SetItem(task.Agent, groups) };
    }

    /// <summary>
    /// The READY task <paramref name="agent"/> gets: among the heads of the groups of its own queue and
    /// of <c>*</c>'s that <paramref name="allowed"/> lets through (all when null), the highest priority,
    /// then the group served longest ago (never first), then the one that became READY first.
    /// </summary>
    public ReadyEntry? Next(string agent, Func<ReadyEntry, bool>? allowed = null)
    {
        ReadyEntry? best = null;
        long bestServed = 0;
        foreach (var queue in (ReadOnlySpan<string>)[agent, ProtocolNames.AnyAgent])
        {
            if (!Queues.TryGetValue(queue, out var groups)) continue;
            foreach (var (group, entries) in groups)
            {
                var head = entries.Min;
                if (allowed is not null && !allowed(head)) continue;
                var served = Served.GetValueOrDefault(group);
                if (best is not { } current || head.Priority < current.Priority
                    || (head.Priority == current.Priority && (served < bestServed || (served == bestServed && head.CompareTo(current) < 0))))
                    (best, bestServed) = (head, served);
            }
            if (agent == ProtocolNames.AnyAgent) break;
        }
        return best;
    }

    /// <inheritdoc />
    public bool Equals(FairQueues? other) =>
        other is not null && Prefix == other.Prefix && Turn == other.Turn
        && Served.OrderBy(s => s.Key, StringComparer.Ordinal).SequenceEqual(other.Served.OrderBy(s => s.Key, StringComparer.Ordinal))
        && Describe(this).SequenceEqual(Describe(other));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Prefix, Turn);

    private static IEnumerable<string> Describe(FairQueues fair) =>
        fair.Queues.OrderBy(q => q.Key, StringComparer.Ordinal)
            .SelectMany(q => q.Value.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{q.Key}/{g.Key}: {string.Join(",", g.Value)}"));
}
