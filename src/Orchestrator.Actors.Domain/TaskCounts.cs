using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// How many tasks are in each status and of each priority, how many claims each agent holds, and
/// how many tasks carrying each tag are in each status, kept up to date by every change of a task
/// (<see cref="OrchestratorState.Put"/>), so that the figures (GetStats, ListAgents, a list's total
/// by tag and status, a tag's claim limit) cost the same at a million tasks as at none. A value: the
/// counts live inline in the state, so keeping them allocates nothing but the dictionaries' entries
/// (one per tag of a task whose status changes).
/// </summary>
public readonly struct TaskCounts
{
    private const int Statuses = 8, Priorities = 4;

    private readonly Slots _slots;
    private readonly ImmutableDictionary<string, int>? _claimsByAgent;
    private readonly ImmutableDictionary<string, StatusSlots>? _byTag;

    static TaskCounts()
    {
        // The slots are the enums' values: a new status or priority must widen them.
        if (Enum.GetValues<TaskState>().Length != Statuses || Enum.GetValues<TaskPriority>().Length != Priorities)
            throw new InvalidOperationException("TaskCounts holds 8 statuses and 4 priorities; the enums changed");
    }

    private TaskCounts(Slots slots, ImmutableDictionary<string, int> claimsByAgent, ImmutableDictionary<string, StatusSlots> byTag)
    {
        _slots = slots;
        _claimsByAgent = claimsByAgent;
        _byTag = byTag;
    }

    /// <summary>No tasks.</summary>
    public static TaskCounts Empty { get; } = new(default, ImmutableDictionary.Create<string, int>(StringComparer.Ordinal), ImmutableDictionary.Create<string, StatusSlots>(StringComparer.Ordinal, StatusSlots.Comparer));

    /// <summary>The tasks in <paramref name="status"/>.</summary>
    public int this[TaskState status] => _slots[(int)status];

    /// <summary>The tasks of <paramref name="priority"/>.</summary>
    public int this[TaskPriority priority] => _slots[Statuses + (int)priority];

    /// <summary>The CLAIMED tasks each agent holds (agents holding none are absent).</summary>
    public ImmutableDictionary<string, int> ClaimsByAgent => _claimsByAgent ?? Empty.ClaimsByAgent;

    /// <summary>The tasks carrying <paramref name="tag"/> in <paramref name="status"/> (CLAIMED: what a tag's claim limit counts).</summary>
    public int this[string tag, TaskState status] => ByTag.TryGetValue(tag, out var slots) ? slots[(int)status] : 0;

    /// <summary>Every tag some task carries, with its tasks in each status that has any.</summary>
    public IEnumerable<(string Tag, TaskState Status, int Count)> ByTagAndStatus =>
        from pair in ByTag
        from status in Enum.GetValues<TaskState>()
        where pair.Value[(int)status] > 0
        select (pair.Key, status, pair.Value[(int)status]);

    private ImmutableDictionary<string, StatusSlots> ByTag => _byTag ?? Empty.ByTag;

    /// <summary>The counts of <paramref name="tasks"/>, counted once (loading a snapshot).</summary>
    public static TaskCounts Of(IEnumerable<TaskRecord> tasks)
    {
        var slots = default(Slots);
        var claims = new Dictionary<string, int>(StringComparer.Ordinal);
        var byTag = new Dictionary<string, StatusSlots>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            slots[(int)task.Status]++;
            slots[Statuses + (int)task.Priority]++;
            foreach (var tag in task.Tags)
            {
                ref var counted = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(byTag, tag, out _);
                counted[(int)task.Status]++;
            }
            if (ClaimAgent(task) is { } agent) claims[agent] = claims.GetValueOrDefault(agent) + 1;
        }
        return new TaskCounts(slots, claims.ToImmutableDictionary(StringComparer.Ordinal), byTag.ToImmutableDictionary(StringComparer.Ordinal, StatusSlots.Comparer));
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
        if (held != holder)
        {
            if (held is not null) claims = claims[held] == 1 ? claims.Remove(held) : claims.SetItem(held, claims[held] - 1);
            if (holder is not null) claims = claims.SetItem(holder, claims.GetValueOrDefault(holder) + 1);
        }
        // Tags never change: a new task adds to its tags' counts, a change of status moves them.
        var byTag = ByTag;
        if (before?.Status != after.Status)
            foreach (var tag in after.Tags)
                byTag = Moved(byTag, tag, before?.Status, after.Status);
        return new TaskCounts(slots, claims, byTag);
    }

    /// <summary>The counts once the finished task <paramref name="before"/> is purged (a finished task holds no claim).</summary>
    public TaskCounts Removing(TaskRecord before)
    {
        var slots = _slots;
        slots[(int)before.Status]--;
        slots[Statuses + (int)before.Priority]--;
        var byTag = ByTag;
        foreach (var tag in before.Tags) byTag = Moved(byTag, tag, before.Status, null);
        return new TaskCounts(slots, ClaimsByAgent, byTag);
    }

    // The tag's counts with a task moved from one status (null: a new task) to another (null: purged); a tag no task carries any more is gone.
    private static ImmutableDictionary<string, StatusSlots> Moved(ImmutableDictionary<string, StatusSlots> byTag, string tag, TaskState? from, TaskState? to)
    {
        var slots = byTag.GetValueOrDefault(tag);
        if (from is { } f) slots[(int)f]--;
        if (to is { } t) slots[(int)t]++;
        return to is null && slots.IsEmpty ? byTag.Remove(tag) : byTag.SetItem(tag, slots);
    }

    // The agent whose claim a task counts against: a CLAIMED task's holder.
    private static string? ClaimAgent(TaskRecord task) => task is { Status: TaskState.Claimed, Claim: { } claim } ? claim.Agent : null;

    // One count per status: a tag's.
    [InlineArray(Statuses)]
    private struct StatusSlots
    {
        private int _first;

        // The dictionary compares values on update; an inline array has no Equals of its own.
        public static IEqualityComparer<StatusSlots> Comparer { get; } = EqualityComparer<StatusSlots>.Create(
            (a, b) => ((ReadOnlySpan<int>)a).SequenceEqual(b), slots => slots[0]);

        public readonly bool IsEmpty
        {
            get
            {
                foreach (var count in this) if (count != 0) return false;
                return true;
            }
        }
    }

    // Eight statuses, then four priorities.
    [InlineArray(Statuses + Priorities)]
    private struct Slots
    {
        private int _first;
    }
}
