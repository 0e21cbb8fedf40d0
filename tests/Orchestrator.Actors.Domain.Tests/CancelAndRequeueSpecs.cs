using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class CancelAndRequeueSpecs
{
    /// <summary>A scenario with task "t" (any agent, <paramref name="maxAttempts"/>) brought into <paramref name="status"/>.</summary>
    private static Scenario TaskIn(TaskState status, int maxAttempts = 3)
    {
        var scenario = new Scenario().Given(Task("dep", "agent-x"));
        scenario.Given(Task("t", "*", maxAttempts: status == TaskState.Dead ? 1 : maxAttempts, dependsOn: status == TaskState.Pending ? ["dep"] : null));
        switch (status)
        {
            case TaskState.Claimed: scenario.Claim("agent-a"); break;
            case TaskState.Completed: scenario.Complete(scenario.Claim("agent-a")); break;
            case TaskState.Failed:
            case TaskState.Dead: scenario.Fail(scenario.Claim("agent-a")); break;
            case TaskState.Cancelled: scenario.Given(new CancelTask("t", "first")); break;
        }
        Assert.Equal(status, scenario["t"].Status);
        return scenario;
    }

    // ---- -> CANCELLED --------------------------------------------------------------------------

    [Theory]
    [InlineData(TaskState.Pending)]
    [InlineData(TaskState.Ready)]
    [InlineData(TaskState.Claimed)]
    [InlineData(TaskState.Failed)]
    public void Unfinished_task_is_cancelled_with_one_event(TaskState status)
    {
        // Less than the first retry delay (1 s), so that the FAILED task is still waiting for it.
        var scenario = TaskIn(status).Advance(TimeSpan.FromMilliseconds(500));

        var decision = scenario.When(new CancelTask("t", "not needed", "alice"));

        Assert.Equal(new TaskCancelled("t", "not needed", "alice", scenario.Now), Assert.Single(decision.Events));
        var view = Assert.IsType<TaskUpdated>(decision.Reply).Task;
        Assert.Equal((TaskState.Cancelled, "not needed", (ClaimInfo?)null, (DateTimeOffset?)null), (view.Status, view.Reason, view.Claim, view.RetryAt));
        Assert.Null(scenario.State.NextReadyFor("agent-a"));
        Assert.Null(scenario.State.NextDeadline);
        var entry = scenario["t"].History.Last();
        Assert.Equal(("task-cancelled", status, TaskState.Cancelled, "alice"), (entry.Event, entry.From, entry.To, entry.By));
    }

    [Fact]
    public void Cancel_without_a_name_is_by_the_operator()
    {
        var scenario = TaskIn(TaskState.Ready);

        var decision = scenario.When(new CancelTask("t", "dropped"));

        Assert.Equal(Causes.Operator, Assert.IsType<TaskCancelled>(Assert.Single(decision.Events)).By);
    }

    [Theory]
    [InlineData(TaskState.Completed)]
    [InlineData(TaskState.Dead)]
    public void Finished_task_cannot_be_cancelled(TaskState status)
    {
        var scenario = TaskIn(status);

        var rejected = AssertTransitionRejected(scenario.Decide(new CancelTask("t", "too late")), "t", status, "cancel");

        Assert.Contains("unfinished", rejected.Reason);
    }

    [Fact]
    public void Cancelling_a_cancelled_task_again_answers_it_without_an_event()
    {
        var scenario = TaskIn(TaskState.Cancelled);

        var decision = scenario.Decide(new CancelTask("t", "again"));

        Assert.Empty(decision.Events);
        Assert.Equal(new TaskUpdated(scenario["t"].ToView()), decision.Reply);
        Assert.Equal("first", scenario["t"].Reason);
    }

    [Fact]
    public void Cancelling_a_claimed_task_ends_the_claim_so_the_holder_is_stale_and_no_lease_expires()
    {
        var scenario = new Scenario().Given(Task("t"));
        var assigned = scenario.Claim("agent-a");
        scenario.Given(new CancelTask("t", "not needed"));

        var complete = scenario.Decide(new CompleteTask("t", "agent-a", assigned.ClaimId));
        scenario.AdvanceTo(assigned.LeaseUntil);
        var deadlines = scenario.ProcessDeadlines();

        var stale = AssertStale(complete, "t", "agent-a", "claim-1", TaskState.Cancelled);
        Assert.Contains("cancelled", stale.Reason);
        Assert.Empty(deadlines.Events);
        Assert.Equal("claim-1", scenario["t"].History.Last().ClaimId);
    }

    [Fact]
    public void Cancelling_a_failed_task_drops_its_retry()
    {
        var scenario = TaskIn(TaskState.Failed);
        var retryAt = scenario["t"].RetryAt!.Value;
        scenario.Given(new CancelTask("t", "stop retrying"));

        scenario.AdvanceTo(retryAt);

        Assert.Empty(scenario.ProcessDeadlines().Events);
        Assert.Equal(TaskState.Cancelled, scenario["t"].Status);
    }

    [Fact]
    public void Cancelling_kills_the_pending_dependants_transitively()
    {
        var scenario = new Scenario().Given(Task("a"), Task("b", dependsOn: ["a"]), Task("c", dependsOn: ["a"]), Task("d", dependsOn: ["b", "c"]));

        var decision = scenario.When(new CancelTask("a", "scrapped", "alice"));

        var now = scenario.Now;
        Assert.Equal(
            [
                Json(new TaskCancelled("a", "scrapped", "alice", now)),
                Json(new TaskKilled("b", "a", "dependency 'a' is CANCELLED", "alice", now)),
                Json(new TaskKilled("c", "a", "dependency 'a' is CANCELLED", "alice", now)),
                Json(new TaskKilled("d", "b", "dependency 'b' is DEAD (because 'a' is CANCELLED)", "alice", now)),
            ],
            decision.Events.Select(Json));
        Assert.Equal([TaskState.Cancelled, TaskState.Dead, TaskState.Dead, TaskState.Dead], new[] { "a", "b", "c", "d" }.Select(id => scenario[id].Status));
    }

    [Theory]
    [InlineData("", "r", null, "taskId")]
    [InlineData("t", "", null, "reason")]
    [InlineData("t", "  ", null, "reason")]
    [InlineData("t", "r", " ", "by")]
    public void Cancel_with_invalid_input_is_rejected(string taskId, string reason, string? by, string field)
    {
        AssertRejected(TaskIn(TaskState.Ready).Decide(new CancelTask(taskId, reason, by)), field);
    }

    [Fact]
    public void Cancel_of_an_unknown_task_is_not_found()
    {
        var decision = TaskIn(TaskState.Ready).Decide(new CancelTask("ghost", "r"));

        Assert.Equal(new TaskNotFound("ghost"), decision.Reply);
        Assert.Empty(decision.Events);
    }

    // ---- DEAD -> READY / PENDING (requeue) -----------------------------------------------------

    [Fact]
    public void Requeue_of_a_dead_task_makes_it_ready_with_its_attempts_reset()
    {
        var scenario = TaskIn(TaskState.Dead).Advance(TimeSpan.FromMinutes(1));

        var decision = scenario.When(new RequeueDeadTask("t", "alice"));

        Assert.Equal(new TaskRequeued("t", "alice", null, scenario.Now), Assert.Single(decision.Events));
        var view = Assert.IsType<TaskUpdated>(decision.Reply).Task;
        Assert.Equal((TaskState.Ready, 0, (string?)null), (view.Status, view.Attempts, view.Reason));
        Assert.Equal(1, scenario.Claim("agent-b").Task.Attempts);
    }

    [Fact]
    public void Requeued_task_gets_its_full_attempts_again()
    {
        var scenario = new Scenario().Given(Task("t", maxAttempts: 2));
        for (var i = 0; i < 2; i++)
        {
            scenario.Fail(scenario.Claim("agent-a"));
            if (scenario["t"].RetryAt is { } retryAt) scenario.AdvanceTo(retryAt).ProcessDeadlines();
        }
        Assert.Equal(TaskState.Dead, scenario["t"].Status);
        scenario.Given(new RequeueDeadTask("t"));

        scenario.Fail(scenario.Claim("agent-a"));

        Assert.Equal(TaskState.Failed, scenario["t"].Status);
        Assert.Equal([1, 2, 1], scenario.Journal.OfType<TaskClaimed>().Select(c => c.Attempt));
    }

    [Fact]
    public void Requeue_of_a_task_dead_from_an_expired_lease_works_too()
    {
        var scenario = new Scenario().Given(Task("t", maxAttempts: 1));
        scenario.AdvanceTo(scenario.Claim("agent-a").LeaseUntil).ProcessDeadlines();

        var decision = scenario.When(new RequeueDeadTask("t"));

        Assert.Equal(new TaskRequeued("t", Causes.Operator, null, scenario.Now), Assert.Single(decision.Events));
        Assert.Equal(TaskState.Ready, scenario["t"].Status);
    }

    [Theory]
    [InlineData(TaskState.Pending)]
    [InlineData(TaskState.Ready)]
    [InlineData(TaskState.Claimed)]
    [InlineData(TaskState.Failed)]
    [InlineData(TaskState.Completed)]
    [InlineData(TaskState.Cancelled)]
    public void Only_dead_tasks_can_be_requeued(TaskState status)
    {
        var scenario = TaskIn(status);

        var rejected = AssertTransitionRejected(scenario.Decide(new RequeueDeadTask("t")), "t", status, "requeue");

        Assert.Contains("DEAD", rejected.Reason);
    }

    [Fact]
    public void Requeue_of_a_task_killed_by_a_dead_dependency_is_rejected_naming_the_dependency()
    {
        var scenario = new Scenario().Given(Task("a", maxAttempts: 1), Task("b", dependsOn: ["a"]));
        scenario.Fail(scenario.Claim("agent-a"));

        var rejected = AssertTransitionRejected(scenario.Decide(new RequeueDeadTask("b")), "b", TaskState.Dead, "requeue");

        Assert.Contains("'a' is DEAD", rejected.Reason);
        Assert.Contains("requeue that one first", rejected.Reason);
    }

    [Fact]
    public void Requeue_of_a_task_killed_by_a_cancelled_dependency_is_rejected_naming_the_dependency()
    {
        var scenario = new Scenario().Given(Task("a"), Task("b", dependsOn: ["a"]), new CancelTask("a", "scrapped"));

        var rejected = AssertTransitionRejected(scenario.Decide(new RequeueDeadTask("b")), "b", TaskState.Dead, "requeue");

        Assert.Contains("'a' is CANCELLED", rejected.Reason);
    }

    [Fact]
    public void Requeue_of_an_unknown_task_is_not_found_and_of_an_invalid_id_rejected()
    {
        var scenario = TaskIn(TaskState.Dead);

        Assert.Equal(new TaskNotFound("ghost"), scenario.Decide(new RequeueDeadTask("ghost")).Reply);
        AssertRejected(scenario.Decide(new RequeueDeadTask("a b")), "taskId");
        AssertRejected(scenario.Decide(new RequeueDeadTask("t", "")), "by");
    }

    [Fact]
    public void Requeue_revives_the_dependants_that_died_because_of_it_as_pending()
    {
        // Given the diamond A -> B, A -> C, B + C -> D, dead because A failed for good
        var scenario = new Scenario().Given(
            Task("a", "*", maxAttempts: 1), Task("b", "*", dependsOn: ["a"]), Task("c", "*", dependsOn: ["a"]), Task("d", "*", dependsOn: ["b", "c"]));
        scenario.Fail(scenario.Claim("agent-1"));

        // When A is requeued
        var decision = scenario.When(new RequeueDeadTask("a", "alice"));

        // Then A is READY and B, C, D come back PENDING, each naming A
        var now = scenario.Now;
        Assert.Equal(
            [
                Json(new TaskRequeued("a", "alice", null, now)),
                Json(new TaskRequeued("b", "alice", "a", now)),
                Json(new TaskRequeued("c", "alice", "a", now)),
                Json(new TaskRequeued("d", "alice", "a", now)),
            ],
            decision.Events.Select(Json));
        Assert.Equal([TaskState.Ready, TaskState.Pending, TaskState.Pending, TaskState.Pending], new[] { "a", "b", "c", "d" }.Select(id => scenario[id].Status));
        Assert.All(new[] { "b", "c", "d" }, id => Assert.Null(scenario[id].KilledBy));
        Assert.Equal("came back with 'a'", scenario["d"].History.Last().Detail);

        // And the diamond can now run to the end
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            var assigned = scenario.Claim("agent-2");
            Assert.Equal(id, assigned.Task.TaskId);
            scenario.Complete(assigned);
        }
        Assert.All(scenario.State.Tasks.Values, t => Assert.Equal(TaskState.Completed, t.Status));
    }

    [Fact]
    public void Requeue_does_not_revive_a_dependant_blocked_by_another_dead_dependency_until_that_one_is_requeued()
    {
        // Given D depends on B (which depends on A) and on Y; Y died first and killed D, then A died and killed B
        var scenario = new Scenario().Given(
            Task("a", "agent-a", maxAttempts: 1), Task("y", "agent-y", maxAttempts: 1),
            Task("b", dependsOn: ["a"]), Task("d", dependsOn: ["b", "y"]));
        scenario.Fail(scenario.Claim("agent-y"));
        scenario.Fail(scenario.Claim("agent-a"));
        Assert.Equal(("y", "a"), (scenario["d"].KilledBy, scenario["b"].KilledBy));

        // When A is requeued, B comes back but D stays DEAD: Y is still DEAD
        var requeueA = scenario.When(new RequeueDeadTask("a"));

        Assert.Equal(["a", "b"], requeueA.Events.Cast<TaskRequeued>().Select(r => r.TaskId));
        Assert.Equal(TaskState.Dead, scenario["d"].Status);

        // When Y is requeued as well, D comes back
        var requeueY = scenario.When(new RequeueDeadTask("y"));

        Assert.Equal(["y", "d"], requeueY.Events.Cast<TaskRequeued>().Select(r => r.TaskId));
        Assert.Equal(TaskState.Pending, scenario["d"].Status);
    }

    [Fact]
    public void Requeue_does_not_revive_a_dependant_blocked_by_a_cancelled_dependency()
    {
        var scenario = new Scenario().Given(
            Task("a", maxAttempts: 1), Task("x"), Task("b", dependsOn: ["a"]), Task("d", dependsOn: ["b", "x"]),
            new CancelTask("x", "scrapped"));
        scenario.Fail(scenario.Claim("agent-a"));

        var decision = scenario.When(new RequeueDeadTask("a"));

        Assert.Equal(["a", "b"], decision.Events.Cast<TaskRequeued>().Select(r => r.TaskId));
        Assert.Equal((TaskState.Dead, "x"), (scenario["d"].Status, scenario["d"].KilledBy));
    }
}
