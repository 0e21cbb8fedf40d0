using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class ClaimSpecs
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static List<string> ClaimOrder(Scenario scenario, string agent, int count) =>
        Enumerable.Range(0, count).Select(_ => scenario.Claim(agent).Task.TaskId).ToList();

    // ---- READY -> CLAIMED ----------------------------------------------------------------------

    [Fact]
    public void Claim_of_a_ready_task_journals_one_claim_with_the_first_claim_id_attempt_1_and_the_default_lease()
    {
        // Given a READY task for agent-a
        var scenario = new Scenario().Given(Task("t-1", payload: """{"n":1}""")).Advance(Second);

        // When agent-a claims
        var decision = scenario.When(new ClaimTask("agent-a"));

        // Then one TaskClaimed: claim-1, attempt 1, the policy's 30 s lease from now
        var lease = LifecyclePolicy.Default.Lease;
        var now = T0 + Second;
        Assert.Equal(new TaskClaimed("t-1", "agent-a", "claim-1", 1, lease, now + lease, now), Assert.Single(decision.Events));
        var assigned = Assert.IsType<TaskAssigned>(decision.Reply);
        Assert.Equal(("claim-1", now + lease, """{"n":1}"""), (assigned.ClaimId, assigned.LeaseUntil, assigned.Payload));
        Assert.Equal(TaskState.Claimed, assigned.Task.Status);
        Assert.Equal(new ClaimInfo("claim-1", "agent-a", 1, now, lease, now + lease), assigned.Task.Claim);
        Assert.Equal(1, assigned.Task.Attempts);
        Assert.Equal(now, assigned.Task.UpdatedAt);
    }

    [Fact]
    public void Claimed_task_is_not_ready_any_more_and_has_its_lease_end_as_deadline()
    {
        var scenario = new Scenario().Given(Task("t-1"));

        var assigned = scenario.Claim("agent-a");

        Assert.Equal(TaskState.Claimed, scenario["t-1"].Status);
        Assert.Null(scenario.State.NextReadyFor("agent-a"));
        Assert.Equal(assigned.LeaseUntil, scenario.State.NextDeadline);
        Assert.Equal(new NoTaskReady("agent-a"), scenario.Decide(new ClaimTask("agent-a")).Reply);
    }

    [Fact]
    public void Claim_ids_count_up_across_tasks_and_agents()
    {
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2", "*"), Task("t-3", "agent-b"));

        var ids = new[] { scenario.Claim("agent-a"), scenario.Claim("agent-b"), scenario.Claim("agent-b") }.Select(a => a.ClaimId);

        Assert.Equal(["claim-1", "claim-2", "claim-3"], ids);
        Assert.Equal(4, scenario.State.NextClaim);
    }

    [Fact]
    public void An_agent_may_hold_several_claims_at_once()
    {
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2"));

        scenario.Claim("agent-a");
        scenario.Claim("agent-a");

        Assert.All(new[] { scenario["t-1"], scenario["t-2"] }, t => Assert.Equal(("agent-a", TaskState.Claimed), (t.Claim!.Agent, t.Status)));
    }

    [Fact]
    public void Each_claim_of_the_same_task_is_the_next_attempt()
    {
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 5));

        var first = scenario.Claim("agent-a");
        scenario.Fail(first).AdvanceTo(scenario["t-1"].RetryAt!.Value).ProcessDeadlines();
        var second = scenario.Claim("agent-a");

        Assert.Equal((1, 2), (first.Task.Attempts, second.Task.Attempts));
        Assert.Equal(2, Assert.IsType<TaskClaimed>(scenario.Journal.Last()).Attempt);
        Assert.Equal(2, second.Task.Claim!.Attempt);
    }

    // ---- order ---------------------------------------------------------------------------------

    [Fact]
    public void Claims_hand_out_the_highest_priority_first()
    {
        var scenario = new Scenario().Given(
            Task("low", priority: "LOW"), Task("medium"), Task("critical", priority: "CRITICAL"), Task("high", priority: "HIGH"));

        Assert.Equal(["critical", "high", "medium", "low"], ClaimOrder(scenario, "agent-a", 4));
    }

    [Fact]
    public void Claims_within_a_priority_are_first_come_first_served()
    {
        // Ids that sort neither alphabetically nor by hash in definition order
        var ids = new[] { "t-9", "t-2", "t-7", "t-1", "t-5" };
        var scenario = new Scenario();
        foreach (var id in ids) scenario.Given(Task(id, priority: "HIGH")).Advance(Second);

        Assert.Equal(ids, ClaimOrder(scenario, "agent-a", ids.Length));
    }

    [Fact]
    public void Priority_beats_arrival_and_arrival_orders_each_priority()
    {
        var scenario = new Scenario().Given(
            Task("low-1", priority: "LOW"), Task("high-1", priority: "HIGH"), Task("low-2", priority: "LOW"), Task("high-2", priority: "HIGH"));

        Assert.Equal(["high-1", "high-2", "low-1", "low-2"], ClaimOrder(scenario, "agent-a", 4));
    }

    [Fact]
    public void A_task_queues_by_when_it_became_ready_not_when_it_was_defined()
    {
        // Given "late" defined first but waiting for "dep", and "early" READY meanwhile
        var scenario = new Scenario().Given(Task("dep", "agent-x"), Task("late", dependsOn: ["dep"]), Task("early"));
        scenario.Complete(scenario.Claim("agent-x"));
        Assert.Equal(TaskState.Ready, scenario["late"].Status);

        // Then "early", READY before "late", is handed out first
        Assert.Equal(["early", "late"], ClaimOrder(scenario, "agent-a", 2));
    }

    [Fact]
    public void A_task_back_from_a_retry_queues_behind_tasks_already_ready_at_its_priority()
    {
        // Given t-1 claimed and failed, then t-2 and t-3 READY at the same priority
        var scenario = new Scenario().Given(Task("t-1"));
        scenario.Fail(scenario.Claim("agent-a"));
        scenario.Given(Task("t-2"), Task("t-3"));

        // When t-1's retry is due
        scenario.AdvanceTo(scenario["t-1"].RetryAt!.Value).ProcessDeadlines();

        // Then it comes after the tasks that were READY before it came back
        Assert.Equal(TaskState.Ready, scenario["t-1"].Status);
        Assert.Equal(["t-2", "t-3", "t-1"], ClaimOrder(scenario, "agent-a", 3));
    }

    [Fact]
    public void A_task_back_from_a_retry_still_goes_before_lower_priorities()
    {
        var scenario = new Scenario().Given(Task("urgent", priority: "CRITICAL"));
        scenario.Fail(scenario.Claim("agent-a"));
        scenario.Given(Task("t-low", priority: "LOW"), Task("t-high", priority: "HIGH"));

        scenario.AdvanceTo(scenario["urgent"].RetryAt!.Value).ProcessDeadlines();

        Assert.Equal(["urgent", "t-high", "t-low"], ClaimOrder(scenario, "agent-a", 3));
    }

    [Fact]
    public void A_task_back_from_an_expired_lease_queues_behind_tasks_already_ready()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        var assigned = scenario.Claim("agent-a");
        scenario.Given(Task("t-2"));

        scenario.AdvanceTo(assigned.LeaseUntil).ProcessDeadlines();

        Assert.Equal(["t-2", "t-1"], ClaimOrder(scenario, "agent-a", 2));
    }

    // ---- who may claim what ----------------------------------------------------------------------

    [Fact]
    public void A_task_for_agent_a_is_never_handed_to_agent_b()
    {
        var scenario = new Scenario().Given(Task("for-a", "agent-a", priority: "CRITICAL"));

        var decision = scenario.When(new ClaimTask("agent-b"));

        Assert.Equal(new NoTaskReady("agent-b"), decision.Reply);
        Assert.DoesNotContain(decision.Events, e => e is TaskClaimed);
        Assert.Equal(TaskState.Ready, scenario["for-a"].Status);
        Assert.Equal("for-a", scenario.Claim("agent-a").Task.TaskId);
    }

    [Fact]
    public void Agent_b_gets_its_own_and_any_agent_tasks_but_not_agent_a_s()
    {
        var scenario = new Scenario().Given(
            Task("a-1", "agent-a", priority: "CRITICAL"), Task("b-1", "agent-b"), Task("any-1", "*", priority: "HIGH"), Task("a-2", "agent-a"));

        Assert.Equal(["any-1", "b-1"], ClaimOrder(scenario, "agent-b", 2));
        Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-b")).Reply);
        Assert.Equal(["a-1", "a-2"], ClaimOrder(scenario, "agent-a", 2));
    }

    [Theory]
    [InlineData("agent-a")]
    [InlineData("agent-z")]
    [InlineData("someone else entirely")]
    public void An_any_agent_task_is_handed_to_whoever_claims(string agent)
    {
        var scenario = new Scenario().Given(Task("shared", "*"));

        var assigned = scenario.Claim(agent);

        Assert.Equal(("shared", agent), (assigned.Task.TaskId, assigned.Task.Claim!.Agent));
        Assert.Equal("*", assigned.Task.Agent);
    }

    [Fact]
    public void Own_and_any_agent_tasks_are_merged_by_priority_then_arrival()
    {
        var scenario = new Scenario().Given(
            Task("any-med-1", "*"), Task("own-med-1"), Task("any-high", "*", priority: "HIGH"), Task("own-med-2"), Task("any-med-2", "*"));

        Assert.Equal(["any-high", "any-med-1", "own-med-1", "own-med-2", "any-med-2"], ClaimOrder(scenario, "agent-a", 5));
    }

    [Fact]
    public void Claiming_as_the_any_agent_star_is_rejected_without_an_event()
    {
        var scenario = new Scenario().Given(Task("shared", "*"));

        var rejected = AssertRejected(scenario.Decide(new ClaimTask(ProtocolNames.AnyAgent)), "agent");

        Assert.Equal("*", rejected.Value);
        Assert.Contains("one agent", rejected.Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(null)]
    public void Claiming_without_an_agent_is_rejected(string? agent)
    {
        var scenario = new Scenario().Given(Task("shared", "*"));

        AssertRejected(scenario.Decide(new ClaimTask(agent!)), "agent");
    }

    [Fact]
    public void Pending_tasks_are_not_handed_out()
    {
        var scenario = new Scenario().Given(Task("dep", "agent-x"), Task("waits", dependsOn: ["dep"]));

        Assert.Equal(new NoTaskReady("agent-a"), scenario.Decide(new ClaimTask("agent-a")).Reply);
    }

    [Fact]
    public void A_failed_task_is_handed_out_from_its_retry_time_even_before_the_timer_fires()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        scenario.Fail(scenario.Claim("agent-a"));
        var retryAt = scenario["t-1"].RetryAt!.Value;

        scenario.AdvanceTo(retryAt - TimeSpan.FromTicks(1));
        Assert.IsType<NoTaskReady>(scenario.Decide(new ClaimTask("agent-a")).Reply);

        // At the retry time the claim itself journals the retry first, in the same decision.
        scenario.AdvanceTo(retryAt);
        var decision = scenario.When(new ClaimTask("agent-a"));
        Assert.Equal(["RetryDue", "TaskClaimed"], decision.Events.Select(e => e.GetType().Name));
        Assert.Equal("t-1", Assert.IsType<TaskAssigned>(decision.Reply).Task.TaskId);
        Assert.Equal(["task-defined", "task-claimed", "task-failed", "retry-due", "task-claimed"],
            scenario["t-1"].History.Select(e => e.Event));
    }

    [Theory]
    [InlineData("COMPLETED")]
    [InlineData("DEAD")]
    [InlineData("CANCELLED")]
    public void Finished_tasks_are_not_handed_out(string end)
    {
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 1));
        if (end == "CANCELLED") scenario.Given(new CancelTask("t-1", "no longer needed"));
        else if (end == "COMPLETED") scenario.Complete(scenario.Claim("agent-a"));
        else scenario.Fail(scenario.Claim("agent-a"));
        Assert.Equal(end, ProtocolNames.Of(scenario["t-1"].Status));

        Assert.IsType<NoTaskReady>(scenario.Decide(new ClaimTask("agent-a")).Reply);
    }

    // ---- leases --------------------------------------------------------------------------------

    [Fact]
    public void Lease_asked_for_in_the_claim_is_used()
    {
        var scenario = new Scenario().Given(Task("t-1"));

        var assigned = scenario.Claim("agent-a", TimeSpan.FromMinutes(5));

        Assert.Equal(T0 + TimeSpan.FromMinutes(5), assigned.LeaseUntil);
        Assert.Equal(TimeSpan.FromMinutes(5), assigned.Task.Claim!.LeaseDuration);
    }

    [Fact]
    public void Lease_defaults_to_the_policy_lease()
    {
        var scenario = new Scenario(new LifecyclePolicy(DefaultLease: TimeSpan.FromSeconds(42))).Given(Task("t-1"));

        var assigned = scenario.Claim("agent-a");

        Assert.Equal(T0 + TimeSpan.FromSeconds(42), assigned.LeaseUntil);
    }

    [Theory]
    [InlineData(1)]       // the policy's shortest lease
    [InlineData(3600)]    // the policy's longest lease
    public void Lease_at_the_policy_bounds_is_accepted(int seconds)
    {
        var scenario = new Scenario().Given(Task("t-1"));

        var assigned = scenario.Claim("agent-a", TimeSpan.FromSeconds(seconds));

        Assert.Equal(T0.AddSeconds(seconds), assigned.LeaseUntil);
    }

    [Theory]
    [InlineData(999)]          // ms: just under the shortest
    [InlineData(0)]
    [InlineData(-1000)]
    [InlineData(3_600_001)]    // ms: just over the longest
    public void Lease_outside_the_policy_bounds_is_rejected_without_an_event(int milliseconds)
    {
        var scenario = new Scenario().Given(Task("t-1"));

        var rejected = AssertRejected(scenario.Decide(new ClaimTask("agent-a", TimeSpan.FromMilliseconds(milliseconds))), "lease");

        // Named as clients write durations: the value and the bounds
        Assert.Equal(ProtocolNames.Of(TimeSpan.FromMilliseconds(milliseconds)), rejected.Value);
        Assert.Contains("must be between 1s and 1h", rejected.Reason);
        Assert.Equal(TaskState.Ready, scenario["t-1"].Status);
    }

    [Fact]
    public void Lease_bounds_follow_the_policy()
    {
        var policy = new LifecyclePolicy(MinLease: TimeSpan.FromSeconds(10), MaxLease: TimeSpan.FromSeconds(20));
        var scenario = new Scenario(policy).Given(Task("t-1"));

        AssertRejected(scenario.Decide(new ClaimTask("agent-a", TimeSpan.FromSeconds(9))), "lease");
        AssertRejected(scenario.Decide(new ClaimTask("agent-a", TimeSpan.FromSeconds(21))), "lease");
        Assert.IsType<TaskAssigned>(scenario.Decide(new ClaimTask("agent-a", TimeSpan.FromSeconds(10))).Reply);
        Assert.IsType<TaskAssigned>(scenario.Decide(new ClaimTask("agent-a", TimeSpan.FromSeconds(20))).Reply);
    }

    // ---- no task ready -------------------------------------------------------------------------

    [Fact]
    public void No_task_ready_for_a_new_agent_journals_that_it_was_seen()
    {
        var scenario = new Scenario();

        var decision = scenario.When(new ClaimTask("agent-a"));

        Assert.Equal(new NoTaskReady("agent-a"), decision.Reply);
        Assert.Equal(new AgentSeen("agent-a", T0), Assert.Single(decision.Events));
        Assert.Equal(new AgentRecord("agent-a", [], false, null, T0), scenario.State.Agents["agent-a"]);
    }

    [Fact]
    public void An_idle_agent_is_journaled_as_seen_at_most_once_per_resolution()
    {
        var resolution = TimeSpan.FromSeconds(10);
        var scenario = new Scenario(new LifecyclePolicy(AgentSeenResolution: resolution));
        scenario.When(new ClaimTask("agent-a"));

        // Within the resolution: answered, nothing journaled
        scenario.Advance(resolution - TimeSpan.FromTicks(1));
        var soon = scenario.When(new ClaimTask("agent-a"));
        // At the resolution: journaled again
        scenario.Advance(TimeSpan.FromTicks(1));
        var later = scenario.When(new ClaimTask("agent-a"));

        Assert.Equal(new NoTaskReady("agent-a"), soon.Reply);
        Assert.Empty(soon.Events);
        Assert.Equal(new AgentSeen("agent-a", T0 + resolution), Assert.Single(later.Events));
        Assert.Equal(T0 + resolution, scenario.State.Agents["agent-a"].LastSeen);
    }

    [Fact]
    public void An_agent_seen_recently_through_other_work_is_not_journaled_as_seen()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        scenario.Claim("agent-a");
        scenario.Advance(TimeSpan.FromSeconds(5));

        var decision = scenario.When(new ClaimTask("agent-a"));

        Assert.Equal(new NoTaskReady("agent-a"), decision.Reply);
        Assert.Empty(decision.Events);
    }
}
