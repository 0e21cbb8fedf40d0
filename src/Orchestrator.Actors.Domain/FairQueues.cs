using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// Fairness across tags: each agent's READY queue (<c>*</c> included) split by group, a task's group
/// being its first tag that starts with <see cref="Prefix"/> (<c>""</c> for a task without one), with
/// the turn each group was last served at in that queue. Within a priority a claim takes the head of
/// the group served longest ago (never first, then the task READY longest), so one group's flood does
/// not starve the others. The groups' heads are kept in that order, so a claim reads one head per
/// queue (its own and <c>*</c>'s) however many groups there are. Kept by
/// <see cref="OrchestratorState.Put"/> only while fairness is on, and then in place of
/// <see cref="OrchestratorState.Ready"/>: a READY task is in one index, not two, and a claim
/// changes one sorted set of tasks (its group's), not two.
/// </summary>
public sealed record FairQueues(string Prefix)
{
    /// <summary>The fair queue of each agent the READY tasks are for (<c>*</c> included).</summary>
    public ImmutableDictionary<string, FairQueue> Queues { get; init; } = ImmutableDictionary.Create<string, FairQueue>(StringComparer.Ordinal);

    /// <summary>The last turn given (a claim of a READY task takes the next).</summary>
    public long Turn { get; init; }

    /// <summary>The group of <paramref name="task"/>: its first tag with the prefix, else <c>""</c>.</summary>
    public string GroupOf(TaskRecord task)
    {
        foreach (var tag in task.Tags)
            if (tag.StartsWith(Prefix, StringComparison.Ordinal))
                return tag;
        return "";
    }

    /// <summary>The queues of the READY tasks <paramref name="ready"/> holds per agent (of <paramref name="tasks"/>), grouped by <paramref name="prefix"/>, with no group served yet.</summary>
    public static FairQueues Of(string prefix, IEnumerable<KeyValuePair<string, ImmutableSortedSet<ReadyEntry>>> ready, ImmutableDictionary<string, TaskRecord> tasks)
    {
        var fair = new FairQueues(prefix);
        var queues = ImmutableDictionary.CreateBuilder<string, FairQueue>(StringComparer.Ordinal);
        foreach (var (agent, entries) in ready)
        {
            if (entries.Count == 0) continue;
            var groups = entries.GroupBy(entry => fair.GroupOf(tasks[entry.TaskId]), StringComparer.Ordinal)
                .ToImmutableDictionary(g => g.Key, g => new FairGroup(ImmutableSortedSet.CreateRange(g), 0), StringComparer.Ordinal);
            queues[agent] = FairQueue.Of(groups);
        }
        return fair with { Queues = queues.ToImmutable() };
    }

    /// <summary>The READY tasks of each agent's queue, its groups merged back into claim order (fairness turned off).</summary>
    public IEnumerable<KeyValuePair<string, ImmutableSortedSet<ReadyEntry>>> ReadyQueues() =>
        Queues.Select(q => KeyValuePair.Create(q.Key, ImmutableSortedSet.CreateRange(q.Value.Groups.Values.SelectMany(g => g.Entries))))
            .Where(q => q.Value.Count > 0);

    /// <summary>The groups' READY tasks of <paramref name="agent"/>'s queue, each group's in claim order (none when it has no queue).</summary>
    public IEnumerable<ImmutableSortedSet<ReadyEntry>> GroupsOf(string agent) =>
        Queues.TryGetValue(agent, out var queue) ? queue.Groups.Values.Select(g => g.Entries).Where(e => e.Count > 0) : [];

    /// <summary>These queues with the turns a snapshot held, per queue and group.</summary>
    public FairQueues WithTurns(IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> served, long turn)
    {
        var queues = Queues;
        foreach (var (agent, turns) in served)
        {
            var groups = (queues.TryGetValue(agent, out var held) ? held : FairQueue.Empty).Groups;
            foreach (var (group, at) in turns)
                groups = groups.SetItem(group, (groups.TryGetValue(group, out var g) ? g : FairGroup.Empty) with { Served = at });
            // The turns come in no order: the heads are laid out anew.
            queues = queues.SetItem(agent, FairQueue.Of(groups));
        }
        return this with { Queues = queues, Turn = turn };
    }

