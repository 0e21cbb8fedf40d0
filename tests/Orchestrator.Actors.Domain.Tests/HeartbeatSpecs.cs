using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;
using LeaseRenewedEvent = Orchestrator.Actors.Protocol.Events.LeaseRenewed;
using LeaseRenewedReply = Orchestrator.Actors.Protocol.Replies.LeaseRenewed;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class HeartbeatSpecs
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static (Scenario Scenario, TaskAssigned Assigned) Claimed(LifecyclePolicy? policy = null)
    {
        var scenario = new Scenario(policy).Given(Task("t-1"));
        return (scenario, scenario.Claim("agent-a", Lease));
    }

    [Fact]
    public void Heartbeat_extends_the_lease_from_now_by_the_claim_s_lease()
    {
        // Given a claim with a 30 s lease, 20 s into it
        var (scenario, assigned) = Claimed();
        scenario.Advance(TimeSpan.FromSeconds(20));
        var now = scenario.Now;

        // When its holder sends a heartbeat
        var decision = scenario.When(new Heartbeat("t-1", "agent-a", assigned.ClaimId));

        // Then the lease runs 30 s from now
        Assert.Equal(new LeaseRenewedEvent("t-1", "agent-a", "claim-1", Lease, now + Lease, now), Assert.Single(decision.Events));
        Assert.Equal(new LeaseRenewedReply("t-1", "claim-1", now + Lease), decision.Reply);
        Assert.Equal(now + Lease, scenario["t-1"].Claim!.LeaseUntil);
        Assert.Equal(now + Lease, scenario.State.NextDeadline);
    }

    [Fact]
    public void Heartbeat_keeps_the_claim_past_its_first_lease_end()
    {
        var (scenario, assigned) = Claimed();
        scenario.Advance(TimeSpan.FromSeconds(20)).Given(new Heartbeat("t-1", "agent-a", assigned.ClaimId));

        // At the first lease's end nothing is due
        scenario.AdvanceTo(assigned.LeaseUntil);
        var atOldEnd = scenario.ProcessDeadlines();

        Assert.Empty(atOldEnd.Events);
        Assert.Equal(TaskState.Claimed, scenario["t-1"].Status);
    }

    [Fact]
    public void Heartbeat_with_a_new_lease_uses_it_now_and_for_later_heartbeats()
    {
        var (scenario, assigned) = Claimed();

        scenario.Given(new Heartbeat("t-1", "agent-a", assigned.ClaimId, TimeSpan.FromMinutes(2)));
        scenario.Advance(TimeSpan.FromMinutes(1));
        var later = scenario.When(new Heartbeat("t-1", "agent-a", assigned.ClaimId));

        Assert.Equal(TimeSpan.FromMinutes(2), scenario["t-1"].Claim!.LeaseDuration);
        Assert.Equal(scenario.Now + TimeSpan.FromMinutes(2), Assert.IsType<LeaseRenewedReply>(later.Reply).LeaseUntil);
    }

    [Fact]
    public void Heartbeat_makes_no_history_entry_but_counts_as_the_agent_being_seen()
    {
        var (scenario, assigned) = Claimed();
        var historyBefore = scenario["t-1"].History;
        scenario.Advance(TimeSpan.FromSeconds(7));

        var decision = scenario.When(new Heartbeat("t-1", "agent-a", assigned.ClaimId));

        Assert.Null(OrchestratorDomain.Describe(scenario.State, Assert.Single(decision.Events)));
        Assert.Equal(historyBefore, scenario["t-1"].History);
        Assert.Equal(scenario.Now, scenario.State.Agents["agent-a"].LastSeen);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(3_600_001)]
    public void Heartbeat_asking_for_a_lease_outside_the_policy_bounds_is_rejected(int milliseconds)
    {
        var (scenario, assigned) = Claimed();

        AssertRejected(scenario.Decide(new Heartbeat("t-1", "agent-a", assigned.ClaimId, TimeSpan.FromMilliseconds(milliseconds))), "lease");
    }

    [Theory]
    [InlineData("", "agent-a", "taskId")]
    [InlineData("t-1", "*", "agent")]
    [InlineData("t-1", "", "agent")]
    public void Heartbeat_with_an_invalid_task_or_agent_is_rejected(string taskId, string agent, string field)
    {
        var (scenario, _) = Claimed();

        AssertRejected(scenario.Decide(new Heartbeat(taskId, agent)), field);
    }

    [Fact]
    public void Heartbeat_with_an_invalid_claim_id_is_rejected()
    {
        var (scenario, _) = Claimed();

        AssertRejected(scenario.Decide(new Heartbeat("t-1", "agent-a", "claim 1")), "claimId");
    }

    [Fact]
    public void Only_the_claimer_learns_the_whole_claim_id_and_the_public_part_fences_nothing()
    {
        var secrets = new Queue<string>(["9f3c2a1b7d4e6f80", "0123456789abcdef"]);
        var scenario = new Scenario { ClaimSecret = secrets.Dequeue }.Given(Task("t-1"));

        var assigned = scenario.Claim("agent-a");

        Assert.Equal("claim-1-9f3c2a1b7d4e6f80", assigned.ClaimId);
        // What anyone may read (the task, its history, the notices) shows claim-1 only.
        Assert.Equal("claim-1", scenario.State.Tasks["t-1"].ToView().Claim?.ClaimId);
        Assert.Equal("claim-1", scenario.State.Tasks["t-1"].History[^1].ClaimId);
        var guessed = scenario.Decide(new Heartbeat("t-1", "agent-a", "claim-1"));
        Assert.IsType<StaleClaim>(guessed.Reply);
        Assert.Empty(guessed.Events);
        Assert.DoesNotContain("9f3c", ((StaleClaim)guessed.Reply).Reason);
        Assert.Equal(assigned.ClaimId, Assert.IsType<LeaseRenewedReply>(scenario.When(new Heartbeat("t-1", "agent-a", assigned.ClaimId)).Reply).ClaimId);
    }

    [Fact]
    public void Heartbeat_for_an_unknown_task_is_not_found()
    {
        var (scenario, _) = Claimed();

        var decision = scenario.Decide(new Heartbeat("t-2", "agent-a", "claim-1"));

        Assert.Equal(new TaskNotFound("t-2"), decision.Reply);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Heartbeat_by_another_agent_is_rejected_naming_the_holder_and_the_claimed_state()
    {
        var (scenario, _) = Claimed();

        var rejected = AssertTransitionRejected(scenario.Decide(new Heartbeat("t-1", "agent-b", "claim-9")), "t-1", TaskState.Claimed, "heartbeat");

        Assert.Contains("agent-a", rejected.Reason);
    }

    [Fact]
    public void Heartbeat_for_a_ready_task_never_claimed_is_rejected_naming_ready()
    {
        var scenario = new Scenario().Given(Task("t-1"));

        AssertTransitionRejected(scenario.Decide(new Heartbeat("t-1", "agent-a", "claim-1")), "t-1", TaskState.Ready, "heartbeat");
    }

    [Fact]
    public void Heartbeat_from_a_claim_whose_lease_expired_is_stale()
    {
        var (scenario, assigned) = Claimed();
        scenario.AdvanceTo(assigned.LeaseUntil).ProcessDeadlines();

        var stale = AssertStale(scenario.Decide(new Heartbeat("t-1", "agent-a", assigned.ClaimId)), "t-1", "agent-a", "claim-1", TaskState.Ready);

        Assert.Contains("lease expired", stale.Reason);
    }

    [Fact]
    public void Heartbeat_from_an_old_claim_of_an_agent_that_claimed_the_task_again_is_stale()
    {
        var (scenario, old) = Claimed();
        scenario.AdvanceTo(old.LeaseUntil).ProcessDeadlines();
        var current = scenario.Claim("agent-a");

        var stale = AssertStale(scenario.Decide(new Heartbeat("t-1", "agent-a", old.ClaimId)), "t-1", "agent-a", old.ClaimId, TaskState.Claimed);

        Assert.Contains("claim-1", stale.Reason);
        Assert.Equal("claim-2", current.ClaimId);
        Assert.IsType<LeaseRenewedReply>(scenario.Decide(new Heartbeat("t-1", "agent-a", current.ClaimId)).Reply);
    }

    [Fact]
    public void Heartbeat_after_the_task_was_completed_is_stale_naming_completed()
    {
        var (scenario, assigned) = Claimed();
        scenario.Complete(assigned);

        var stale = AssertStale(scenario.Decide(new Heartbeat("t-1", "agent-a", assigned.ClaimId)), "t-1", "agent-a", "claim-1", TaskState.Completed);

        Assert.Contains("completed", stale.Reason);
    }

    [Fact]
    public void Heartbeat_after_the_task_was_cancelled_is_stale_naming_cancelled()
    {
        var (scenario, assigned) = Claimed();
        scenario.Given(new CancelTask("t-1", "not needed"));

        var stale = AssertStale(scenario.Decide(new Heartbeat("t-1", "agent-a", assigned.ClaimId)), "t-1", "agent-a", "claim-1", TaskState.Cancelled);

        Assert.Contains("cancelled", stale.Reason);
    }
}
