using Orchestrator.Actors.StateManager;
using Xunit;

namespace Orchestrator.Actors.Tests;

/// <summary>The snapshot cadence and retention rules as a pure class: no actors, no store.</summary>
public sealed class SnapshotScheduleSpecs
{
    [Fact]
    public void A_snapshot_is_due_after_the_configured_number_of_events_and_one_at_a_time()
    {
        var schedule = new SnapshotSchedule(every: 10, fractionOfTasks: 0, kept: 2, deleteEvents: false);
        schedule.Journaled(9);
        Assert.False(schedule.IsDue);
        schedule.Journaled(1);
        Assert.True(schedule.IsDue);

        schedule.Started(tasks: 10);
        schedule.Journaled(50);
        Assert.False(schedule.IsDue);
        Assert.True(schedule.InProgress);

        // The events journaled while it was written count toward the next one.
        schedule.Saved(60);
        Assert.True(schedule.IsDue);
        Assert.Equal(60, schedule.LastSnapshotSequenceNr);
    }

    [Fact]
    public void A_large_state_waits_for_its_share_of_new_events()
    {
        var schedule = new SnapshotSchedule(every: 10, fractionOfTasks: 0.5, kept: 2, deleteEvents: false);
        schedule.RecoveredFrom(sequenceNr: 100, tasks: 1_000);
        schedule.Journaled(499);
        Assert.False(schedule.IsDue);
        schedule.Journaled(1);
        Assert.True(schedule.IsDue);
    }

    [Fact]
    public void A_failed_snapshot_is_tried_again_once_due_and_keeps_the_events()
    {
        var schedule = new SnapshotSchedule(every: 10, fractionOfTasks: 0, kept: 2, deleteEvents: true);
        schedule.Journaled(10);
        schedule.Started(tasks: 10);
        schedule.Failed();
        Assert.False(schedule.InProgress);
        Assert.False(schedule.IsDue);
        schedule.Journaled(10);
        Assert.True(schedule.IsDue);
        Assert.Equal(0, schedule.LastSnapshotSequenceNr);
    }

    [Fact]
    public void The_newest_snapshots_are_kept_and_events_go_only_behind_the_older_of_two()
    {
        var schedule = new SnapshotSchedule(every: 1, fractionOfTasks: 0, kept: 2, deleteEvents: true);

        schedule.Started(1);
        // One snapshot: no fallback yet, so no event may go; nothing below it to delete.
        Assert.Equal(new SnapshotSchedule.Retention(null, null), schedule.Saved(1));

        schedule.Started(1);
        Assert.Equal(new SnapshotSchedule.Retention(null, 1), schedule.Saved(20));

        schedule.Started(1);
        Assert.Equal(new SnapshotSchedule.Retention(19, 20), schedule.Saved(35));
    }

    [Fact]
    public void The_same_range_of_events_is_never_deleted_twice()
    {
        var schedule = new SnapshotSchedule(every: 1, fractionOfTasks: 0, kept: 3, deleteEvents: true);
        schedule.RecoveredFrom(10, tasks: 5);
        Assert.Equal(new SnapshotSchedule.Retention(9, 10), schedule.Saved(20));
        // Kept: 10, 20, 30: the oldest kept is still 10, whose events went already.
        Assert.Equal(new SnapshotSchedule.Retention(9, null), schedule.Saved(30));
        // Kept: 20, 30, 40.
        Assert.Equal(new SnapshotSchedule.Retention(19, 20), schedule.Saved(40));
    }

    [Fact]
    public void Without_event_deletion_only_snapshots_are_trimmed()
    {
        var schedule = new SnapshotSchedule(every: 1, fractionOfTasks: 0, kept: 1, deleteEvents: false);
        schedule.RecoveredFrom(5, tasks: 1);
        Assert.Equal(new SnapshotSchedule.Retention(7, null), schedule.Saved(8));
    }
}