    /// <summary>These queues once <paramref name="before"/> (null for a new task) has become <paramref name="after"/>; a claim of a READY task serves its group.</summary>
    public FairQueues Replacing(TaskRecord? before, TaskRecord after)
    {
        var wasReady = before is { Status: TaskState.Ready };
        var isReady = after.Status == TaskState.Ready;
        if (!wasReady && !isReady) return this;
        // A claim: the task leaves its group, and the group is served, in one change of its queue.
        if (wasReady && after.Status == TaskState.Claimed)
        {
            var turn = Turn + 1;
            return this with { Queues = Queues.SetItem(before!.Agent, QueueOf(before.Agent).Take(before.QueueEntry, GroupOf(before), turn)), Turn = turn };
        }
        var queues = Queues;
        if (wasReady) queues = queues.SetItem(before!.Agent, QueueOf(queues, before.Agent).Remove(before.QueueEntry, GroupOf(before)));
        if (isReady) queues = queues.SetItem(after.Agent, QueueOf(queues, after.Agent).Add(after.QueueEntry, GroupOf(after)));
        return this with { Queues = queues };
    }

    private FairQueue QueueOf(string agent) => QueueOf(Queues, agent);

    private static FairQueue QueueOf(ImmutableDictionary<string, FairQueue> queues, string agent) =>
        queues.TryGetValue(agent, out var queue) ? queue : FairQueue.Empty;

    /// <summary>
    /// The READY task <paramref name="agent"/> gets: of the groups' heads in its own queue and in
    /// <c>*</c>'s that <paramref name="allowed"/> lets through (all when null), the highest priority,
    /// then the group served longest ago, then the task READY longest.
    /// </summary>
    public ReadyEntry? Next(string agent, Func<ReadyEntry, bool>? allowed = null)
    {
        FairHead? best = null;
        foreach (var name in agent == ProtocolNames.AnyAgent ? [agent] : (ReadOnlySpan<string>)[agent, ProtocolNames.AnyAgent])
        {
            if (!Queues.TryGetValue(name, out var queue) || queue.First is not { } min) continue;
            FairHead? first = min;
            // Past the first head only when it is not allowed (walking the heads costs more than reading the first).
            if (allowed is not null && !allowed(min.Entry))
            {
                first = null;
                foreach (var head in queue.Heads)
                    if (head != min && allowed(head.Entry)) { first = head; break; }
            }
            if (first is { } found && (best is not { } current || found.CompareTo(current) < 0)) best = found;
        }
        return best?.Entry;
    }

    /// <summary>The turns of every group served, per queue, for a snapshot.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Turns() =>
        Queues.Select(q => (q.Key, Served: q.Value.Served.ToDictionary(StringComparer.Ordinal))).Where(q => q.Served.Count > 0)
            .ToDictionary(q => q.Key, q => (IReadOnlyDictionary<string, long>)q.Served, StringComparer.Ordinal);

    /// <inheritdoc />
    public bool Equals(FairQueues? other) =>
        other is not null && Prefix == other.Prefix && Turn == other.Turn && Describe(this).SequenceEqual(Describe(other));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Prefix, Turn);

    private static IEnumerable<string> Describe(FairQueues fair) =>
        fair.Queues.Where(q => q.Value.Groups.Count > 0).OrderBy(q => q.Key, StringComparer.Ordinal)
            .Select(q => $"{q.Key}: {string.Join("; ", q.Value.Groups.Where(g => g.Value.Entries.Count > 0).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} [{string.Join(",", g.Value.Entries)}]"))} "
                         + $"served {string.Join(",", q.Value.Served.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"))} "
                         + $"heads {string.Join(",", q.Value.Heads)}");
}

/// <summary>A group's head in a fair queue, in claim order: priority, then the group's last turn, then arrival.</summary>
public readonly record struct FairHead(ReadyEntry Entry, long Served, string Group) : IComparable<FairHead>
{
    /// <inheritdoc />
    public int CompareTo(FairHead other)
    {
        var byPriority = Entry.Priority.CompareTo(other.Entry.Priority);
        if (byPriority != 0) return byPriority;
        var byTurn = Served.CompareTo(other.Served);
        return byTurn != 0 ? byTurn : Entry.CompareTo(other.Entry);
    }
}

/// <summary>
/// One group of a fair queue: its READY tasks in claim order, and the turn it was last served at
/// (0: never). Kept together so that a claim changes one entry of <see cref="FairQueue.Groups"/>,
/// not two dictionaries. A group served once stays, its tasks gone or not, for its turn.
/// </summary>
public readonly record struct FairGroup(ImmutableSortedSet<ReadyEntry> Entries, long Served)
{
    /// <summary>No tasks, never served.</summary>
    public static FairGroup Empty => new(ImmutableSortedSet<ReadyEntry>.Empty, 0);

    /// <summary>The group's head, if it holds a task.</summary>
    public FairHead? Head(string group) => Entries.Count == 0 ? null : new FairHead(Entries.Min, Served, group);
}

