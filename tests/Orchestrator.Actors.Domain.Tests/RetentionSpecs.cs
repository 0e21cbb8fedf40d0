using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 17: finished tasks are purged from the state, by filter or by the namespace's retention, and
// a task that a kept task depends on stays until its dependants go.
public sealed class RetentionSpecs
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    // done-1 and done-2 COMPLETED at T0, dead DEAD at T0, open READY, claimed CLAIMED.
    private static Scenario Finished()
    {
        var scenario = new Scenario().Given(Task("done-1", tags: ["wave:1"]), Task("done-2"), Task("dead", maxAttempts: 1), Task("open"), Task("claimed", agent: "agent-b"));
        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Fail(scenario.Claim("agent-a"));
        scenario.Claim("agent-b");
        return scenario;
    }

    [Fact]
    public void A_purge_removes_the_finished_tasks_it_matches_from_table_counts_and_orders_in_one_event()
    {
        var scenario = Finished();

        var decision = scenario.When(new PurgeTasks(new TaskFilter(), By: "ops"));

        var changed = Assert.IsType<TasksChanged>(decision.Reply);
        Assert.Equal((3, false), (changed.Count, changed.More));
        Assert.Equal(["done-1", "done-2", "dead"], changed.TaskIds);
        var purged = Assert.IsType<TasksPurged>(Assert.Single(decision.Events));
        Assert.Equal(["done-1", "done-2", "dead"], purged.TaskIds);
        Assert.Equal("ops", purged.By);
        Assert.Equal(["open", "claimed"], scenario.State.Order);
        Assert.Equal((0, 0, 2, 3L), (scenario.State.Counts[TaskState.Completed], scenario.State.Counts[TaskState.Dead], scenario.State.Tasks.Count, scenario.State.Purged));
        Assert.False(scenario.State.OrderByTag.ContainsKey("wave:1"));
        Assert.Equal(new TaskNotFound("done-1"), scenario.Ask(new GetTask("done-1")));
        var stats = Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance));
        Assert.Equal((2, 3L), (stats.Tasks, stats.Purged));
        AssertSameState(scenario.State, scenario.Replayed());
        AssertSameState(scenario.State, Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)));
    }

    [Fact]
    public void A_purge_takes_the_filter_the_age_and_the_limit_and_says_when_more_match()
    {
        var scenario = Finished().Advance(2 * Hour).Given(Task("late"));
        scenario.Complete(scenario.Claim("agent-a"));

        var young = scenario.When(new PurgeTasks(new TaskFilter(), FinishedFor: Hour, Limit: 2));
        Assert.Equal((2, true), (((TasksChanged)young.Reply).Count, ((TasksChanged)young.Reply).More));
        var tagged = scenario.When(new PurgeTasks(new TaskFilter(Tag: "wave:1")));
        Assert.Equal(0, ((TasksChanged)tagged.Reply).Count);
        Assert.Empty(tagged.Events);
        var rest = scenario.When(new PurgeTasks(new TaskFilter(Status: "dead"), FinishedFor: Hour));
        Assert.Equal(["dead"], ((TasksChanged)rest.Reply).TaskIds);
        Assert.True(scenario.State.Tasks.ContainsKey("late"));
    }

    [Fact]
    public void A_task_that_a_kept_task_depends_on_stays_and_goes_with_its_dependants()
    {
        // base <- mid <- top, all COMPLETED; other <- waiting (PENDING on another dependency)
        var scenario = new Scenario().Given(Task("base"), Task("other"), Task("blocker", agent: "agent-b"));
        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Given(Task("mid", dependsOn: ["base"]), Task("waiting", dependsOn: ["other", "blocker"]));
        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Given(Task("top", dependsOn: ["mid"]));
        scenario.Complete(scenario.Claim("agent-a"));
        Assert.Equal((TaskState.Completed, TaskState.Pending), (scenario["top"].Status, scenario["waiting"].Status));

        var decision = scenario.When(new PurgeTasks(new TaskFilter()));

        // The chain goes in one purge (dependants first), other stays for waiting, which still needs it.
        Assert.Equal(["base", "mid", "top"], ((TasksChanged)decision.Reply).TaskIds.Order(StringComparer.Ordinal));
        Assert.True(scenario.State.Tasks.ContainsKey("other"));
        Assert.Equal(["waiting"], scenario.State.DependantsOf("other"));
        Assert.False(scenario.State.Dependants.ContainsKey("base"));
        AssertSameState(scenario.State, scenario.Replayed());
    }

    [Fact]
    public void Only_finished_tasks_are_purged_and_bad_input_is_refused_naming_the_field()
    {
        var scenario = Finished();

        Assert.Contains("only finished tasks", AssertRejected(scenario.When(new PurgeTasks(new TaskFilter(Status: "READY"))), "status").Reason);
        AssertRejected(scenario.When(new PurgeTasks(new TaskFilter(), Limit: 0)), "limit");
        AssertRejected(scenario.When(new PurgeTasks(new TaskFilter(), FinishedFor: -Hour)), "finishedFor");
        AssertRejected(scenario.When(new PurgeTasks(null!)), "filter");
        AssertRejected(scenario.When(new SetRetention(TimeSpan.FromSeconds(5))), "finishedFor");
        Assert.Equal(5, scenario.State.Tasks.Count);
    }

    [Fact]
    public void The_retention_sweep_purges_what_has_been_finished_longer_than_the_retention_oldest_first()
    {
        var scenario = Finished();
        Assert.Equal(new RetentionSwept(0), scenario.When(SweepRetention.Instance).Reply);

        var set = scenario.When(new SetRetention(2 * Hour, "ops"));
        Assert.Equal(new RetentionSet(2 * Hour), set.Reply);
        Assert.Equal(new RetentionChanged(2 * Hour, "ops", scenario.Now), Assert.Single(set.Events));
        Assert.Empty(scenario.When(new SetRetention(2 * Hour)).Events);
        Assert.Equal(2 * Hour, Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance)).Retention);

        Assert.Empty(scenario.Advance(2 * Hour - TimeSpan.FromSeconds(1)).When(SweepRetention.Instance).Events);
        var swept = scenario.Advance(TimeSpan.FromSeconds(1)).When(SweepRetention.Instance);

        Assert.Equal(new RetentionSwept(3), swept.Reply);
        var purged = Assert.IsType<TasksPurged>(Assert.Single(swept.Events));
        Assert.Equal(OrchestratorDomain.RetentionCause, purged.By);
        Assert.Equal(["open", "claimed"], scenario.State.Order);

        scenario.Given(new SetRetention(null));
        Assert.Null(scenario.State.Retention);
        AssertSameState(scenario.State, scenario.Replayed());
        AssertSameState(scenario.State, Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)));
    }

    [Fact]
    public void Each_sweep_looks_on_from_where_the_last_stopped_so_old_tasks_still_running_do_not_hide_the_finished_behind_them()
    {
        // Given three old tasks still READY, then four finished ones, a retention of a minute, and a look of three tasks a sweep
        var scenario = new Scenario().Given(Task("old-1"), Task("old-2"), Task("old-3"), Task("done-1"), Task("done-2"), Task("done-3"), Task("done-4"));
        scenario.Given(new CancelTasks(new TaskFilter(IdPrefix: "done-"), "called off"), new SetRetention(TimeSpan.FromMinutes(1)));
        scenario.Advance(TimeSpan.FromMinutes(1));

        // The first sweep looks at the three old ones only, and says where the next starts: done-1
        var first = scenario.When(new SweepRetention(0, Scan: 3));
        Assert.Empty(first.Events);
        Assert.Equal(new RetentionSwept(0, scenario["done-1"].Ordinal), first.Reply);

        // The next looks from there: done-1 to done-3 go, and the next starts at done-4
        var second = scenario.When(new SweepRetention(scenario["done-1"].Ordinal, Scan: 3));
        Assert.Equal(["done-1", "done-2", "done-3"], Assert.IsType<TasksPurged>(Assert.Single(second.Events)).TaskIds);
        Assert.Equal(new RetentionSwept(3, scenario["done-4"].Ordinal), second.Reply);

        // The last reaches the newest task and goes round to the oldest; an ordinal past every task starts there too
        Assert.Equal(new RetentionSwept(1, 0), scenario.When(new SweepRetention(scenario["done-4"].Ordinal, Scan: 3)).Reply);
        Assert.Equal(["old-1", "old-2", "old-3"], scenario.State.Order);
        Assert.Equal(new RetentionSwept(0, 0), scenario.When(new SweepRetention(long.MaxValue, Scan: 5)).Reply);
    }

    [Fact]
    public void A_sweep_purges_at_most_ten_thousand_tasks_and_the_next_sweep_goes_on()
    {
        const int count = OrchestratorDomain.MaxSweepTasks + 500;
        var scenario = new Scenario();
        for (var start = 0; start < count; start += 1000)
            scenario.Given(new DefineTasks([.. Enumerable.Range(start, Math.Min(1000, count - start)).Select(i => Task($"t-{i:D5}"))]));
        for (var start = 0; start < count; start += 1000) scenario.Given(new CancelTasks(new TaskFilter(), "called off"));
        scenario.Given(new SetRetention(TimeSpan.FromMinutes(1)));

        scenario.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new RetentionSwept(OrchestratorDomain.MaxSweepTasks), scenario.When(SweepRetention.Instance).Reply);
        Assert.Equal($"t-{OrchestratorDomain.MaxSweepTasks:D5}", scenario.State.Order[0]);
        Assert.Equal(new RetentionSwept(500), scenario.When(SweepRetention.Instance).Reply);
        Assert.Empty(scenario.State.Tasks);
        Assert.Equal(count, scenario.State.Purged);
    }
}
