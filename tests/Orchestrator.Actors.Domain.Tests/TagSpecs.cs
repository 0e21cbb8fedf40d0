using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 17: free-form tags on a task, and listing by tag from a kept index.
public sealed class TagSpecs
{
    [Fact]
    public void A_definition_with_tags_journals_and_shows_each_tag_once_in_the_order_given()
    {
        var scenario = new Scenario();

        var decision = scenario.When(Task("t-1", tags: ["team:search", "tenant=acme", "team:search"]));

        Assert.Equal<string>(["team:search", "tenant=acme"], Assert.IsType<TaskDefined>(Assert.Single(decision.Events)).Tags!);
        Assert.Equal<string>(["team:search", "tenant=acme"], Assert.IsType<TaskDefinitionAccepted>(decision.Reply).Task.Tags!);
        Assert.Equal<string>(["team:search", "tenant=acme"], scenario["t-1"].Tags);
        Assert.Null(Assert.IsType<TaskDefinitionAccepted>(scenario.When(Task("t-2")).Reply).Task.Tags);
    }

    [Theory]
    [InlineData("", "must not hold an empty tag")]
    [InlineData("two words", "holds a tag with '\\u0020'")]
    [InlineData("café", "holds a tag with 'é'")]
    public void A_bad_tag_is_refused_naming_it(string tag, string reason)
    {
        var decision = new Scenario().When(Task("t-1", tags: ["fine", tag]));

        Assert.Empty(decision.Events);
        var rejected = AssertRejected(decision, "tags");
        Assert.Equal(tag, rejected.Value);
        Assert.Contains(reason, rejected.Reason);
    }

    [Fact]
    public void More_than_20_tags_or_one_longer_than_64_characters_are_refused()
    {
        var scenario = new Scenario();
        Assert.Contains("at most 20", AssertRejected(scenario.When(Task("t-1", tags: [.. Enumerable.Range(0, 21).Select(i => $"tag-{i}")])), "tags").Reason);
        Assert.Contains("65 characters", AssertRejected(scenario.When(Task("t-1", tags: [new string('t', 65)])), "tags").Reason);
        Assert.IsType<TaskDefinitionAccepted>(scenario.When(Task("t-1", tags: [.. Enumerable.Range(0, 19).Select(i => $"tag-{i}"), new string('t', 64)])).Reply);
    }

    [Fact]
    public void The_same_tags_in_another_order_are_the_same_definition_and_other_tags_a_conflict()
    {
        var scenario = new Scenario().Given(Task("t-1", tags: ["a", "b"]));

        Assert.True(Assert.IsType<TaskDefinitionAccepted>(scenario.When(Task("t-1", tags: ["b", "a", "a"])).Reply).AlreadyDefined);
        Assert.Equal<string>(["a", "b"], Assert.IsType<TaskDefinitionConflict>(scenario.When(Task("t-1", tags: ["a"])).Reply).Existing.Tags!);
        Assert.IsType<TaskDefinitionConflict>(scenario.When(Task("t-1")).Reply);
    }

