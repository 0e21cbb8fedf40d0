using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 17: recurring schedules define one task per occurrence, with a predictable id, and catch up
// missed occurrences by a stated policy. T0 is 2025-03-01 09:00:00 UTC, a Saturday.
public sealed class RecurringScheduleSpecs
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static DefineSchedule Hourly(string id = "hourly", string? catchUp = null) =>
        new(id, "agent-a", "tasks/report.md", Cron: "0 * * * *", CatchUp: catchUp, Priority: "high", Payload: """{"kind":"report"}""", Tags: ["team:ops"]);

    private static DefineSchedule Every(string id, TimeSpan every, string? catchUp = null, DateTimeOffset? start = null) =>
        new(id, "*", "tasks/poll.md", Every: every, Start: start, CatchUp: catchUp);

    private static ScheduleView Schedule(Scenario scenario, string id) =>
        Assert.Single(Assert.IsType<ScheduleList>(scenario.Ask(new ListSchedules())).Schedules, s => s.ScheduleId == id);

    [Fact]
    public void A_cron_schedule_defines_one_task_per_occurrence_with_a_predictable_id_and_the_template()
    {
        var scenario = new Scenario();

        var defined = scenario.When(Hourly());

        var accepted = Assert.IsType<ScheduleAccepted>(defined.Reply);
        Assert.False(accepted.Unchanged);
        Assert.Equal(T0 + 60 * Minute, Assert.IsType<ScheduleDefined>(Assert.Single(defined.Events)).NextAt);
        Assert.Equal((T0 + 60 * Minute, "one", TaskPriority.High), (accepted.Schedule.NextAt, accepted.Schedule.CatchUp, accepted.Schedule.Priority));
        Assert.Equal(T0 + 60 * Minute, scenario.State.NextDeadline);
        Assert.IsType<NoTaskReady>(scenario.Advance(59 * Minute).When(new ClaimTask("agent-a")).Reply);

        var fired = scenario.Advance(Minute).ProcessDeadlines();

        var task = Assert.IsType<TaskDefined>(fired.Events[0]);
        Assert.Equal(("hourly:20250301T100000Z", "agent-a", "tasks/report.md", TaskPriority.High, """{"kind":"report"}""", "schedule:hourly"),
            (task.TaskId, task.Agent, task.TaskFile, task.Priority, task.Payload, task.By));
        Assert.Equal(["team:ops"], task.Tags);
        var firing = Assert.IsType<ScheduleFired>(fired.Events[1]);
        Assert.Equal(("hourly", 0, T0 + 120 * Minute, null, T0 + 60 * Minute), (firing.ScheduleId, firing.Missed, firing.NextAt, firing.Note, firing.At));
        Assert.Equal([T0 + 60 * Minute], firing.Defined);
        Assert.Equal(1, Assert.IsType<DeadlinesProcessed>(fired.Reply).Count);
        Assert.Equal(TaskState.Ready, scenario["hourly:20250301T100000Z"].Status);
        var view = Schedule(scenario, "hourly");
        Assert.Equal((1, 0, T0 + 60 * Minute, T0 + 120 * Minute), (view.Occurrences, view.Missed, view.LastOccurrence, view.NextAt));
        Assert.Equal(T0 + 120 * Minute, scenario.State.NextDeadline);

        // Without the timer: a command decided after the next occurrence defines it first.
        var claim = scenario.Advance(60 * Minute).When(new ClaimTask("agent-a"));
        Assert.Equal("hourly:20250301T110000Z", Assert.IsType<TaskDefined>(claim.Events[0]).TaskId);
        Assert.Equal("hourly:20250301T100000Z", Assert.IsType<TaskAssigned>(claim.Reply).Task.TaskId);
    }

    [Fact]
    public void A_cron_expression_is_read_in_its_time_zone_across_daylight_saving()
    {
        // 09:00 in New York: 14:00 UTC in winter, 13:00 UTC from Sunday 2025-03-09 on.
        var scenario = new Scenario(start: new DateTimeOffset(2025, 3, 7, 15, 0, 0, TimeSpan.Zero));
        var accepted = Assert.IsType<ScheduleAccepted>(scenario.When(new DefineSchedule("standup", "*", "tasks/standup.md", Cron: "0 9 * * *", TimeZone: "America/New_York")).Reply);
        Assert.Equal(new DateTimeOffset(2025, 3, 8, 14, 0, 0, TimeSpan.Zero), accepted.Schedule.NextAt);

        scenario.AdvanceTo(new DateTimeOffset(2025, 3, 8, 14, 0, 0, TimeSpan.Zero)).ProcessDeadlines();
        Assert.Equal(new DateTimeOffset(2025, 3, 9, 13, 0, 0, TimeSpan.Zero), Schedule(scenario, "standup").NextAt);
        scenario.AdvanceTo(new DateTimeOffset(2025, 3, 9, 13, 0, 0, TimeSpan.Zero)).ProcessDeadlines();

        Assert.True(scenario.State.Tasks.ContainsKey("standup:20250308T140000Z"));
        Assert.True(scenario.State.Tasks.ContainsKey("standup:20250309T130000Z"));
    }

    [Fact]
    public void An_interval_counts_from_its_start_or_from_the_definition()
    {
        var scenario = new Scenario();

        var fromNow = Assert.IsType<ScheduleAccepted>(scenario.When(Every("poll", 15 * Minute)).Reply).Schedule;
        var anchored = Assert.IsType<ScheduleAccepted>(scenario.When(Every("sync", 10 * Minute, start: T0 - 25 * Minute)).Reply).Schedule;
        var later = Assert.IsType<ScheduleAccepted>(scenario.When(Every("later", 10 * Minute, start: T0 + 3 * Minute)).Reply).Schedule;

        Assert.Equal((T0 + 15 * Minute, T0 + 15 * Minute), (fromNow.Start, fromNow.NextAt));
        Assert.Equal((T0 - 25 * Minute, T0 + 5 * Minute), (anchored.Start, anchored.NextAt));
        Assert.Equal(T0 + 3 * Minute, later.NextAt);
        foreach (var at in new[] { 3, 5, 13, 15 }) scenario.AdvanceTo(T0 + at * Minute).ProcessDeadlines();
        Assert.Equal(["later:20250301T090300Z", "later:20250301T091300Z", "poll:20250301T091500Z", "sync:20250301T090500Z", "sync:20250301T091500Z"],
            scenario.State.Tasks.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Missed_occurrences_are_caught_up_as_the_policy_says_one_all_or_none()
    {
        // Every 10 minutes from +10; the node comes back at +65: +10 .. +60 were missed (six).
        Scenario After65(string policy)
        {
            var scenario = new Scenario().Given(Every("s", 10 * Minute, policy));
            scenario.Advance(65 * Minute).ProcessDeadlines();
            return scenario;
        }

        var one = After65("one");
        Assert.Equal(["s:20250301T100000Z"], one.State.Tasks.Keys);
        Assert.Equal((1, 5, T0 + 70 * Minute), (Schedule(one, "s").Occurrences, Schedule(one, "s").Missed, Schedule(one, "s").NextAt));

        var all = After65("all");
        Assert.Equal(6, all.State.Tasks.Count);
        Assert.Equal((6, 0, T0 + 70 * Minute), (Schedule(all, "s").Occurrences, Schedule(all, "s").Missed, Schedule(all, "s").NextAt));
        // Defined in occurrence order: the first missed comes first in the READY queue.
        Assert.Equal("s:20250301T091000Z", all.Claim("agent-a").Task.TaskId);

        var none = After65("none");
        Assert.Empty(none.State.Tasks);
        Assert.Equal((0, 6, T0 + 70 * Minute), (Schedule(none, "s").Occurrences, Schedule(none, "s").Missed, Schedule(none, "s").NextAt));

        // None still defines an occurrence found on time (within a minute).
        var onTime = new Scenario().Given(Every("s", 10 * Minute, "none"));
        onTime.Advance(10 * Minute + TimeSpan.FromSeconds(30)).ProcessDeadlines();
        Assert.Equal(["s:20250301T091000Z"], onTime.State.Tasks.Keys);
    }

    [Fact]
    public void Catching_up_all_defines_at_most_a_hundred_occurrences_a_decision_and_goes_on_in_the_next()
    {
        var scenario = new Scenario().Given(Every("s", Minute, "all"));

        var first = scenario.Advance(250 * Minute).ProcessDeadlines();

        Assert.Equal(OrchestratorDomain.MaxOccurrencesPerDecision, first.Events.OfType<TaskDefined>().Count());
        Assert.Equal(T0 + 101 * Minute, scenario.State.NextDeadline);
        scenario.ProcessDeadlines();
        scenario.ProcessDeadlines();
        Assert.Equal(250, scenario.State.Tasks.Count);
        Assert.Equal(T0 + 251 * Minute, Schedule(scenario, "s").NextAt);
    }

    [Fact]
    public void An_occurrence_whose_task_exists_already_or_has_no_room_is_missed_with_a_note()
    {
        var scenario = new Scenario(limits: DomainLimits.Default with { MaxTasks = 2 })
            .Given(Task("s:20250301T091000Z"), Every("s", 10 * Minute));

        scenario.Advance(10 * Minute).ProcessDeadlines();
        Assert.Equal((0, 1), (Schedule(scenario, "s").Occurrences, Schedule(scenario, "s").Missed));
        Assert.Equal("s:20250301T091000Z was not defined: a task of that id exists already", Schedule(scenario, "s").Note);

        scenario.Advance(10 * Minute).ProcessDeadlines();
        scenario.Advance(10 * Minute).ProcessDeadlines();
        Assert.Equal((1, 2), (Schedule(scenario, "s").Occurrences, Schedule(scenario, "s").Missed));
        Assert.Contains("orchestrator.limits.max-tasks", Schedule(scenario, "s").Note);
        Assert.Equal(T0 + 40 * Minute, scenario.State.NextDeadline);
    }

    [Fact]
    public void The_same_definition_again_writes_nothing_another_replaces_it_and_remove_stops_it_keeping_its_tasks()
    {
        var scenario = new Scenario().Given(Hourly());
        scenario.Advance(60 * Minute).ProcessDeadlines();

        var again = scenario.When(Hourly());
        Assert.Empty(again.Events);
        Assert.True(Assert.IsType<ScheduleAccepted>(again.Reply).Unchanged);

        var replaced = Assert.IsType<ScheduleAccepted>(scenario.When(Hourly() with { Cron = "30 * * * *" }).Reply);
        Assert.Equal((T0 + 90 * Minute, 0), (replaced.Schedule.NextAt, replaced.Schedule.Occurrences));

        var removed = scenario.When(new RemoveSchedule("hourly", By: "ops"));
        Assert.Equal(new ScheduleRemoved("hourly"), removed.Reply);
        Assert.Equal(new ScheduleRemovedEvent("hourly", "ops", scenario.Now), Assert.Single(removed.Events));
        Assert.Null(scenario.State.NextDeadline);
        Assert.True(scenario.State.Tasks.ContainsKey("hourly:20250301T100000Z"));
        Assert.Empty(scenario.Advance(60 * Minute).ProcessDeadlines().Events);
        Assert.Equal(new ScheduleNotFound("hourly"), scenario.When(new RemoveSchedule("hourly")).Reply);
        Assert.Equal(0, Assert.IsType<ScheduleList>(scenario.Ask(new ListSchedules())).Total);
    }

    [Theory]
    [InlineData("cron", null, null, null, null, null, "is missing")]
    [InlineData("every", "0 * * * *", null, 60, null, null, "not both")]
    [InlineData("cron", "61 * * * *", null, null, null, null, "five-field cron")]
    [InlineData("cron", "0 0 30 2 *", null, null, null, null, "never occurs")]
    [InlineData("cron", "H * * * *", null, null, null, null, "five-field cron")]
    [InlineData("timeZone", "0 * * * *", "Mars/Olympus_Mons", null, null, null, "IANA id")]
    [InlineData("timeZone", null, "Europe/Berlin", 60, null, null, "cron expression only")]
    [InlineData("every", null, null, 0, null, null, "whole seconds")]
    [InlineData("catchUp", "0 * * * *", null, null, "sometimes", null, "one, all, none")]
    [InlineData("tags", "0 * * * *", null, null, null, "bad tag", "holds a tag")]
    public void A_bad_definition_is_refused_naming_the_field(string field, string? cron, string? zone, int? everySeconds, string? catchUp, string? tag, string reason)
    {
        var define = new DefineSchedule("s", "agent-a", "tasks/t.md", cron, zone, everySeconds is { } s ? TimeSpan.FromSeconds(s) : null,
            CatchUp: catchUp, Tags: tag is null ? null : [tag]);

        var decision = new Scenario().When(define);

        Assert.Contains(reason, AssertRejected(decision, field).Reason);
    }

    [Fact]
    public void A_journaled_time_zone_this_node_does_not_know_is_read_as_UTC_with_a_note_rather_than_stopping_the_namespace()
    {
        // As if journaled by a node with more time zone data than this one.
        var state = OrchestratorDomain.Apply(OrchestratorState.Empty, new ScheduleDefined("hourly", "*", "tasks/t.md", TaskPriority.Medium, "0 * * * *", "Mars/Olympus_Mons",
            null, null, "one", null, null, null, "ops", T0, T0 + 60 * Minute));
        var scenario = new Scenario(state: state).Advance(60 * Minute);

        scenario.ProcessDeadlines();

        Assert.True(scenario.State.Tasks.ContainsKey("hourly:20250301T100000Z"));
        Assert.Equal("time zone 'Mars/Olympus_Mons' is unknown on this node: read as UTC", Schedule(scenario, "hourly").Note);
        Assert.Equal(T0 + 120 * Minute, scenario.State.NextDeadline);
    }

    [Fact]
    public void A_schedule_id_too_long_for_its_tasks_ids_is_refused()
    {
        var decision = new Scenario().When(Hourly(new string('s', OrchestratorDomain.MaxScheduleIdLength + 1)));

        Assert.Contains("at most 100", AssertRejected(decision, "scheduleId").Reason);
    }

    [Fact]
    public void Schedules_come_back_the_same_from_the_journal_and_from_a_snapshot()
    {
        var scenario = new Scenario().Given(Hourly(), Every("poll", 10 * Minute, "all"), Every("gone", Minute));
        scenario.Advance(65 * Minute).ProcessDeadlines();
        scenario.Given(new RemoveSchedule("gone"));

        AssertSameState(scenario.State, scenario.Replayed());
        var restored = Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State));
        AssertSameState(scenario.State, restored);
        Assert.Equal(T0 + 70 * Minute, restored.NextDeadline);
    }
}
