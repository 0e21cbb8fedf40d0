using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class DeadlineSpecs
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public void Processing_deadlines_when_none_is_due_journals_nothing()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        var assigned = scenario.Claim("agent-a");
        scenario.AdvanceTo(assigned.LeaseUntil - Tick);

        var decision = scenario.ProcessDeadlines();

        Assert.Empty(decision.Events);
        Assert.Equal(new DeadlinesProcessed(0), decision.Reply);
        Assert.Equal(TaskState.Claimed, scenario["t-1"].Status);
    }

    [Fact]
    public void Processing_deadlines_of_an_empty_state_journals_nothing()
    {
        var decision = new Scenario().ProcessDeadlines();

        Assert.Empty(decision.Events);
        Assert.Equal(new DeadlinesProcessed(0), decision.Reply);
    }

    // ---- the orchestrator's own downtime ------------------------------------------------------

    [Fact]
    public void Resuming_after_downtime_gives_a_lease_that_ended_meanwhile_its_full_duration_from_now_and_leaves_the_rest()
    {
        // ended: its last attempt, with a dependant; running: a longer lease; retrying: failed, retry due.
        var scenario = new Scenario().Given(Task("ended", maxAttempts: 1), Task("after", dependsOn: ["ended"]), Task("running", "agent-b"), Task("retrying", "agent-c"));
        var ended = scenario.Claim("agent-a", TimeSpan.FromMinutes(1));
        var running = scenario.Claim("agent-b", TimeSpan.FromHours(1));
        var retrying = scenario.Claim("agent-c");
        scenario.When(new FailTask("retrying", "agent-c", retrying.ClaimId, "flaky"));
        // Down for ten minutes: past the first lease and the retry, not past the second lease.
        scenario.Advance(TimeSpan.FromMinutes(10));

        var decision = scenario.When(ResumeLeases.Instance);

        Assert.Equal(new Protocol.Events.LeaseRenewed("ended", "agent-a", ended.ClaimId, TimeSpan.FromMinutes(1), scenario.Now + TimeSpan.FromMinutes(1), scenario.Now), Assert.Single(decision.Events));
        Assert.Equal(new LeasesResumed(1), decision.Reply);
        Assert.Equal((TaskState.Claimed, ended.ClaimId, scenario.Now + TimeSpan.FromMinutes(1)), (scenario["ended"].Status, scenario["ended"].Claim?.ClaimId, scenario["ended"].Claim?.LeaseUntil));
        Assert.Equal(TaskState.Pending, scenario["after"].Status);
        Assert.Equal(running.LeaseUntil, scenario["running"].Claim?.LeaseUntil);
        Assert.Equal(TaskState.Failed, scenario["retrying"].Status);
        // The holder may go on; without a heartbeat the lease ends one duration after the restart.
        Assert.IsType<Protocol.Replies.LeaseRenewed>(scenario.When(new Heartbeat("ended", "agent-a", ended.ClaimId)).Reply);
    }

    [Fact]
    public void Resuming_on_a_clock_behind_the_one_that_wrote_the_leases_holds_each_to_a_full_lease_from_now()
    {
        // After a hand-off to a member whose clock is ten minutes behind: a 5 minute lease with 4
        // minutes left would read 14 minutes long. It is held to 5, never less than the 4 left.
        // An hour's lease with 44 minutes left reads 54: within a full lease, it stays.
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2", "agent-b"));
        var within = scenario.Claim("agent-b", TimeSpan.FromHours(1));
        scenario.Advance(TimeSpan.FromMinutes(15));
        var skewed = scenario.Claim("agent-a", TimeSpan.FromMinutes(5));
        scenario.Advance(TimeSpan.FromMinutes(1)).HandedOffTo(TimeSpan.FromMinutes(-10));

        var decision = scenario.When(ResumeLeases.Instance);

        Assert.Equal(new Protocol.Events.LeaseRenewed("t-1", "agent-a", skewed.ClaimId, TimeSpan.FromMinutes(5), scenario.Now + TimeSpan.FromMinutes(5), scenario.Now),
            Assert.Single(decision.Events));
        Assert.Equal(within.LeaseUntil, scenario["t-2"].Claim?.LeaseUntil);
    }

    [Fact]
    public void Resuming_with_no_lease_ended_journals_nothing()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        scenario.Claim("agent-a", TimeSpan.FromMinutes(5));
        scenario.Advance(TimeSpan.FromMinutes(1));

        var decision = scenario.When(ResumeLeases.Instance);

        Assert.Empty(decision.Events);
        Assert.Equal(new LeasesResumed(0), decision.Reply);
    }

    // ---- CLAIMED -> READY (lease expired) ------------------------------------------------------

    [Fact]
    public void Lease_expires_at_exactly_its_end_and_the_task_is_ready_again()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        var assigned = scenario.Claim("agent-a");
        scenario.AdvanceTo(assigned.LeaseUntil);

        var decision = scenario.ProcessDeadlines();

        Assert.Equal(new LeaseExpired("t-1", "agent-a", "claim-1", 1, OutOfAttempts: false, assigned.LeaseUntil), Assert.Single(decision.Events));
        Assert.Equal(new DeadlinesProcessed(1), decision.Reply);
        var task = scenario["t-1"];
        Assert.Equal((TaskState.Ready, (ClaimInfo?)null, 1), (task.Status, task.Claim, task.Attempts));
        Assert.Contains("agent-a", task.Reason);
        Assert.Equal("t-1", scenario.State.NextReadyFor("agent-a")?.TaskId);
    }

    [Fact]
    public void Claim_after_an_expired_lease_is_the_next_attempt_under_a_new_claim_id()
    {
        var scenario = new Scenario().Given(Task("t-1", "*"));
        scenario.AdvanceTo(scenario.Claim("agent-a").LeaseUntil).ProcessDeadlines();

        var again = scenario.Claim("agent-b");

        Assert.Equal(("claim-2", 2), (again.ClaimId, again.Task.Attempts));
    }

    [Fact]
    public void Lease_expiry_on_the_last_attempt_makes_the_task_dead()
    {
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 2));
        scenario.AdvanceTo(scenario.Claim("agent-a").LeaseUntil).ProcessDeadlines();
        var last = scenario.Claim("agent-a");
        scenario.AdvanceTo(last.LeaseUntil);

        var decision = scenario.ProcessDeadlines();

        Assert.Equal(new LeaseExpired("t-1", "agent-a", "claim-2", 2, OutOfAttempts: true, last.LeaseUntil), Assert.Single(decision.Events));
        Assert.Equal(TaskState.Dead, scenario["t-1"].Status);
        Assert.Null(scenario.State.NextDeadline);
        Assert.IsType<NoTaskReady>(scenario.Decide(new ClaimTask("agent-a")).Reply);
    }

    [Fact]
    public void Lease_expiry_on_the_last_attempt_kills_the_pending_dependants_by_the_orchestrator()
    {
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 1), Task("after", "agent-b", dependsOn: ["t-1"]));
        scenario.AdvanceTo(scenario.Claim("agent-a").LeaseUntil);

        var decision = scenario.ProcessDeadlines();

        Assert.Equal(2, decision.Events.Count);
        Assert.Equal(new TaskKilled("after", "t-1", "dependency 't-1' is DEAD", Causes.Orchestrator, scenario.Now), decision.Events[1]);
        Assert.Equal(new DeadlinesProcessed(1), decision.Reply);
        Assert.Equal(TaskState.Dead, scenario["after"].Status);
    }

    // ---- stale claim after lease expiry --------------------------------------------------------

    [Fact]
    public void Late_completion_from_an_expired_claim_is_stale_and_the_new_holder_completes_once()
    {
        // Given agent-a's lease expired and agent-b claimed the task again
        var scenario = new Scenario().Given(Task("t-1", "*"));
        var late = scenario.Claim("agent-a");
        scenario.AdvanceTo(late.LeaseUntil).ProcessDeadlines();
        var current = scenario.Claim("agent-b");

        // When agent-a's completion arrives late
        var lateComplete = scenario.When(new CompleteTask("t-1", "agent-a", late.ClaimId, "[\"a\"]"));

        // Then it is stale, naming the current state, and nothing is journaled
        var stale = AssertStale(lateComplete, "t-1", "agent-a", "claim-1", TaskState.Claimed);
        Assert.Contains("lease expired", stale.Reason);

        // And agent-b completes, once; agent-a's retry after that is stale too
        scenario.Complete(current, "[\"b\"]");
        var again = scenario.When(new CompleteTask("t-1", "agent-a", late.ClaimId, "[\"a\"]"));
        var repeatByB = scenario.When(new CompleteTask("t-1", "agent-b", current.ClaimId, "[\"b\"]"));

        AssertStale(again, "t-1", "agent-a", "claim-1", TaskState.Completed);
        Assert.Empty(repeatByB.Events);
        Assert.IsType<TaskUpdated>(repeatByB.Reply);
        var completed = Assert.Single(scenario.Journal.OfType<TaskCompleted>());
        Assert.Equal(("agent-b", "claim-2", "[\"b\"]"), (completed.Agent, completed.ClaimId, completed.Result));
        Assert.Equal("[\"b\"]", scenario["t-1"].Result);
    }

    [Fact]
    public void Late_failure_from_an_expired_claim_is_stale_and_leaves_the_task_ready()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        var late = scenario.Claim("agent-a");
        scenario.AdvanceTo(late.LeaseUntil).ProcessDeadlines();

        AssertStale(scenario.When(new FailTask("t-1", "agent-a", late.ClaimId, "late")), "t-1", "agent-a", "claim-1", TaskState.Ready);

        Assert.Equal(TaskState.Ready, scenario["t-1"].Status);
    }

    // ---- passed deadlines inside every decision -------------------------------------------------

    [Fact]
    public void A_heartbeat_at_the_lease_end_is_stale_even_before_the_timer_fires_and_journals_the_expiry()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        var claim = scenario.Claim("agent-a");
        scenario.AdvanceTo(claim.LeaseUntil);

        var decision = scenario.When(new Heartbeat("t-1", "agent-a", claim.ClaimId));

        var expired = Assert.IsType<LeaseExpired>(Assert.Single(decision.Events));
        Assert.Equal(("t-1", "claim-1", false, scenario.Now), (expired.TaskId, expired.ClaimId, expired.OutOfAttempts, expired.At));
        var stale = Assert.IsType<StaleClaim>(decision.Reply);
        Assert.Equal(TaskState.Ready, stale.Status);
        Assert.Contains("lease expired", stale.Reason);
        Assert.Equal(TaskState.Ready, scenario["t-1"].Status);
    }

    [Fact]
    public void A_heartbeat_a_tick_before_the_lease_end_renews_it()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        var claim = scenario.Claim("agent-a");
        scenario.AdvanceTo(claim.LeaseUntil - Tick);

        var decision = scenario.When(new Heartbeat("t-1", "agent-a", claim.ClaimId));

        var renewed = Assert.IsType<Protocol.Events.LeaseRenewed>(Assert.Single(decision.Events));
        Assert.Equal(scenario.Now + claim.Task.Claim!.LeaseDuration, renewed.LeaseUntil);
        Assert.Equal(TaskState.Claimed, scenario["t-1"].Status);
    }

    [Fact]
    public void Any_command_after_a_deadline_journals_what_is_due_before_its_own_events()
    {
        var scenario = new Scenario().Given(Task("leased"), Task("other", "agent-z"));
        var claim = scenario.Claim("agent-a");
        scenario.AdvanceTo(claim.LeaseUntil + TimeSpan.FromSeconds(5));

        var decision = scenario.When(new SaveState("agent-z", "notes", "{}"));

        Assert.Equal(["LeaseExpired", "StateSavedEvent"], decision.Events.Select(e => e.GetType().Name));
        Assert.IsType<StateSaved>(decision.Reply);
        Assert.Equal(TaskState.Ready, scenario["leased"].Status);
        // The same outcome as if the timer had fired first.
        Assert.Equal(scenario.Replayed().Tasks["leased"], scenario["leased"]);
    }

    [Fact]
    public void A_query_does_not_act_on_deadlines()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        var claim = scenario.Claim("agent-a");
        scenario.AdvanceTo(claim.LeaseUntil + TimeSpan.FromMinutes(1));

        var found = Assert.IsType<TaskFound>(scenario.Ask(new Protocol.Queries.GetTask("t-1")));

        Assert.Equal(TaskState.Claimed, found.Task.Status);
    }

    // ---- FAILED -> READY (retry due) -----------------------------------------------------------

    [Fact]
    public void Retry_is_due_at_exactly_its_retry_time_not_a_tick_before()
    {
        var scenario = new Scenario(random: () => 0.37).Given(Task("t-1"));
        scenario.Fail(scenario.Claim("agent-a"));
        var retryAt = scenario["t-1"].RetryAt!.Value;

        scenario.AdvanceTo(retryAt - Tick);
        var before = scenario.ProcessDeadlines();
        scenario.AdvanceTo(retryAt);
        var at = scenario.ProcessDeadlines();

        Assert.Empty(before.Events);
        Assert.Equal(TaskState.Ready, scenario["t-1"].Status);
        Assert.Equal(new RetryDue("t-1", retryAt), Assert.Single(at.Events));
        Assert.Equal(new DeadlinesProcessed(1), at.Reply);
        Assert.Null(scenario["t-1"].RetryAt);
    }

    [Fact]
    public void A_retry_processed_late_is_ready_from_when_it_was_processed()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        scenario.Fail(scenario.Claim("agent-a"));
        scenario.AdvanceTo(scenario["t-1"].RetryAt!.Value + TimeSpan.FromMinutes(3));

        var decision = scenario.ProcessDeadlines();

        Assert.Equal(new RetryDue("t-1", scenario.Now), Assert.Single(decision.Events));
        Assert.Equal(scenario.Now, scenario["t-1"].UpdatedAt);
    }

    // ---- several at once -----------------------------------------------------------------------

    [Fact]
    public void All_due_deadlines_are_processed_in_one_go_earliest_first_and_later_ones_are_left()
    {
        // Given a lease ending at +10 s, a retry at +1 s after a failure at +2 s, and a lease ending at +60 s
        var scenario = new Scenario().Given(Task("lease-10"), Task("retry"), Task("lease-60"));
        var lease10 = scenario.Claim("agent-a", TimeSpan.FromSeconds(10));
        var retry = scenario.Claim("agent-a");
        var lease60 = scenario.Claim("agent-a", TimeSpan.FromSeconds(60));
        scenario.Advance(TimeSpan.FromSeconds(2)).Fail(retry);

        // When the timer fires at +20 s
        scenario.AdvanceTo(T0.AddSeconds(20));
        var decision = scenario.ProcessDeadlines();

        // Then the retry (due at +3 s) and the first lease (+10 s) are acted on, in that order
        Assert.Equal(
            [Json(new RetryDue("retry", scenario.Now)), Json(new LeaseExpired("lease-10", "agent-a", lease10.ClaimId, 1, false, scenario.Now))],
            decision.Events.Select(Json));
        Assert.Equal(new DeadlinesProcessed(2), decision.Reply);
        Assert.Equal(TaskState.Claimed, scenario["lease-60"].Status);
        Assert.Equal(lease60.LeaseUntil, scenario.State.NextDeadline);
    }

    [Fact]
    public void One_decision_acts_on_at_most_the_policy_s_number_of_deadlines_earliest_first()
    {
        var scenario = new Scenario(new LifecyclePolicy(MaxDeadlinesPerDecision: 2))
            .Given(Task("t-1"), Task("t-2"), Task("t-3"));
        scenario.Claim("agent-a", TimeSpan.FromSeconds(10));
        scenario.Claim("agent-a", TimeSpan.FromSeconds(20));
        scenario.Claim("agent-a", TimeSpan.FromSeconds(30));
        scenario.Advance(TimeSpan.FromMinutes(1));

        var first = scenario.ProcessDeadlines();
        var second = scenario.ProcessDeadlines();

        Assert.Equal(["t-1", "t-2"], first.Events.Cast<LeaseExpired>().Select(e => e.TaskId));
        Assert.Equal(["t-3"], second.Events.Cast<LeaseExpired>().Select(e => e.TaskId));
        Assert.Null(scenario.State.NextDeadline);
    }

    [Fact]
    public void Next_deadline_is_the_earliest_lease_end_or_retry_time()
    {
        var scenario = new Scenario().Given(Task("a"), Task("b"));
        Assert.Null(scenario.State.NextDeadline);

        var a = scenario.Claim("agent-a", TimeSpan.FromSeconds(50));
        var afterA = scenario.State.NextDeadline;
        var b = scenario.Claim("agent-a", TimeSpan.FromSeconds(20));
        var afterB = scenario.State.NextDeadline;
        scenario.Complete(b);

        Assert.Equal(a.LeaseUntil, afterA);
        Assert.Equal(b.LeaseUntil, afterB);
        Assert.Equal(a.LeaseUntil, scenario.State.NextDeadline);
    }
}