    [Fact]
    public void A_list_by_tag_reads_the_tags_tasks_in_definition_order_with_the_total_and_combines_with_the_other_filters()
    {
        var scenario = new Scenario().Given(
            Task("a-1", tags: ["team:core"]), Task("b-1", "agent-b", tags: ["team:edge"]), Task("a-2", tags: ["team:core", "urgent"]),
            Task("b-2", "agent-b", tags: ["team:core"]), Task("a-3"));
        scenario.Claim("agent-a");

        var page = Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Tag: "team:core", Limit: 2)));
        Assert.Equal(["a-1", "a-2"], page.Tasks.Select(t => t.TaskId));
        Assert.Equal(3, page.Total);
        Assert.Equal(2, page.NextOffset);
        Assert.Equal(["b-2"], Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Tag: "team:core", Offset: 2))).Tasks.Select(t => t.TaskId));

        Assert.Equal(["a-1", "a-2"], Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Agent: "agent-a", Tag: "team:core"))).Tasks.Select(t => t.TaskId));
        Assert.Equal(["a-2", "b-2"], Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Status: "READY", Tag: "team:core"))).Tasks.Select(t => t.TaskId));
        Assert.Equal(["b-2"], Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Tag: "team:core", IdPrefix: "b-"))).Tasks.Select(t => t.TaskId));
        var none = Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Tag: "nobody")));
        Assert.Equal((0, 0), (none.Tasks.Count, none.Total));
        Assert.Equal("no tag", AssertRejected(scenario.Ask(new ListTasks(Tag: "no tag")), "tag").Value);
    }

    [Fact]
    public void Each_tag_counts_its_tasks_by_status_through_every_transition_and_a_purge_so_a_tag_and_a_status_total_is_kept()
    {
        var scenario = new Scenario().Given(
            Task("t-1", "*", "HIGH", tags: ["x", "y"]), Task("t-2", "*", tags: ["x"]), Task("t-3", "*", tags: ["x"]),
            Task("t-4", "*", dependsOn: ["t-3"], tags: ["x"]), Task("t-5", "*", tags: ["x"]));
        Assert.Equal((4, 1, 1), (scenario.State.Counts["x", TaskState.Ready], scenario.State.Counts["x", TaskState.Pending], scenario.State.Counts["y", TaskState.Ready]));

        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Given(new CancelTask("t-2", "not needed"));
        Assert.Equal((1, 1, 2, 1), (scenario.State.Counts["x", TaskState.Completed], scenario.State.Counts["x", TaskState.Cancelled],
            scenario.State.Counts["x", TaskState.Ready], scenario.State.Counts["x", TaskState.Pending]));
        Assert.Equal((1, 0), (scenario.State.Counts["y", TaskState.Completed], scenario.State.Counts["y", TaskState.Ready]));
        var ready = Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Status: "READY", Tag: "x", Limit: 1)));
        Assert.Equal(["t-3"], ready.Tasks.Select(t => t.TaskId));
        Assert.Equal((2, 1), (ready.Total, ready.NextOffset));
        Assert.Equal(["t-5"], Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Status: "READY", Tag: "x", Offset: 1))).Tasks.Select(t => t.TaskId));
        Assert.Equal(0, Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Status: "DEAD", Tag: "x"))).Total);

        // A purge takes the purged tasks out of their tags' counts; a tag no task carries any more is gone
        scenario.Given(new PurgeTasks(new TaskFilter(Status: "CANCELLED")), new PurgeTasks(new TaskFilter(Tag: "y", Status: "COMPLETED")));
        Assert.Equal(0, scenario.State.Counts["x", TaskState.Cancelled]);
        Assert.DoesNotContain(scenario.State.Counts.ByTagAndStatus, c => c.Tag == "y");
        foreach (var state in new[] { scenario.Replayed(), Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)) })
            AssertSameState(scenario.State, state);
    }

    [Fact]
    public void The_tag_index_holds_each_tagged_task_once_alike_from_single_definitions_a_batch_a_replay_and_a_snapshot()
    {
        var single = new Scenario().Given(Task("t-1", tags: ["x", "y"]), Task("t-2", tags: ["y"]), Task("t-3"));
        var batch = new Scenario().Given(new DefineTasks([Task("t-1", tags: ["x", "y"]), Task("t-2", tags: ["y"]), Task("t-3")]));

        foreach (var state in new[] { batch.State, single.Replayed(), Snapshots.FromSnapshot(Snapshots.ToSnapshot(single.State)) })
            AssertSameState(single.State, state);
        Assert.Equal<string>(["t-1", "t-2"], single.State.OrderByTag["y"]);
    }

    [Fact]
    public void An_event_and_a_snapshot_written_before_tags_read_as_tasks_without_tags()
    {
        var state = OrchestratorDomain.Apply(OrchestratorState.Empty, new TaskDefined("t-1", "a", "f", TaskPriority.Medium, T0));
        Assert.True(state.Tasks["t-1"].Tags.IsEmpty);
        var snapshot = Snapshots.ToSnapshot(Scenarios.Rich().State);
        var untagged = snapshot with { Tasks = [.. snapshot.Tasks.Select(t => t with { Tags = null })] };
        Assert.Empty(Snapshots.FromSnapshot(untagged).OrderByTag);
    }
}
