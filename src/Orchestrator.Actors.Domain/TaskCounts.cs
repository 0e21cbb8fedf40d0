using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// How many tasks are in each status and of each priority, and how many claims each agent holds,
/// kept up to date by every change of a task (<see cref="OrchestratorState.Put"/>), so that the
/// figures (GetStats, ListAgents) cost the same at a million tasks as at none. A value: the counts
/// live inline in the state, so keeping them allocates nothing but a claim's dictionary entry.
/// </summary>
public readonly struct TaskCounts
{
    private const int Statuses = 8, Priorities = 4;

    private readonly Slots _slots;
    private readonly ImmutableDictionary<string, int>? _claimsByAgent;
    private readonly ImmutableDictionary<string, int>? _claimsByTag;

    static TaskCounts()
    {
        // The slots are the enums' values: a new status or priority must widen them.
        if (Enum.GetValues<TaskState>().Length != Statuses || Enum.GetValues<TaskPriority>().Length != Priorities)
            throw new InvalidOperationException("TaskCounts holds 8 statuses and 4 priorities; the enums changed");
    }

    private TaskCounts(Slots slots, ImmutableDictionary<string, int> claimsByAgent, ImmutableDictionary<string, int> claimsByTag)
    {
        _slots = slots;
        _claimsByAgent = claimsByAgent;
        _claimsByTag = claimsByTag;
    }

    /// <summary>No tasks.</summary>
    public static TaskCounts Empty { get; } = new(default, ImmutableDictionary.Create<string, int>(StringComparer.Ordinal), ImmutableDictionary.Create<string, int>(StringComparer.Ordinal));

    /// <summary>The tasks in <paramref name="status"/>.</summary>
    public int this[TaskState status] => _slots[(int)status];

    /// <summary>The tasks of <paramref name="priority"/>.</summary>
    public int this[TaskPriority priority] => _slots[Statuses + (int)priority];

    /// <summary>The CLAIMED tasks each agent holds (agents holding none are absent).</summary>
    public ImmutableDictionary<string, int> ClaimsByAgent => _claimsByAgent ?? Empty.ClaimsByAgent;

    /// <summary>The CLAIMED tasks carrying each tag (tags of no claimed task are absent): what a tag's claim limit counts.</summary>
    public ImmutableDictionary<string, int> ClaimsByTag => _claimsByTag ?? Empty.ClaimsByTag;

    /// <summary>The counts of <paramref name="tasks"/>, counted once (loading a snapshot).</summary>
    public static TaskCounts Of(IEnumerable<TaskRecord> tasks)
    {
        var slots = default(Slots);
        var claims = new Dictionary<string, int>(StringComparer.Ordinal);
        var byTag = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            slots[(int)task.Status]++;
            slots[Statuses + (int)task.Priority]++;
            if (ClaimAgent(task) is not { } agent) continue;
            claims[agent] = claims.GetValueOrDefault(agent) + 1;
            foreach (var tag in task.Tags) byTag[tag] = byTag.GetValueOrDefault(tag) + 1;
        }
        return new TaskCounts(slots, claims.ToImmutableDictionary(StringComparer.Ordinal), byTag.ToImmutableDictionary(StringComparer.Ordinal));
    }

    /// <summary>The counts once <paramref name="before"/> (null for a new task) has become <paramref name="after"/>.</summary>
    public TaskCounts Replacing(TaskRecord? before, TaskRecord after)
    {
        var slots = _slots;
        var claims = ClaimsByAgent;
        var (held, holder) = (before is null ? null : ClaimAgent(before), ClaimAgent(after));
        if (before is not null)
        {
            slots[(int)before.Status]--;
            slots[Statuses + (int)before.Priority]--;
        }
        slots[(int)after.Status]++;
        slots[Statuses + (int)after.Priority]++;
        var byTag = ClaimsByTag;
        if (held != holder)
        {
            if (held is not null) claims = claims[held] == 1 ? claims.Remove(held) : claims.SetItem(held, claims[held] - 1);
            if (holder is not null) claims = claims.SetItem(holder, claims.GetValueOrDefault(holder) + 1);
            // Tags never change: a claim begun adds its task's tags, a claim ended takes them away.
            if ((held is null) != (holder is null))
                foreach (var tag in after.Tags)
                    byTag = holder is not null
                        ? byTag.SetItem(tag, byTag.GetValueOrDefault(tag) + 1)
                        : byTag[tag] == 1 ? byTag.Remove(tag) : byTag.SetItem(tag, byTag[tag] - 1);
        }
        return new TaskCounts(slots, claims, byTag);
    }

    /// <summary>The counts once the finished task <paramref name="before"/> is purged (a finished task holds no claim).</summary>
    public TaskCounts Removing(TaskRecord before)
    {
        var slots = _slots;
        slots[(int)before.Status]--;
        slots[Statuses + (int)before.Priority]--;
        return new TaskCounts(slots, ClaimsByAgent, ClaimsByTag);
    }

    // The agent whose claim a task counts against: a CLAIMED task's holder.
    private static string? ClaimAgent(TaskRecord task) => task is { Status: TaskState.Claimed, Claim: { } claim } ? claim.Agent : null;

    // Seven statuses, then four priorities.
    [InlineArray(Statuses + Priorities)]
    private struct Slots
    {
        private int _first;
    }
}
