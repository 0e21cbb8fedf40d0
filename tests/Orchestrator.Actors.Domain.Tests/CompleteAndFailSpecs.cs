using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class CompleteAndFailSpecs
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static (Scenario Scenario, TaskAssigned Assigned) Claimed(int? maxAttempts = null, LifecyclePolicy? policy = null, Func<double>? random = null)
    {
        var scenario = new Scenario(policy, random).Given(Task("t-1", maxAttempts: maxAttempts));
        var assigned = scenario.Claim("agent-a");
        scenario.Advance(Second);
        return (scenario, assigned);
    }

    // ---- CLAIMED -> COMPLETED ------------------------------------------------------------------

    [Fact]
    public void Complete_by_the_holder_journals_one_completion_with_the_result()
    {
        var (scenario, assigned) = Claimed();

        var decision = scenario.When(new CompleteTask("t-1", "agent-a", assigned.ClaimId, """{"ok":true}"""));

        Assert.Equal(new TaskCompleted("t-1", "agent-a", "claim-1", """{"ok":true}""", scenario.Now), Assert.Single(decision.Events));
        var view = Assert.IsType<TaskUpdated>(decision.Reply).Task;
        Assert.Equal((TaskState.Completed, (ClaimInfo?)null, scenario.Now), (view.Status, view.Claim, view.UpdatedAt));
        Assert.Equal("""{"ok":true}""", Assert.IsType<TaskFound>(scenario.Ask(new GetTask("t-1"))).Result);
        Assert.Null(scenario.State.NextDeadline);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Complete_fail_or_heartbeat_without_a_claim_id_is_rejected_naming_it_even_from_the_holder(string? claimId)
    {
        var (scenario, _) = Claimed();

        foreach (var decision in new[]
                 {
                     scenario.Decide(new CompleteTask("t-1", "agent-a", claimId)),
                     scenario.Decide(new FailTask("t-1", "agent-a", claimId, "oops")),
                     scenario.Decide(new Heartbeat("t-1", "agent-a", claimId)),
                 })
        {
            var rejected = AssertRejected(decision, "claimId");
            Assert.Contains("is required", rejected.Reason);
            Assert.Empty(decision.Events);
        }
        Assert.Equal(TaskState.Claimed, scenario["t-1"].Status);
    }

    [Fact]
    public void Identical_repeat_of_a_completion_answers_the_task_without_a_second_event()
    {
        var (scenario, assigned) = Claimed();
        scenario.Complete(assigned, "[1]");
        scenario.Advance(Second);

        var withClaim = scenario.Decide(new CompleteTask("t-1", "agent-a", assigned.ClaimId, "[1]"));

        Assert.Empty(withClaim.Events);
        Assert.Equal(new TaskUpdated(scenario["t-1"].ToView()), withClaim.Reply);
    }

    [Fact]
    public void Repeat_of_a_completion_with_another_result_is_not_identical_and_keeps_the_first_result()
    {
        var (scenario, assigned) = Claimed();
        scenario.Complete(assigned, "[1]");

        AssertStale(scenario.Decide(new CompleteTask("t-1", "agent-a", assigned.ClaimId, "[2]")), "t-1", "agent-a", "claim-1", TaskState.Completed);

        Assert.Equal("[1]", scenario["t-1"].Result);
    }

    [Fact]
    public void Complete_by_another_agent_is_rejected_naming_the_claimed_state_and_the_holder()
    {
        var (scenario, _) = Claimed();

        var rejected = AssertTransitionRejected(scenario.Decide(new CompleteTask("t-1", "agent-b", "claim-9")), "t-1", TaskState.Claimed, "complete");

        Assert.Contains("agent-a", rejected.Reason);
    }

    [Fact]
    public void Complete_by_another_agent_quoting_the_holder_s_claim_id_is_rejected_not_stale()
    {
        var (scenario, assigned) = Claimed();

        AssertTransitionRejected(scenario.Decide(new CompleteTask("t-1", "agent-b", assigned.ClaimId)), "t-1", TaskState.Claimed, "complete");
        AssertTransitionRejected(scenario.Decide(new FailTask("t-1", "agent-b", assigned.ClaimId, "x")), "t-1", TaskState.Claimed, "fail");
        AssertTransitionRejected(scenario.Decide(new Heartbeat("t-1", "agent-b", assigned.ClaimId)), "t-1", TaskState.Claimed, "heartbeat");
    }

    [Fact]
    public void Complete_by_another_agent_quoting_an_ended_claim_of_someone_else_is_rejected_not_stale()
    {
        var (scenario, assigned) = Claimed();
        scenario.AdvanceTo(assigned.LeaseUntil).ProcessDeadlines();

        AssertTransitionRejected(scenario.Decide(new CompleteTask("t-1", "agent-b", assigned.ClaimId)), "t-1", TaskState.Ready, "complete");
    }

    [Fact]
    public void Complete_with_an_unknown_claim_id_by_the_holder_is_stale()
    {
        var (scenario, _) = Claimed();

        var stale = AssertStale(scenario.Decide(new CompleteTask("t-1", "agent-a", "claim-99")), "t-1", "agent-a", "claim-99", TaskState.Claimed);

        Assert.Contains("claim-1", stale.Reason);
    }

    [Theory]
    [InlineData(TaskState.Ready)]
    [InlineData(TaskState.Pending)]
    public void Complete_of_a_task_nobody_claimed_is_rejected_naming_its_state(TaskState status)
    {
        var scenario = new Scenario().Given(Task("dep", "agent-x"), Task("t-1", dependsOn: status == TaskState.Pending ? ["dep"] : null));

        AssertTransitionRejected(scenario.Decide(new CompleteTask("t-1", "agent-a", "claim-1")), "t-1", status, "complete");
        AssertTransitionRejected(scenario.Decide(new FailTask("t-1", "agent-a", "claim-1", "x")), "t-1", status, "fail");
    }

    [Fact]
    public void Complete_of_an_unknown_task_is_not_found()
    {
        var (scenario, _) = Claimed();

        var decision = scenario.Decide(new CompleteTask("t-2", "agent-a", "claim-1"));

        Assert.Equal(new TaskNotFound("t-2"), decision.Reply);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Complete_or_fail_without_a_task_id_is_rejected_not_thrown()
    {
        var (scenario, _) = Claimed();

        AssertRejected(scenario.Decide(new CompleteTask(null!, "agent-a")), "taskId");
        AssertRejected(scenario.Decide(new FailTask(null!, "agent-a", null, "x")), "taskId");
        AssertRejected(scenario.Decide(new Heartbeat(null!, "agent-a")), "taskId");
    }

    [Theory]
    [InlineData("t-1", "*", null, "agent")]
    [InlineData("t-1", "", null, "agent")]
    [InlineData("t-1", "agent-a", "claim 1", "claimId")]
    [InlineData("t 1", "agent-a", null, "taskId")]
    public void Complete_or_fail_with_an_invalid_task_agent_or_claim_id_is_rejected(string taskId, string agent, string? claimId, string field)
    {
        var (scenario, _) = Claimed();

        AssertRejected(scenario.Decide(new CompleteTask(taskId, agent, claimId)), field);
        AssertRejected(scenario.Decide(new FailTask(taskId, agent, claimId, "x")), field);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("")]
    public void Complete_with_a_result_that_is_not_json_is_rejected(string result)
    {
        var (scenario, assigned) = Claimed();

        AssertRejected(scenario.Decide(new CompleteTask("t-1", "agent-a", assigned.ClaimId, result)), "result");
    }

    [Fact]
    public void Complete_with_a_result_over_the_document_limit_is_rejected()
    {
        var scenario = new Scenario(limits: new DomainLimits(MaxDocumentBytes: 10)).Given(Task("t-1"));
        var assigned = scenario.Claim("agent-a");

        AssertRejected(scenario.Decide(new CompleteTask("t-1", "agent-a", assigned.ClaimId, "\"123456789\"")), "result");
        Assert.Single(scenario.Decide(new CompleteTask("t-1", "agent-a", assigned.ClaimId, "\"1234567\"")).Events);
    }

    [Fact]
    public void Complete_and_fail_count_as_the_agent_being_seen()
    {
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2"));
        var first = scenario.Claim("agent-a");
        var second = scenario.Claim("agent-a");

        scenario.Advance(TimeSpan.FromSeconds(3)).Complete(first);
        var afterComplete = scenario.State.Agents["agent-a"].LastSeen;
        scenario.Advance(TimeSpan.FromSeconds(4)).Fail(second);

        Assert.Equal(T0.AddSeconds(3), afterComplete);
        Assert.Equal(T0.AddSeconds(7), scenario.State.Agents["agent-a"].LastSeen);
    }

    // ---- CLAIMED -> FAILED / DEAD --------------------------------------------------------------

    [Fact]
    public void Fail_with_attempts_left_is_failed_until_now_plus_the_first_backoff()
    {
        var (scenario, assigned) = Claimed(maxAttempts: 3);

        var decision = scenario.When(new FailTask("t-1", "agent-a", assigned.ClaimId, "disk full"));

        var retryAt = scenario.Now + LifecyclePolicy.Default.FirstRetryDelay;
        Assert.Equal(new TaskFailed("t-1", "agent-a", "claim-1", "disk full", 1, retryAt, scenario.Now), Assert.Single(decision.Events));
        var view = Assert.IsType<TaskUpdated>(decision.Reply).Task;
        Assert.Equal((TaskState.Failed, retryAt, "disk full", 1), (view.Status, view.RetryAt, view.Reason, view.Attempts));
        Assert.Null(view.Claim);
        Assert.Equal(retryAt, scenario.State.NextDeadline);
    }

    [Fact]
    public void Fail_on_the_last_attempt_is_dead_with_no_retry_and_no_jitter_drawn()
    {
        var draws = 0;
        var (scenario, assigned) = Claimed(maxAttempts: 1, random: () => { draws++; return 0.5; });

        var decision = scenario.When(new FailTask("t-1", "agent-a", assigned.ClaimId, "gave up"));

        Assert.Equal(new TaskFailed("t-1", "agent-a", "claim-1", "gave up", 1, null, scenario.Now), Assert.Single(decision.Events));
        Assert.Equal(TaskState.Dead, Assert.IsType<TaskUpdated>(decision.Reply).Task.Status);
        Assert.Null(scenario["t-1"].RetryAt);
        Assert.Null(scenario.State.NextDeadline);
        Assert.Equal(0, draws);
    }

    [Fact]
    public void A_task_dies_after_exactly_max_attempts_failures()
    {
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 3));
        var states = new List<TaskState>();
        for (var i = 0; i < 3; i++)
        {
            scenario.Fail(scenario.Claim("agent-a"));
            states.Add(scenario["t-1"].Status);
            if (scenario["t-1"].RetryAt is { } retryAt) scenario.AdvanceTo(retryAt).ProcessDeadlines();
        }

        Assert.Equal([TaskState.Failed, TaskState.Failed, TaskState.Dead], states);
        Assert.Equal([1, 2, 3], scenario.Journal.OfType<TaskFailed>().Select(f => f.Attempt));
    }

    [Fact]
    public void Identical_repeat_of_a_failure_answers_the_task_without_a_second_event()
    {
        var (scenario, assigned) = Claimed();
        scenario.Fail(assigned, "oops");

        var decision = scenario.Decide(new FailTask("t-1", "agent-a", assigned.ClaimId, "oops"));

        Assert.Empty(decision.Events);
        Assert.Equal(new TaskUpdated(scenario["t-1"].ToView()), decision.Reply);
    }

    [Fact]
    public void Repeat_of_a_failure_after_the_retry_was_claimed_by_the_same_agent_is_told_apart_by_its_claim_id()
    {
        var (scenario, first) = Claimed();
        scenario.Fail(first, "oops").AdvanceTo(scenario["t-1"].RetryAt!.Value).ProcessDeadlines();
        var second = scenario.Claim("agent-a");

        // With the old claim id it is recognised as the repeat it is
        var repeat = scenario.Decide(new FailTask("t-1", "agent-a", first.ClaimId, "oops"));
        // With the new one it is about the claim the agent holds now
        var fresh = scenario.Decide(new FailTask("t-1", "agent-a", second.ClaimId, "oops"));

        Assert.Empty(repeat.Events);
        Assert.Equal(TaskState.Claimed, Assert.IsType<TaskUpdated>(repeat.Reply).Task.Status);
        Assert.Equal(second.ClaimId, Assert.IsType<TaskFailed>(Assert.Single(fresh.Events)).ClaimId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Fail_without_a_reason_is_rejected(string? reason)
    {
        var (scenario, assigned) = Claimed();

        AssertRejected(scenario.Decide(new FailTask("t-1", "agent-a", assigned.ClaimId, reason!)), "reason");
    }

    [Fact]
    public void Fail_with_a_reason_over_1000_characters_is_rejected()
    {
        var (scenario, assigned) = Claimed();

        AssertRejected(scenario.Decide(new FailTask("t-1", "agent-a", assigned.ClaimId, new string('r', 1001))), "reason");
        Assert.Single(scenario.Decide(new FailTask("t-1", "agent-a", assigned.ClaimId, new string('r', 1000))).Events);
    }

    [Fact]
    public void Fail_by_another_agent_is_rejected_naming_the_claimed_state()
    {
        var (scenario, _) = Claimed();

        AssertTransitionRejected(scenario.Decide(new FailTask("t-1", "agent-b", "claim-9", "not mine")), "t-1", TaskState.Claimed, "fail");
    }

    [Fact]
    public void Fail_after_completion_is_stale_naming_completed()
    {
        var (scenario, assigned) = Claimed();
        scenario.Complete(assigned);

        var stale = AssertStale(scenario.Decide(new FailTask("t-1", "agent-a", assigned.ClaimId, "late")), "t-1", "agent-a", "claim-1", TaskState.Completed);

        Assert.Contains("completed", stale.Reason);
    }

    [Fact]
    public void Complete_after_a_failure_under_the_same_claim_is_stale_naming_failed()
    {
        var (scenario, assigned) = Claimed();
        scenario.Fail(assigned);

        var stale = AssertStale(scenario.Decide(new CompleteTask("t-1", "agent-a", assigned.ClaimId)), "t-1", "agent-a", "claim-1", TaskState.Failed);

        Assert.Contains("failure", stale.Reason);
    }

    // ---- backoff -------------------------------------------------------------------------------

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(9, 256)]
    [InlineData(10, 300)]   // 512 s, capped at 5 min
    [InlineData(60, 300)]   // far past the cap, no overflow
    public void Backoff_doubles_from_the_base_with_each_failure_up_to_the_cap(int failure, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), OrchestratorDomain.RetryDelay(failure, LifecyclePolicy.Default, 0));
    }

    [Fact]
    public void Backoff_schedule_shows_in_the_retry_times_of_successive_failures()
    {
        // Given base 1 s, cap 5 s, no jitter, plenty of attempts
        var policy = new LifecyclePolicy(RetryBase: Second, RetryCap: TimeSpan.FromSeconds(5), RetryJitter: 0);
        var scenario = new Scenario(policy).Given(Task("t-1", maxAttempts: 7));

        // When the task fails six times, each retry taken when due
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            scenario.Fail(scenario.Claim("agent-a"));
            var failed = Assert.IsType<TaskFailed>(scenario.Journal.Last());
            delays.Add(failed.RetryAt!.Value - failed.At);
            scenario.AdvanceTo(failed.RetryAt.Value).ProcessDeadlines();
        }

        // Then the waits are 1, 2, 4 s and then the cap
        Assert.Equal(new[] { 1, 2, 4, 5, 5, 5 }.Select(s => TimeSpan.FromSeconds(s)), delays);
    }

    [Fact]
    public void Backoff_with_a_random_draw_of_0_has_no_jitter()
    {
        var policy = new LifecyclePolicy(RetryJitter: 0.5);

        Assert.Equal(TimeSpan.FromSeconds(4), OrchestratorDomain.RetryDelay(3, policy, 0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(20)]   // at the cap: jitter stretches the capped delay
    public void Backoff_with_a_random_draw_of_0_999_stays_under_the_full_jitter(int failure)
    {
        var policy = new LifecyclePolicy(RetryJitter: 0.2);
        var nominal = OrchestratorDomain.RetryDelay(failure, policy, 0);

        var stretched = OrchestratorDomain.RetryDelay(failure, policy, 0.999);

        Assert.True(stretched > nominal * 1.19, $"{stretched} should be close to 1.2 x {nominal}");
        Assert.True(stretched < nominal * 1.2, $"{stretched} should stay under 1.2 x {nominal}");
    }

    [Fact]
    public void Backoff_jitter_scales_with_the_random_draw()
    {
        var policy = new LifecyclePolicy(RetryBase: TimeSpan.FromSeconds(10), RetryJitter: 0.2);

        Assert.Equal(TimeSpan.FromSeconds(11), OrchestratorDomain.RetryDelay(1, policy, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(22), OrchestratorDomain.RetryDelay(2, policy, 0.5));
    }

    [Fact]
    public void Fail_draws_its_jitter_from_the_decision_context()
    {
        var policy = new LifecyclePolicy(RetryBase: TimeSpan.FromSeconds(10), RetryJitter: 0.2);
        var (low, lowClaim) = Claimed(policy: policy, random: () => 0);
        var (high, highClaim) = Claimed(policy: policy, random: () => 0.999);

        low.Fail(lowClaim);
        high.Fail(highClaim);

        var lowDelay = low["t-1"].RetryAt!.Value - low.Now;
        var highDelay = high["t-1"].RetryAt!.Value - high.Now;
        Assert.Equal(TimeSpan.FromSeconds(10), lowDelay);
        Assert.InRange(highDelay, TimeSpan.FromSeconds(11.99), TimeSpan.FromSeconds(12) - TimeSpan.FromTicks(1));
    }

    [Fact]
    public void Replaying_a_failure_needs_no_random_draw_the_event_holds_the_retry_time()
    {
        var (scenario, assigned) = Claimed(random: () => 0.75);
        scenario.Fail(assigned);

        var replayed = scenario.Replayed();

        Assert.Equal(scenario["t-1"].RetryAt, replayed.Tasks["t-1"].RetryAt);
        AssertSameState(scenario.State, replayed);
    }
}
