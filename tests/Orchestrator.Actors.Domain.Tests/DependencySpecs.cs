using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class DependencySpecs
{
    /// <summary>A -> B, A -> C, B + C -> D, each for any agent.</summary>
    private static Scenario Diamond(int maxAttemptsOfA = 3) => new Scenario().Given(
        Task("a", "*", maxAttempts: maxAttemptsOfA),
        Task("b", "*", dependsOn: ["a"]),
        Task("c", "*", dependsOn: ["a"]),
        Task("d", "*", dependsOn: ["b", "c"]));

    private static Dictionary<string, TaskState> States(Scenario scenario) =>
        scenario.State.Tasks.ToDictionary(t => t.Key, t => t.Value.Status);

    private static TaskAssigned ClaimOf(Scenario scenario, string agent, string expectedTask)
    {
        var assigned = scenario.Claim(agent);
        Assert.Equal(expectedTask, assigned.Task.TaskId);
        return assigned;
    }

    // ---- definition with dependencies ----------------------------------------------------------

    [Fact]
    public void Task_depending_on_an_incomplete_task_is_pending()
    {
        var scenario = new Scenario().Given(Task("a"));

        var decision = scenario.When(Task("b", dependsOn: ["a"]));

        var accepted = Assert.IsType<TaskDefinitionAccepted>(decision.Reply);
        Assert.Equal(TaskState.Pending, accepted.Task.Status);
        Assert.Equal(["a"], accepted.Task.DependsOn!);
        Assert.Equal(["b"], scenario.State.DependantsOf("a"));
        Assert.Equal("waits for a", Assert.Single(scenario["b"].History).Detail);
    }

    [Fact]
    public void Task_depending_only_on_completed_tasks_is_ready_at_once()
    {
        var scenario = new Scenario().Given(Task("a"));
        scenario.Complete(scenario.Claim("agent-a"));

        var decision = scenario.When(Task("b", dependsOn: ["a"]));

        Assert.Equal(TaskState.Ready, Assert.IsType<TaskDefinitionAccepted>(decision.Reply).Task.Status);
        Assert.Equal("b", scenario.State.NextReadyFor("agent-a")?.TaskId);
    }

    [Theory]
    [InlineData("CLAIMED")]
    [InlineData("FAILED")]
    public void Task_may_depend_on_a_task_that_is_still_running_or_retrying(string dependencyState)
    {
        var scenario = new Scenario().Given(Task("a"));
        var assigned = scenario.Claim("agent-a");
        if (dependencyState == "FAILED") scenario.Fail(assigned);

        var decision = scenario.When(Task("b", dependsOn: ["a"]));

        Assert.Equal(TaskState.Pending, Assert.IsType<TaskDefinitionAccepted>(decision.Reply).Task.Status);
    }

    [Fact]
    public void Dependency_on_an_undefined_task_is_rejected_naming_it()
    {
        var decision = new Scenario().Given(Task("a")).Decide(Task("b", dependsOn: ["a", "ghost"]));

        var rejected = AssertRejected(decision, "dependsOn");
        Assert.Equal("ghost", rejected.Value);
        Assert.Contains("not a defined task", rejected.Reason);
    }

    [Fact]
    public void Dependency_on_itself_is_rejected_naming_the_cycle()
    {
        var decision = new Scenario().Decide(Task("t", dependsOn: ["t"]));

        var rejected = AssertRejected(decision, "dependsOn");
        Assert.Equal("t", rejected.Value);
        Assert.Contains("t -> t", rejected.Reason);
    }

    [Fact]
    public void Dependency_on_itself_among_defined_tasks_is_rejected_naming_the_cycle()
    {
        var decision = new Scenario().Given(Task("a")).Decide(Task("t", dependsOn: ["a", "t"]));

        Assert.Contains("t -> t", AssertRejected(decision, "dependsOn").Reason);
    }

    [Theory]
    [InlineData("DEAD")]
    [InlineData("CANCELLED")]
    public void Dependency_on_a_task_that_can_never_complete_is_rejected_naming_its_state(string end)
    {
        var scenario = new Scenario().Given(Task("a", maxAttempts: 1));
        if (end == "DEAD") scenario.Fail(scenario.Claim("agent-a"));
        else scenario.Given(new CancelTask("a", "dropped"));

        var rejected = AssertRejected(scenario.Decide(Task("b", dependsOn: ["a"])), "dependsOn");

        Assert.Equal("a", rejected.Value);
        Assert.Contains(end, rejected.Reason);
    }

    [Fact]
    public void Repeated_dependency_ids_count_once()
    {
        var scenario = new Scenario().Given(Task("a"));

        var decision = scenario.When(Task("b", dependsOn: ["a", "a", "a"]));

        Assert.Equal(["a"], Assert.IsType<TaskDefined>(Assert.Single(decision.Events)).DependsOn!);
        Assert.Equal(["b"], scenario.State.DependantsOf("a"));
    }

    [Fact]
    public void Every_listed_dependency_counts_towards_the_limit_repeats_included()
    {
        var scenario = new Scenario(new LifecyclePolicy(MaxDependencies: 2)).Given(Task("a"));

        var rejected = AssertRejected(scenario.Decide(Task("t", dependsOn: ["a", "a", "a"])), "dependsOn");

        Assert.Equal("3 ids", rejected.Value);
    }

    [Fact]
    public void More_dependencies_than_the_policy_allows_are_rejected()
    {
        var scenario = new Scenario(new LifecyclePolicy(MaxDependencies: 2)).Given(Task("a"), Task("b"), Task("c"));

        var rejected = AssertRejected(scenario.Decide(Task("t", dependsOn: ["a", "b", "c"])), "dependsOn");

        Assert.Contains("2", rejected.Reason);
        Assert.IsType<TaskDefinitionAccepted>(scenario.Decide(Task("t", dependsOn: ["a", "b"])).Reply);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a#b")]
    public void Dependency_with_an_invalid_id_is_rejected(string id)
    {
        AssertRejected(new Scenario().Decide(Task("t", dependsOn: [id])), "dependsOn");
    }

    // ---- attempts and payload ------------------------------------------------------------------

    [Fact]
    public void Max_attempts_defaults_to_the_policy_and_is_written_into_the_event()
    {
        var scenario = new Scenario(new LifecyclePolicy(DefaultMaxAttempts: 7));

        var decision = scenario.When(Task("t"));

        Assert.Equal(7, Assert.IsType<TaskDefined>(Assert.Single(decision.Events)).MaxAttempts);
        Assert.Equal(7, scenario["t"].MaxAttempts);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public void Max_attempts_from_1_to_the_limit_is_accepted(int maxAttempts)
    {
        var decision = new Scenario().Decide(Task("t", maxAttempts: maxAttempts));

        Assert.Equal(maxAttempts, Assert.IsType<TaskDefinitionAccepted>(decision.Reply).Task.MaxAttempts);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public void Max_attempts_outside_1_to_the_limit_is_rejected(int maxAttempts)
    {
        var rejected = AssertRejected(new Scenario().Decide(Task("t", maxAttempts: maxAttempts)), "maxAttempts");

        Assert.Equal(maxAttempts.ToString(), rejected.Value);
        Assert.Contains("1000", rejected.Reason);
    }

    [Fact]
    public void Max_attempts_limit_follows_the_policy()
    {
        var scenario = new Scenario(new LifecyclePolicy(MaxAttemptsLimit: 5));

        AssertRejected(scenario.Decide(Task("t", maxAttempts: 6)), "maxAttempts");
        Assert.IsType<TaskDefinitionAccepted>(scenario.Decide(Task("t", maxAttempts: 5)).Reply);
    }

    [Fact]
    public void Payload_is_kept_and_read_back_with_the_task()
    {
        var scenario = new Scenario().Given(Task("t", payload: """{"url":"https://example.org"}"""));

        var found = Assert.IsType<TaskFound>(scenario.Ask(new GetTask("t")));

        Assert.Equal("""{"url":"https://example.org"}""", found.Payload);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("")]
    [InlineData("hello")]
    public void Payload_that_is_not_json_is_rejected(string payload)
    {
        AssertRejected(new Scenario().Decide(Task("t", payload: payload)), "payload");
    }

    [Fact]
    public void Payload_over_the_document_limit_is_rejected()
    {
        var scenario = new Scenario(limits: new DomainLimits(MaxDocumentBytes: 8));

        AssertRejected(scenario.Decide(Task("t", payload: "\"1234567\"")), "payload");
        Assert.IsType<TaskDefinitionAccepted>(scenario.Decide(Task("t", payload: "\"123456\"")).Reply);
    }

    [Fact]
    public void Who_defined_a_task_is_kept_and_a_blank_name_is_rejected()
    {
        var scenario = new Scenario().Given(new DefineTask("t", "agent-a", "tasks/t.md", By: "planner"));

        Assert.Equal("planner", scenario["t"].DefinedBy);
        Assert.Equal("planner", Assert.Single(scenario["t"].History).By);
        AssertRejected(scenario.Decide(new DefineTask("u", "agent-a", "tasks/u.md", By: " ")), "by");
    }

    // ---- idempotent repeat and conflict --------------------------------------------------------

    [Fact]
    public void Identical_repeat_with_dependencies_attempts_and_payload_is_already_defined()
    {
        var scenario = new Scenario().Given(Task("a"), Task("b", dependsOn: ["a"], maxAttempts: 5, payload: "[1]"));

        var decision = scenario.Decide(Task("b", dependsOn: ["a", "a"], maxAttempts: 5, payload: "[1]"));

        Assert.Empty(decision.Events);
        Assert.True(Assert.IsType<TaskDefinitionAccepted>(decision.Reply).AlreadyDefined);
    }

    [Fact]
    public void Repeat_listing_the_same_dependencies_in_another_order_is_already_defined()
    {
        var scenario = new Scenario().Given(Task("a"), Task("b"), Task("c", dependsOn: ["a", "b"]));

        var decision = scenario.Decide(Task("c", dependsOn: ["b", "a"]));

        Assert.Empty(decision.Events);
        Assert.True(Assert.IsType<TaskDefinitionAccepted>(decision.Reply).AlreadyDefined);
    }

    [Fact]
    public void Identical_repeat_is_already_defined_even_after_its_dependency_died()
    {
        var scenario = new Scenario().Given(Task("a", maxAttempts: 1), Task("b", dependsOn: ["a"]));
        scenario.Fail(scenario.Claim("agent-a"));

        var decision = scenario.Decide(Task("b", dependsOn: ["a"]));

        Assert.Empty(decision.Events);
        var accepted = Assert.IsType<TaskDefinitionAccepted>(decision.Reply);
        Assert.Equal((true, TaskState.Dead), (accepted.AlreadyDefined, accepted.Task.Status));
    }

    [Theory]
    [InlineData("dependsOn")]
    [InlineData("maxAttempts")]
    [InlineData("payload")]
    [InlineData("no payload")]
    [InlineData("no dependencies")]
    public void Repeat_differing_in_dependencies_attempts_or_payload_is_a_conflict(string differs)
    {
        var scenario = new Scenario().Given(Task("a"), Task("other"), Task("b", dependsOn: ["a"], maxAttempts: 5, payload: "[1]"));
        var repeat = differs switch
        {
            "dependsOn" => Task("b", dependsOn: ["a", "other"], maxAttempts: 5, payload: "[1]"),
            "maxAttempts" => Task("b", dependsOn: ["a"], maxAttempts: 4, payload: "[1]"),
            "payload" => Task("b", dependsOn: ["a"], maxAttempts: 5, payload: "[2]"),
            "no payload" => Task("b", dependsOn: ["a"], maxAttempts: 5),
            _ => Task("b", maxAttempts: 5, payload: "[1]"),
        };

        var decision = scenario.Decide(repeat);

        Assert.Empty(decision.Events);
        var conflict = Assert.IsType<TaskDefinitionConflict>(decision.Reply);
        Assert.Equal(["a"], conflict.Existing.DependsOn!);
        Assert.Equal(5, conflict.Existing.MaxAttempts);
        Assert.Equal("[1]", scenario["b"].Payload);
    }

    [Fact]
    public void Repeat_that_leaves_max_attempts_out_does_not_conflict_with_the_resolved_attempts()
    {
        var scenario = new Scenario().Given(Task("t", maxAttempts: 5));

        var decision = scenario.Decide(Task("t"));

        Assert.True(Assert.IsType<TaskDefinitionAccepted>(decision.Reply).AlreadyDefined);
    }

    // ---- the diamond: A -> B, A -> C, B + C -> D -----------------------------------------------

    [Fact]
    public void Diamond_starts_with_only_its_root_ready()
    {
        var scenario = Diamond();

        Assert.Equal(
            new Dictionary<string, TaskState> { ["a"] = TaskState.Ready, ["b"] = TaskState.Pending, ["c"] = TaskState.Pending, ["d"] = TaskState.Pending },
            States(scenario));
        Assert.Equal(["b", "c"], scenario.State.DependantsOf("a"));
        Assert.Equal(["d"], scenario.State.DependantsOf("b"));
        Assert.Equal(["d"], scenario.State.DependantsOf("c"));
    }

    [Fact]
    public void Diamond_completing_the_root_makes_both_middle_tasks_ready_by_the_completing_agent()
    {
        var scenario = Diamond();
        var a = ClaimOf(scenario, "agent-1", "a");
        scenario.Advance(TimeSpan.FromSeconds(5));

        var decision = scenario.When(new CompleteTask("a", "agent-1", a.ClaimId));

        Assert.Equal(
            [
                Json(new TaskCompleted("a", "agent-1", a.ClaimId, null, scenario.Now)),
                Json(new DependenciesMet("b", "a", "agent-1", scenario.Now)),
                Json(new DependenciesMet("c", "a", "agent-1", scenario.Now)),
            ],
            decision.Events.Select(Json));
        Assert.Equal((TaskState.Ready, TaskState.Ready, TaskState.Pending), (scenario["b"].Status, scenario["c"].Status, scenario["d"].Status));
        var met = scenario["b"].History.Last();
        Assert.Equal(("dependencies-met", TaskState.Pending, TaskState.Ready, "agent-1"), (met.Event, met.From, met.To, met.By));
    }

    [Fact]
    public void Diamond_completed_in_a_valid_order_readies_the_join_only_when_both_sides_are_complete()
    {
        var scenario = Diamond();
        scenario.Complete(ClaimOf(scenario, "agent-1", "a"));
        var b = ClaimOf(scenario, "agent-1", "b");
        var c = ClaimOf(scenario, "agent-2", "c");

        var completeB = scenario.When(new CompleteTask("b", "agent-1", b.ClaimId));
        var dAfterB = scenario["d"].Status;
        var completeC = scenario.When(new CompleteTask("c", "agent-2", c.ClaimId));

        Assert.IsType<TaskCompleted>(Assert.Single(completeB.Events));
        Assert.Equal(TaskState.Pending, dAfterB);
        Assert.Equal(Json(new DependenciesMet("d", "c", "agent-2", scenario.Now)), Json(completeC.Events[1]));
        Assert.Equal(TaskState.Ready, scenario["d"].Status);
        scenario.Complete(ClaimOf(scenario, "agent-3", "d"));
        Assert.All(States(scenario).Values, s => Assert.Equal(TaskState.Completed, s));
    }

    [Fact]
    public void Diamond_root_failing_to_dead_kills_every_dependant_once_with_reasons_naming_the_dependency_and_the_root()
    {
        var scenario = Diamond(maxAttemptsOfA: 1);
        var a = ClaimOf(scenario, "agent-1", "a");

        var decision = scenario.When(new FailTask("a", "agent-1", a.ClaimId, "boom"));

        var now = scenario.Now;
        Assert.Equal(
            [
                Json(new TaskFailed("a", "agent-1", a.ClaimId, "boom", 1, null, now)),
                Json(new TaskKilled("b", "a", "dependency 'a' is DEAD", "agent-1", now)),
                Json(new TaskKilled("c", "a", "dependency 'a' is DEAD", "agent-1", now)),
                Json(new TaskKilled("d", "b", "dependency 'b' is DEAD (because 'a' is DEAD)", "agent-1", now)),
            ],
            decision.Events.Select(Json));
        Assert.All(States(scenario).Values, s => Assert.Equal(TaskState.Dead, s));
        Assert.Equal(("b", "dependency 'b' is DEAD (because 'a' is DEAD)"), (scenario["d"].KilledBy, scenario["d"].Reason));
        var killed = scenario["d"].History.Last();
        Assert.Equal(("task-killed", TaskState.Pending, TaskState.Dead, "agent-1"), (killed.Event, killed.From, killed.To, killed.By));
    }

    [Fact]
    public void Diamond_side_dying_kills_the_join_but_leaves_the_completed_side_completed()
    {
        var scenario = new Scenario().Given(
            Task("a", "*"), Task("b", "*", dependsOn: ["a"]), Task("c", "*", dependsOn: ["a"], maxAttempts: 1), Task("d", "*", dependsOn: ["b", "c"]));
        scenario.Complete(ClaimOf(scenario, "agent-1", "a"));
        scenario.Complete(ClaimOf(scenario, "agent-1", "b"));

        scenario.Fail(ClaimOf(scenario, "agent-2", "c"));

        Assert.Equal(
            new Dictionary<string, TaskState> { ["a"] = TaskState.Completed, ["b"] = TaskState.Completed, ["c"] = TaskState.Dead, ["d"] = TaskState.Dead },
            States(scenario));
        Assert.Equal(("c", "dependency 'c' is DEAD"), (scenario["d"].KilledBy, scenario["d"].Reason));
    }

    [Fact]
    public void Killing_follows_a_chain_naming_each_direct_dependency_and_the_root()
    {
        var scenario = new Scenario().Given(
            Task("a", maxAttempts: 1), Task("b", dependsOn: ["a"]), Task("c", dependsOn: ["b"]), Task("d", dependsOn: ["c"]));

        scenario.Fail(scenario.Claim("agent-a"));

        var killed = scenario.Journal.OfType<TaskKilled>().Select(k => (k.TaskId, k.Dependency, k.Reason)).ToList();
        Assert.Equal(
            [
                ("b", "a", "dependency 'a' is DEAD"),
                ("c", "b", "dependency 'b' is DEAD (because 'a' is DEAD)"),
                ("d", "c", "dependency 'c' is DEAD (because 'a' is DEAD)"),
            ],
            killed);
    }

    [Fact]
    public void A_failure_with_attempts_left_kills_nothing()
    {
        var scenario = Diamond();

        scenario.Fail(ClaimOf(scenario, "agent-1", "a"));

        Assert.Empty(scenario.Journal.OfType<TaskKilled>());
        Assert.Equal(TaskState.Pending, scenario["d"].Status);
    }
}