/// <summary>
/// One agent's READY tasks by group, each group's last turn, and the groups' heads in claim order,
/// kept per priority (<see cref="FairBucket"/>) so that a claim moves its group's head at the cost of
/// a dequeue and an enqueue rather than of two changes of one sorted set.
/// </summary>
public sealed record FairQueue
{
    private static readonly int Priorities = Enum.GetValues<TaskPriority>().Length;

    /// <summary>No tasks, no turns.</summary>
    public static FairQueue Empty { get; } = new();

    /// <summary>Each group's READY tasks in claim order and its last turn.</summary>
    public ImmutableDictionary<string, FairGroup> Groups { get; private init; } = ImmutableDictionary.Create<string, FairGroup>(StringComparer.Ordinal);

    // The heads per priority, the most urgent first (TaskPriority counts from Critical = 0).
    private ImmutableArray<FairBucket> Buckets { get; init; } = [.. Enumerable.Repeat(FairBucket.Empty, Priorities)];

    /// <summary>The queue of <paramref name="groups"/>, its heads laid out anew.</summary>
    public static FairQueue Of(ImmutableDictionary<string, FairGroup> groups)
    {
        var heads = groups.Select(g => g.Value.Head(g.Key)).OfType<FairHead>().ToLookup(h => (int)h.Entry.Priority);
        return new FairQueue { Groups = groups, Buckets = [.. Enumerable.Range(0, Priorities).Select(p => FairBucket.Of(heads[p].Order()))] };
    }

    /// <summary>Each group's head, in claim order.</summary>
    public IEnumerable<FairHead> Heads => Buckets.SelectMany(b => b.Heads(Groups));

    /// <summary>The first head in claim order, if any group holds a task.</summary>
    public FairHead? First
    {
        get
        {
            foreach (var bucket in Buckets)
                if (bucket.First is { } first) return first;
            return null;
        }
    }

    /// <summary>The turn each group was last served at in this queue (the groups never served left out).</summary>
    public IEnumerable<KeyValuePair<string, long>> Served =>
        Groups.Where(g => g.Value.Served != 0).Select(g => KeyValuePair.Create(g.Key, g.Value.Served));

    /// <summary>This queue with <paramref name="entry"/> in <paramref name="group"/>.</summary>
    public FairQueue Add(ReadyEntry entry, string group)
    {
        var held = Groups.TryGetValue(group, out var g) ? g : FairGroup.Empty;
        return Regrouped(group, held, held with { Entries = held.Entries.Add(entry) }, claimed: false);
    }

    /// <summary>This queue without <paramref name="entry"/> of <paramref name="group"/>.</summary>
    public FairQueue Remove(ReadyEntry entry, string group)
    {
        var held = Groups[group];
        return Regrouped(group, held, held with { Entries = held.Entries.Remove(entry) }, claimed: false);
    }

    /// <summary>This queue without <paramref name="entry"/>, claimed, its group served at <paramref name="turn"/> (the newest turn): the group's next head goes behind the others.</summary>
    public FairQueue Take(ReadyEntry entry, string group, long turn)
    {
        var held = Groups[group];
        return Regrouped(group, held, new FairGroup(held.Entries.Remove(entry), turn), claimed: true);
    }

    // The group changed from held to after: its entry in Groups (dropped when it holds no task and was never
    // served), and its head moved (only when the head or the turn changed). A claim's new head has the newest
    // turn, so it goes at the back of its priority; any other new head is put in its place.
    private FairQueue Regrouped(string group, FairGroup held, FairGroup after, bool claimed)
    {
        var groups = after.Entries.Count == 0 && after.Served == 0 ? Groups.Remove(group) : Groups.SetItem(group, after);
        var (oldHead, newHead) = (held.Head(group), after.Head(group));
        if (oldHead == newHead) return this with { Groups = groups };
        var buckets = Buckets.ToArray();
        if (oldHead is { } old) buckets[(int)old.Entry.Priority] = buckets[(int)old.Entry.Priority].Without(old, groups);
        if (newHead is { } head)
        {
            var bucket = buckets[(int)head.Entry.Priority];
            buckets[(int)head.Entry.Priority] = claimed ? bucket.Appending(head) : bucket.Inserting(head);
        }
        return new FairQueue { Groups = groups, Buckets = ImmutableCollectionsMarshal.AsImmutableArray(buckets) };
    }
}

