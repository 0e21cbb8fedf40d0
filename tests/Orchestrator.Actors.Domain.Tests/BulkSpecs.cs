using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 17: bulk cancel and requeue by the list filters, one event with the ids, answered with the count.
public sealed class BulkSpecs
{
    [Fact]
    public void A_bulk_cancel_by_tag_cancels_the_tags_unfinished_tasks_in_one_event_ends_a_claim_and_kills_pending_dependants()
    {
        // Given three tasks of team:x (one claimed, one COMPLETED), one of another team, and a dependant of the claimed one
        var scenario = new Scenario().Given(Task("done", tags: ["team:x"]));
        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Given(Task("held", tags: ["team:x"]), Task("idle", "agent-b", tags: ["team:x"]), Task("other", tags: ["team:y"]), Task("child", "agent-c", dependsOn: ["held"]));
        var held = scenario.Claim("agent-a");

        var decision = scenario.When(new CancelTasks(new TaskFilter(Tag: "team:x"), "team disbanded", "alice"));

        var cancelled = Assert.IsType<TasksCancelled>(Assert.Single(decision.Events));
        Assert.Equal<string>(["held", "idle"], cancelled.TaskIds);
        var changed = Assert.IsType<TasksChanged>(decision.Reply);
        Assert.Equal((2, false), (changed.Count, changed.More));
        Assert.Equal<string>(["held", "idle"], changed.TaskIds);
        Assert.Equal((TaskState.Cancelled, TaskState.Cancelled, TaskState.Dead, TaskState.Ready, TaskState.Completed),
            (scenario["held"].Status, scenario["idle"].Status, scenario["child"].Status, scenario["other"].Status, scenario["done"].Status));
        Assert.Equal(("task-cancelled", "alice"), (scenario["idle"].History[^1].Event, scenario["idle"].History[^1].By));
        // The claim it hit mid-way ended: its holder's completion is stale
        AssertStale(scenario.When(new CompleteTask("held", "agent-a", held.ClaimId)), "held", "agent-a", held.ClaimId, TaskState.Cancelled);
    }

    [Fact]
    public void A_bulk_takes_at_most_its_limit_in_definition_order_says_there_is_more_and_the_next_takes_the_rest()
    {
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2"), Task("t-3"));

        var first = Assert.IsType<TasksChanged>(scenario.When(new CancelTasks(new TaskFilter(Status: "READY"), "stop", Limit: 2)).Reply);
        Assert.Equal((2, true), (first.Count, first.More));
        Assert.Equal<string>(["t-1", "t-2"], first.TaskIds);
        var second = Assert.IsType<TasksChanged>(scenario.When(new CancelTasks(new TaskFilter(Status: "READY"), "stop", Limit: 2)).Reply);
        Assert.Equal((1, false), (second.Count, second.More));
        var none = scenario.When(new CancelTasks(new TaskFilter(Status: "READY"), "stop"));
        Assert.Empty(none.Events);
        Assert.Equal(0, Assert.IsType<TasksChanged>(none.Reply).Count);
    }

    [Fact]
    public void A_bulk_requeue_brings_back_the_DEAD_tasks_and_a_dependant_revived_by_an_earlier_one_is_not_requeued_twice()
    {
        // Given root (one attempt) failed: root DEAD, and its dependant leaf DEAD with it
        var scenario = new Scenario().Given(Task("root", maxAttempts: 1, tags: ["batch:7"]), Task("leaf", "agent-b", dependsOn: ["root"], tags: ["batch:7"]), Task("alive", tags: ["batch:7"]));
        scenario.Fail(scenario.Claim("agent-a"));
        Assert.Equal((TaskState.Dead, TaskState.Dead), (scenario["root"].Status, scenario["leaf"].Status));

        var decision = scenario.When(new RequeueTasks(new TaskFilter(Tag: "batch:7"), "ops"));

        Assert.Equal<string>(["root"], Assert.IsType<TasksRequeued>(Assert.Single(decision.Events)).TaskIds);
        Assert.Equal(1, Assert.IsType<TasksChanged>(decision.Reply).Count);
        Assert.Equal((TaskState.Ready, TaskState.Pending, 0), (scenario["root"].Status, scenario["leaf"].Status, scenario["root"].Attempts));
        Assert.Equal(("task-requeued", "ops"), (scenario["leaf"].History[^1].Event, scenario["leaf"].History[^1].By));
    }

    [Fact]
    public void A_DEAD_task_whose_dependency_was_cancelled_is_left_as_it_is()
    {
        var scenario = new Scenario().Given(Task("dep"), Task("leaf", "agent-b", dependsOn: ["dep"]));
        scenario.Given(new CancelTask("dep", "dropped"));

        var decision = scenario.When(new RequeueTasks(new TaskFilter(Status: "DEAD")));

        Assert.Empty(decision.Events);
        Assert.Equal(TaskState.Dead, scenario["leaf"].Status);
    }

    [Theory]
    [InlineData("status", "nope")]
    [InlineData("priority", "urgent")]
    [InlineData("tag", "two words")]
    [InlineData("idPrefix", "a b")]
    public void A_bad_filter_is_refused_naming_its_field(string field, string value)
    {
        var filter = field switch
        {
            "status" => new TaskFilter(Status: value),
            "priority" => new TaskFilter(Priority: value),
            "tag" => new TaskFilter(Tag: value),
            _ => new TaskFilter(IdPrefix: value),
        };
        var scenario = new Scenario().Given(Task("t-1"));
        Assert.Equal(value, AssertRejected(scenario.When(new CancelTasks(filter, "stop")), field).Value);
        Assert.Equal(value, AssertRejected(scenario.When(new RequeueTasks(filter)), field).Value);
    }

    [Fact]
    public void A_limit_outside_1_to_1000_a_blank_reason_and_no_filter_are_refused()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        AssertRejected(scenario.When(new CancelTasks(new TaskFilter(), "stop", Limit: 0)), "limit");
        AssertRejected(scenario.When(new RequeueTasks(new TaskFilter(), Limit: 1001)), "limit");
        AssertRejected(scenario.When(new CancelTasks(new TaskFilter(), " ")), "reason");
        AssertRejected(scenario.When(new CancelTasks(null!, "stop")), "filter");
        Assert.Equal(TaskState.Ready, scenario["t-1"].Status);
    }

    [Fact]
    public void Bulk_events_replay_and_snapshot_to_the_state_their_decisions_built()
    {
        var scenario = new Scenario().Given(Task("a", maxAttempts: 1, tags: ["x"]), Task("b", "agent-b", dependsOn: ["a"], tags: ["x"]), Task("c", tags: ["x"]), Task("d", "agent-b"));
        scenario.Fail(scenario.Claim("agent-a"));
        scenario.Given(new RequeueTasks(new TaskFilter(Status: "DEAD")), new CancelTasks(new TaskFilter(Tag: "x", Agent: "agent-a"), "stop"));

        AssertSameState(scenario.State, scenario.Replayed());
        AssertSameState(scenario.State, Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)));
        Assert.Equal((TaskState.Cancelled, TaskState.Dead, TaskState.Cancelled, TaskState.Ready), (scenario["a"].Status, scenario["b"].Status, scenario["c"].Status, scenario["d"].Status));
    }
}
