namespace Orchestrator.Actors.StateManager;

/// <summary>
/// When a state manager takes a snapshot and what it deletes after one, without the actor.
/// <list type="bullet">
/// <item>Cadence: one snapshot at a time, once at least <c>every</c> events, and at least
/// <c>fractionOfTasks</c> of the last snapshot's task count, were journaled since the last one (a
/// snapshot costs as much as the state is large, so waiting for a share of it keeps the cost per
/// event flat as the state grows).</item>
/// <item>Retention: the newest <c>kept</c> snapshots stay; the older of those is the fallback if the
/// newest cannot be read. With <c>deleteEvents</c>, the events behind the oldest kept snapshot go
/// (only once two are kept, so that the newest can fail to load and recovery still has a complete
/// path), and never the same range twice.</item>
/// </list>
/// </summary>
public sealed class SnapshotSchedule(int every, double fractionOfTasks, int kept, bool deleteEvents)
{
    // Snapshots this incarnation knows of (the store may hold older ones from before a restart).
    private readonly SortedSet<long> _snapshots = [];
    private long _tasksAtSnapshot;
    private long _eventsDeletedUpTo;

    /// <summary>Events journaled (or replayed) since the newest snapshot.</summary>
    public long EventsSinceSnapshot { get; private set; }

    /// <summary>The sequence number of the newest snapshot saved or recovered from; 0 for none.</summary>
    public long LastSnapshotSequenceNr { get; private set; }

    /// <summary>True from <see cref="Started"/> to <see cref="Saved"/> or <see cref="Failed"/>.</summary>
    public bool InProgress { get; private set; }

    /// <summary>True when a snapshot should be taken now.</summary>
    public bool IsDue => !InProgress && EventsSinceSnapshot >= Math.Max(every, (long)(_tasksAtSnapshot * fractionOfTasks));

    /// <summary>Recovery started from the snapshot at <paramref name="sequenceNr"/>, holding <paramref name="tasks"/> tasks.</summary>
    public void RecoveredFrom(long sequenceNr, long tasks)
    {
        LastSnapshotSequenceNr = sequenceNr;
        _tasksAtSnapshot = tasks;
        _snapshots.Add(sequenceNr);
    }

    /// <summary><paramref name="events"/> more events were journaled or replayed.</summary>
    public void Journaled(long events) => EventsSinceSnapshot += events;

    /// <summary>A snapshot of a state holding <paramref name="tasks"/> tasks is being saved.</summary>
    public void Started(long tasks)
    {
        InProgress = true;
        EventsSinceSnapshot = 0;
        _tasksAtSnapshot = tasks;
    }

    /// <summary>The snapshot could not be saved; the events are kept and the next one is tried when due.</summary>
    public void Failed() => InProgress = false;

    /// <summary>The snapshot at <paramref name="sequenceNr"/> is saved: what to delete now.</summary>
    public Retention Saved(long sequenceNr)
    {
        InProgress = false;
        LastSnapshotSequenceNr = sequenceNr;
        _snapshots.Add(sequenceNr);

        var newest = _snapshots.Reverse().Take(kept).ToList();
        var oldestKept = newest.Min();
        _snapshots.RemoveWhere(s => s < oldestKept);
        // Criteria up to 0 would read as "any" to some stores (the in-memory one deletes them all).
        long? snapshotsUpTo = oldestKept > 1 ? oldestKept - 1 : null;
        long? eventsUpTo = null;
        if (deleteEvents && newest.Count >= 2 && oldestKept > _eventsDeletedUpTo)
        {
            _eventsDeletedUpTo = oldestKept;
            eventsUpTo = oldestKept;
        }
        return new Retention(snapshotsUpTo, eventsUpTo);
    }

    /// <summary>
    /// What to delete after a snapshot: the snapshots up to a sequence number (by criteria, so that
    /// ones from before a restart go too), and the events up to one (after a marker is journaled).
    /// </summary>
    public readonly record struct Retention(long? SnapshotsUpTo, long? EventsUpTo);
}