/// <summary>
/// The groups' heads of one priority in a fair queue, in claim order: those never served by arrival,
/// then the others by turn. A claim serves a group with the newest turn, so its next head goes at the
/// back: <see cref="Appended"/> is a queue, in claim order, and a claim of its front is a dequeue. A head
/// that changes otherwise (a task added, cancelled, expired) goes into <see cref="Inserted"/>, a sorted
/// set, and the two are merged when read. A head gone from <see cref="Appended"/> other than at its front
/// is left there, stale (no longer its group's head), skipped when read; the stale ones are dropped from
/// the front on each change and all of them once they outnumber the live heads.
/// </summary>
/// <param name="Appended">Heads in claim order, some of them stale; never one stale at the front.</param>
/// <param name="AppendedCount">How many heads <paramref name="Appended"/> holds, stale ones included.</param>
/// <param name="Inserted">Heads put in place, all live (a head may be in both).</param>
/// <param name="Live">How many groups have their head here.</param>
internal sealed record FairBucket(ImmutableQueue<FairHead> Appended, int AppendedCount, ImmutableSortedSet<FairHead> Inserted, int Live)
{
    /// <summary>No heads.</summary>
    public static FairBucket Empty { get; } = new(ImmutableQueue<FairHead>.Empty, 0, ImmutableSortedSet<FairHead>.Empty, 0);

    /// <summary>The bucket of <paramref name="heads"/>, in claim order.</summary>
    public static FairBucket Of(IEnumerable<FairHead> heads)
    {
        var list = heads.ToList();
        return list.Count == 0 ? Empty : new FairBucket(ImmutableQueue.CreateRange(list), list.Count, ImmutableSortedSet<FairHead>.Empty, list.Count);
    }

    /// <summary>The first head, if any.</summary>
    public FairHead? First =>
        Appended.IsEmpty ? Inserted.Count == 0 ? null : Inserted.Min
        : Inserted.Count == 0 || Appended.Peek().CompareTo(Inserted.Min) <= 0 ? Appended.Peek() : Inserted.Min;

    /// <summary>The live heads in claim order, <paramref name="groups"/> telling the stale ones.</summary>
    public IEnumerable<FairHead> Heads(ImmutableDictionary<string, FairGroup> groups)
    {
        var appended = Appended;
        FairHead? last = null;
        using var inserted = Inserted.GetEnumerator();
        var more = inserted.MoveNext();
        while (true)
        {
            while (!appended.IsEmpty && !IsHead(appended.Peek(), groups)) appended = appended.Dequeue();
            FairHead next;
            if (more && (appended.IsEmpty || inserted.Current.CompareTo(appended.Peek()) <= 0))
            {
                next = inserted.Current;
                more = inserted.MoveNext();
            }
            else if (!appended.IsEmpty)
            {
                next = appended.Peek();
                appended = appended.Dequeue();
            }
            else yield break;
            // A head both inserted and (again live) appended comes once.
            if (next != last) yield return next;
            last = next;
        }
    }

    /// <summary>This bucket with <paramref name="head"/>, whose turn is the newest, at the back.</summary>
    public FairBucket Appending(FairHead head) => this with { Appended = Appended.Enqueue(head), AppendedCount = AppendedCount + 1, Live = Live + 1 };

    /// <summary>This bucket with <paramref name="head"/> in its place.</summary>
    public FairBucket Inserting(FairHead head) => this with { Inserted = Inserted.Add(head), Live = Live + 1 };

    /// <summary>This bucket without <paramref name="head"/>, no longer its group's head in <paramref name="groups"/>.</summary>
    public FairBucket Without(FairHead head, ImmutableDictionary<string, FairGroup> groups)
    {
        var (appended, count) = (Appended, AppendedCount);
        while (!appended.IsEmpty && !IsHead(appended.Peek(), groups)) (appended, count) = (appended.Dequeue(), count - 1);
        var bucket = new FairBucket(appended, count, Inserted.Remove(head), Live - 1);
        if (count + bucket.Inserted.Count - bucket.Live <= bucket.Live) return bucket;
        // More stale heads than live ones: the live ones (a stale one may have become live again) in a queue anew.
        var live = bucket.Heads(groups).ToList();
        return new FairBucket(ImmutableQueue.CreateRange(live), live.Count, ImmutableSortedSet<FairHead>.Empty, bucket.Live);
    }

    private static bool IsHead(FairHead head, ImmutableDictionary<string, FairGroup> groups) =>
        groups.TryGetValue(head.Group, out var group) && group.Served == head.Served && group.Entries.Count > 0 && group.Entries.Min == head.Entry;
}
