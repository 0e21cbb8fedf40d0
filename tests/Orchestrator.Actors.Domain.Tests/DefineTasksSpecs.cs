using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class DefineTasksSpecs
{
    // ---- outcomes ------------------------------------------------------------------------------

    [Fact]
    public void A_mixed_batch_answers_each_definition_in_order_and_journals_exactly_the_created_ones()
    {
        // Given two tasks defined at T0
        var state = Given(Define("old", file: "tasks/old.md"), Define("clash", file: "tasks/clash.md"));

        // When a batch at T1 holds a new task, an identical repeat of an existing one, a different
        // definition of an existing one, an invalid id, a repeat of its own first item (identical,
        // then different), a dependant of its first item, and a dependant of the invalid item
        var batch = new DefineTasks(
        [
            Define("new-1", file: "tasks/new-1.md", priority: "HIGH"),
            Define("old", file: "tasks/old.md"),
            Define("clash", file: "tasks/other.md"),
            Define("a b"),
            Define("new-1", file: "tasks/new-1.md", priority: "high"),
            Define("new-1", file: "tasks/elsewhere.md"),
            Task("new-2", dependsOn: ["new-1"]),
            Task("new-3", dependsOn: ["a b"]),
        ]);
        var decision = Decide(state, batch, T1);

        // Then one result per item, in order, each with its outcome and what goes with it
        var reply = Assert.IsType<TasksDefined>(decision.Reply);
        var results = reply.Results;
        Assert.Equal(Enumerable.Range(0, 8), results.Select(r => r.Index));
        Assert.Equal(["new-1", "old", "clash", "a b", "new-1", "new-1", "new-2", "new-3"], results.Select(r => r.TaskId));
        Assert.Equal(
        [
            DefinitionOutcome.Created, DefinitionOutcome.Unchanged, DefinitionOutcome.Conflict, DefinitionOutcome.Invalid,
            DefinitionOutcome.Unchanged, DefinitionOutcome.Conflict, DefinitionOutcome.Created, DefinitionOutcome.Invalid,
        ], results.Select(r => r.Outcome));

        var newOne = new TaskView("new-1", "agent-a", "tasks/new-1.md", TaskPriority.High, TaskState.Ready, T1, [], 3, UpdatedAt: T1);
        Assert.Equal(newOne, results[0].Task);
        Assert.Equal(new TaskView("old", "agent-a", "tasks/old.md", TaskPriority.Medium, TaskState.Ready, T0, [], 3, UpdatedAt: T0), results[1].Task);
        Assert.Equal(new TaskView("clash", "agent-a", "tasks/clash.md", TaskPriority.Medium, TaskState.Ready, T0.AddMinutes(1), [], 3, UpdatedAt: T0.AddMinutes(1)),
            results[2].Existing);
        Assert.Equal(("taskId", "a b"), (results[3].Error!.Field, results[3].Error!.Value));
        Assert.Equal(newOne, results[4].Task);
        Assert.Equal(newOne, results[5].Existing);
        Assert.Equal(TaskState.Pending, results[6].Task!.Status);
        Assert.Equal(["new-1"], results[6].Task!.DependsOn);
        Assert.Equal(("dependsOn", "a b"), (results[7].Error!.Field, results[7].Error!.Value));
        // Each result carries only what its outcome has.
        Assert.All(results.Where(r => r.Outcome is DefinitionOutcome.Created or DefinitionOutcome.Unchanged), r => Assert.Null(r.Existing ?? (object?)r.Error));
        Assert.All(results.Where(r => r.Outcome is DefinitionOutcome.Conflict), r => Assert.Null(r.Task ?? (object?)r.Error));
        Assert.All(results.Where(r => r.Outcome is DefinitionOutcome.Invalid), r => Assert.Null(r.Task ?? r.Existing));
        Assert.Equal((2, 2, 2, 2), (reply.Count(DefinitionOutcome.Created), reply.Count(DefinitionOutcome.Unchanged),
            reply.Count(DefinitionOutcome.Conflict), reply.Count(DefinitionOutcome.Invalid)));

        // And the events are the two created definitions', in order, nothing else
        AssertEvents(decision.Events,
            new TaskDefined("new-1", "agent-a", "tasks/new-1.md", TaskPriority.High, T1, [], 3),
            new TaskDefined("new-2", "agent-a", "tasks/new-2.md", TaskPriority.Medium, T1, ["new-1"], 3));
    }

    [Fact]
    public void A_batch_of_definitions_that_all_exist_identically_writes_nothing()
    {
        // A client that lost the reply sends the batch again.
        var batch = new DefineTasks([Define("t-1"), Task("t-2", dependsOn: ["t-1"])]);
        var state = Given(batch);

        var decision = Decide(state, batch, T2);

        Assert.True(decision.IsReadOnly);
        Assert.All(Assert.IsType<TasksDefined>(decision.Reply).Results, r => Assert.Equal(DefinitionOutcome.Unchanged, r.Outcome));
    }

    [Fact]
    public void The_state_after_a_batch_decision_is_the_state_its_events_give_deadlines_that_passed_first()
    {
        // Given a claim whose lease has ended by the time the batch is decided
        var scenario = new Scenario().Given(Define("busy", agent: "agent-b"));
        var assigned = scenario.Claim("agent-b", TimeSpan.FromSeconds(30));
        scenario.Advance(TimeSpan.FromMinutes(1));

        // When a batch defines a task that depends on the expired one and a second that depends on the first
        var before = scenario.State;
        var decision = scenario.Decide(new DefineTasks([Task("after-1", dependsOn: ["busy"]), Task("after-2", dependsOn: ["after-1"])]));

        // Then the expiry comes first, then the definitions; the decision hands back its state (so
        // the actor applies nothing twice), and that state is the one its events give
        Assert.Equal([typeof(LeaseExpired), typeof(TaskDefined), typeof(TaskDefined)], decision.Events.Select(e => e.GetType()));
        Assert.Equal(assigned.ClaimId, Assert.IsType<LeaseExpired>(decision.Events[0]).ClaimId);
        var after = Assert.IsType<OrchestratorState>(decision.After);
        AssertSameState(OrchestratorDomain.ApplyAll(before, decision.Events), after);
        Assert.Equal(TaskState.Ready, after.Tasks["busy"].Status);
        Assert.Equal((TaskState.Pending, TaskState.Pending), (after.Tasks["after-1"].Status, after.Tasks["after-2"].Status));
        Assert.Equal(["after-2"], after.DependantsOf("after-1"));
    }

    // ---- the batch's limits ----------------------------------------------------------------------

    [Fact]
    public void An_empty_batch_is_rejected_naming_the_count_and_the_limit()
    {
        var rejected = AssertRejected(Decide(OrchestratorState.Empty, new DefineTasks([])), "tasks");

        Assert.Equal("0 definitions", rejected.Value);
        Assert.Contains($"1 to {DomainLimits.DefaultMaxBatchDefinitions}", rejected.Reason);
    }

    [Fact]
    public void A_batch_without_a_list_is_rejected()
    {
        var rejected = AssertRejected(Decide(OrchestratorState.Empty, new DefineTasks(null!)), "tasks");

        Assert.Null(rejected.Value);
        Assert.Contains($"1 to {DomainLimits.DefaultMaxBatchDefinitions}", rejected.Reason);
    }

    [Fact]
    public void A_batch_over_the_limit_is_rejected_as_a_whole_naming_the_count_and_the_limit()
    {
        var limits = new DomainLimits(MaxBatchDefinitions: 3);
        var definitions = Enumerable.Range(0, 4).Select(i => Define($"t-{i}")).ToList();

        var over = Decide(OrchestratorState.Empty, new DefineTasks(definitions), limits: limits);
        var atTheLimit = Decide(OrchestratorState.Empty, new DefineTasks(definitions[..3]), limits: limits);

        var rejected = AssertRejected(over, "tasks");
        Assert.Equal("4 definitions", rejected.Value);
        Assert.Contains("1 to 3", rejected.Reason);
        Assert.Equal(3, atTheLimit.Events.Count);
    }

    [Fact]
    public void A_namespace_at_max_tasks_refuses_a_new_definition_naming_the_limit_but_answers_a_repeat_and_the_batch_defines_up_to_it()
    {
        var limits = new DomainLimits(MaxTasks: 3);
        var state = Given(Define("t-0"), Define("t-1"));

        var batch = Decide(state, new DefineTasks([Define("t-2"), Define("t-3"), Define("t-0")]), limits: limits);
        var full = Given(state, Define("t-2"));
        var beyond = Decide(full, Define("t-4"), limits: limits);
        var repeat = Decide(full, Define("t-1"), limits: limits);

        var results = Assert.IsType<TasksDefined>(batch.Reply).Results;
        Assert.Equal([DefinitionOutcome.Created, DefinitionOutcome.Invalid, DefinitionOutcome.Unchanged], results.Select(r => r.Outcome));
        Assert.Equal(("taskId", "t-3"), (results[1].Error!.Field, results[1].Error!.Value));
        Assert.Equal(["t-2"], batch.Events.Cast<TaskDefined>().Select(e => e.TaskId));
        var rejected = AssertRejected(beyond, "taskId");
        Assert.Equal("t-4", rejected.Value);
        Assert.Contains("would be task 4 of the namespace: it holds at most orchestrator.limits.max-tasks = 3", rejected.Reason);
        Assert.True(Assert.IsType<TaskDefinitionAccepted>(repeat.Reply).AlreadyDefined);
    }

    [Fact]
    public void A_batch_of_the_default_limit_defines_every_task_in_order()
    {
        var definitions = Enumerable.Range(0, DomainLimits.DefaultMaxBatchDefinitions).Select(i => Define($"t-{i:D4}")).ToList();

        var decision = Decide(OrchestratorState.Empty, new DefineTasks(definitions));

        Assert.All(Assert.IsType<TasksDefined>(decision.Reply).Results, r => Assert.Equal(DefinitionOutcome.Created, r.Outcome));
        Assert.Equal(definitions.Select(d => d.TaskId), decision.Events.Cast<TaskDefined>().Select(e => e.TaskId));
        Assert.Equal(definitions.Select(d => d.TaskId), decision.After!.Tasks.Values.OrderBy(t => t.Ordinal).Select(t => t.TaskId));
    }

    // ---- items ---------------------------------------------------------------------------------

    [Fact]
    public void A_definition_in_another_namespace_than_the_batch_is_invalid_and_the_others_are_decided()
    {
        var batch = new DefineTasks(
        [
            Define("unset"),
            Define("same") with { Namespace = "team-a" },
            Define("other") with { Namespace = "team-b" },
        ]) { Namespace = "team-a" };

        var decision = Decide(OrchestratorState.Empty, batch);

        var results = Assert.IsType<TasksDefined>(decision.Reply).Results;
        Assert.Equal([DefinitionOutcome.Created, DefinitionOutcome.Created, DefinitionOutcome.Invalid], results.Select(r => r.Outcome));
        Assert.Equal(("namespace", "team-b"), (results[2].Error!.Field, results[2].Error!.Value));
        Assert.Contains("'team-a'", results[2].Error!.Reason);
        Assert.Equal(["unset", "same"], decision.Events.Cast<TaskDefined>().Select(e => e.TaskId));
    }

    [Fact]
    public void A_null_definition_is_invalid_at_its_index()
    {
        var decision = Decide(OrchestratorState.Empty, new DefineTasks([Define("t-0"), null!, Define("t-2")]));

        var results = Assert.IsType<TasksDefined>(decision.Reply).Results;
        Assert.Equal([DefinitionOutcome.Created, DefinitionOutcome.Invalid, DefinitionOutcome.Created], results.Select(r => r.Outcome));
        Assert.Null(results[1].TaskId);
        Assert.Equal("tasks[1]", results[1].Error!.Field);
        Assert.Equal(2, decision.Events.Count);
    }
}
