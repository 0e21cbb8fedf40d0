using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 17: at most N claims held at once per namespace, per agent and per tag, at most R claims per
// second per tag; journaled settings.
public sealed class ClaimLimitSpecs
{
    private static Dictionary<string, int> Tags(params (string Tag, int Limit)[] limits) => limits.ToDictionary(l => l.Tag, l => l.Limit);

    [Fact]
    public void An_agent_at_its_limit_gets_no_task_and_is_told_which_limit_while_another_agent_still_claims()
    {
        var scenario = new Scenario().Given(Task("t-1", "*"), Task("t-2", "*"), Task("t-3", "*"), new SetClaimLimits(MaxClaimsPerAgent: 2));
        scenario.Claim("agent-a");
        scenario.Claim("agent-a");

        var none = Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-a")).Reply);
        Assert.Equal("agent 'agent-a' holds 2 claims, its limit maxClaimsPerAgent = 2", none.Limited);
        Assert.Equal("t-3", scenario.Claim("agent-b").Task.TaskId);
    }

    [Fact]
    public void The_namespace_limit_holds_every_claim_back_and_a_limit_of_0_allows_none()
    {
        var scenario = new Scenario().Given(Task("t-1", "*"), Task("t-2", "*"), new SetClaimLimits(MaxClaims: 1));
        scenario.Claim("agent-a");
        Assert.StartsWith("the namespace holds 1 claims", Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-b")).Reply).Limited);

        var closed = new Scenario().Given(Task("t-1"), new SetClaimLimits(MaxClaims: 0));
        Assert.NotNull(Assert.IsType<NoTaskReady>(closed.When(new ClaimTask("agent-a")).Reply).Limited);
        Assert.Equal(TaskState.Ready, closed["t-1"].Status);
    }

    [Fact]
    public void A_tag_at_its_limit_is_passed_over_for_the_next_task_no_limit_holds_back_and_frees_up_when_a_claim_ends()
    {
        // Given two tasks of tenant=a first in claim order, then one of tenant=b, and tenant=a limited to one claim
        var scenario = new Scenario().Given(
            Task("a-1", "*", "HIGH", tags: ["tenant=a"]), Task("a-2", "*", "HIGH", tags: ["tenant=a"]), Task("b-1", "*", tags: ["tenant=b"]),
            new SetClaimLimits(MaxClaimsPerTag: Tags(("tenant=a", 1))));
        var first = scenario.Claim("agent-a");
        Assert.Equal("a-1", first.Task.TaskId);

        // a-2 comes first, but tenant=a holds its one claim: the claim gets b-1
        Assert.Equal("b-1", scenario.Claim("agent-b").Task.TaskId);
        Assert.Equal("tag 'tenant=a' holds 1 claims, its limit maxClaimsPerTag = 1", Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-c")).Reply).Limited);

        scenario.Complete(first);
        Assert.Equal("a-2", scenario.Claim("agent-c").Task.TaskId);
        Assert.Equal(1, scenario.State.Counts["tenant=a", TaskState.Claimed]);
    }

    [Fact]
    public void Limits_are_journaled_replace_the_ones_before_show_in_the_stats_and_survive_replay_and_snapshots()
    {
        var scenario = new Scenario().Given(Task("t-1", tags: ["x"]));
        var set = scenario.When(new SetClaimLimits(5, 2, Tags(("x", 1)), "ops"));
        var changed = Assert.IsType<ClaimLimitsChanged>(Assert.Single(set.Events));
        Assert.Equal((5, 2, 1, "ops", T0), (changed.MaxClaims, changed.MaxClaimsPerAgent, changed.MaxClaimsPerTag!["x"], changed.By, changed.At));
        var limits = Assert.IsType<ClaimLimitsSet>(set.Reply).Limits;
        Assert.Equal((5, 2, 1), (limits.MaxClaims, limits.MaxClaimsPerAgent, limits.MaxClaimsPerTag["x"]));
        Assert.Equal(5, Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance)).ClaimLimits!.MaxClaims);
        scenario.Claim("agent-a");

        foreach (var state in new[] { scenario.Replayed(), Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)) })
        {
            AssertSameState(scenario.State, state);
            Assert.Equal((5, 2), (state.ClaimLimits!.MaxClaims, state.ClaimLimits.MaxClaimsPerAgent));
            Assert.Equal(1, state.ClaimLimits.MaxClaimsPerTag["x"]);
            Assert.Equal(1, state.Counts["x", TaskState.Claimed]);
        }

        // Set again with none: every limit is gone
        scenario.Given(new SetClaimLimits());
        Assert.Null(scenario.State.ClaimLimits);
        Assert.Null(Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance)).ClaimLimits);
    }

    [Theory]
    [InlineData(-1, null, "maxClaims")]
    [InlineData(null, 1_000_001, "maxClaimsPerAgent")]
    public void A_limit_below_0_or_above_a_million_is_refused_naming_it(int? maxClaims, int? perAgent, string field)
    {
        AssertRejected(new Scenario().When(new SetClaimLimits(maxClaims, perAgent)), field);
    }

    [Fact]
    public void A_bad_tag_or_a_bad_tag_limit_is_refused()
    {
        var scenario = new Scenario();
        AssertRejected(scenario.When(new SetClaimLimits(MaxClaimsPerTag: Tags(("two words", 1)))), "maxClaimsPerTag");
        AssertRejected(scenario.When(new SetClaimLimits(MaxClaimsPerTag: Tags(("x", -2)))), "maxClaimsPerTag[x]");
        Assert.Null(scenario.State.ClaimLimits);
    }

    private static Dictionary<string, double> Rates(params (string Tag, double Rate)[] rates) => rates.ToDictionary(r => r.Tag, r => r.Rate);

    private static DefineTask Tenant(string id, string tenant, string? priority = null) => Task(id, "*", priority, tags: [$"tenant={tenant}"]);

    [Fact]
    public void A_rated_tag_lets_its_burst_through_at_once_then_one_claim_each_spacing_while_other_tags_go_on()
    {
        // Given tenant=a at 2 claims a second (a burst of 2, then one each 500 ms), five of its tasks first in claim order, and one of tenant=b
        var scenario = new Scenario().Given(
            Tenant("a-1", "a", "HIGH"), Tenant("a-2", "a", "HIGH"), Tenant("a-3", "a", "HIGH"), Tenant("a-4", "a", "HIGH"), Tenant("b-1", "b"),
            new SetClaimLimits(MaxClaimsPerSecondPerTag: Rates(("tenant=a", 2))));

        // The burst: two at once; the third is held back, and the claim gets tenant=b's task
        Assert.Equal("a-1", scenario.Claim("agent-1").Task.TaskId);
        Assert.Equal("a-2", scenario.Claim("agent-2").Task.TaskId);
        Assert.Equal("b-1", scenario.Claim("agent-3").Task.TaskId);

        // Nothing else is free: none, saying which rate and when it lets the next claim through
        var none = Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-4")).Reply);
        Assert.Equal(T0.AddMilliseconds(500), none.LimitedUntil);
        Assert.Equal($"tag 'tenant=a' is at its rate limit maxClaimsPerSecondPerTag = 2, the next claim from {T0.AddMilliseconds(500):O}", none.Limited);

        // One tick before, still none; at that time, one; then the next 500 ms on
        scenario.AdvanceTo(T0.AddMilliseconds(500).AddTicks(-1));
        Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-4")).Reply);
        scenario.AdvanceTo(T0.AddMilliseconds(500));
        Assert.Equal("a-3", scenario.Claim("agent-4").Task.TaskId);
        Assert.Equal(T0.AddSeconds(1), Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-5")).Reply).LimitedUntil);

        // A quiet spell refills the burst, no more than it: after 10 s two go at once again, not twenty
        scenario.Given(Tenant("a-5", "a"), Tenant("a-6", "a"));
        scenario.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("a-4", scenario.Claim("agent-5").Task.TaskId);
        Assert.Equal("a-5", scenario.Claim("agent-6").Task.TaskId);
        Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-7")).Reply);
        Assert.Equal(TaskState.Ready, scenario["a-6"].Status);
    }

    [Fact]
    public void A_fractional_rate_spaces_claims_by_more_than_a_second_and_a_rate_of_0_lets_none_through_and_names_no_time()
    {
        var slow = new Scenario().Given(Tenant("a-1", "a"), Tenant("a-2", "a"), new SetClaimLimits(MaxClaimsPerSecondPerTag: Rates(("tenant=a", 0.5))));
        slow.Claim("agent-1");
        Assert.Equal(T0.AddSeconds(2), Assert.IsType<NoTaskReady>(slow.When(new ClaimTask("agent-2")).Reply).LimitedUntil);
        slow.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("a-2", slow.Claim("agent-2").Task.TaskId);

        var closed = new Scenario().Given(Tenant("a-1", "a"), new SetClaimLimits(MaxClaimsPerSecondPerTag: Rates(("tenant=a", 0))));
        var none = Assert.IsType<NoTaskReady>(closed.When(new ClaimTask("agent-1")).Reply);
        Assert.Equal("tag 'tenant=a' is at its rate limit maxClaimsPerSecondPerTag = 0, which lets no claim through", none.Limited);
        Assert.Null(none.LimitedUntil);
        Assert.Equal(TaskState.Ready, closed["a-1"].Status);
    }

    [Fact]
    public void A_task_with_two_rated_tags_spends_from_both_and_a_rate_and_a_concurrency_limit_on_one_tag_both_hold()
    {
        // t-1 carries tenant=a and model=big; tenant=a's and model=big's one claim a second each go to it
        var scenario = new Scenario().Given(
            Task("t-1", "*", "HIGH", tags: ["tenant=a", "model=big"]), Task("t-2", "*", tags: ["model=big"]), Task("t-3", "*", tags: ["tenant=a"]),
            new SetClaimLimits(MaxClaimsPerTag: Tags(("tenant=a", 5)), MaxClaimsPerSecondPerTag: Rates(("tenant=a", 1), ("model=big", 1))));
        scenario.Claim("agent-1");
        Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-2")).Reply);
        Assert.Equal((T0.AddSeconds(1), T0.AddSeconds(1)), (scenario.State.ClaimRateDue["tenant=a"], scenario.State.ClaimRateDue["model=big"]));

        // With one concurrent claim of tenant=a allowed, the rate no longer decides t-3: the claim held does
        scenario.Given(new SetClaimLimits(MaxClaimsPerTag: Tags(("tenant=a", 1)), MaxClaimsPerSecondPerTag: Rates(("model=big", 1))));
        Assert.False(scenario.State.ClaimRateDue.ContainsKey("tenant=a"));
        var none = Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-2")).Reply);
        Assert.Equal(T0.AddSeconds(1), none.LimitedUntil);
        scenario.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("t-2", scenario.Claim("agent-2").Task.TaskId);
        Assert.StartsWith("tag 'tenant=a' holds 1 claims", Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-3")).Reply).Limited);
    }

    [Fact]
    public void The_spacing_follows_the_journaled_claims_so_replay_and_snapshots_hold_it_across_a_restart()
    {
        var scenario = new Scenario().Given(Tenant("a-1", "a"), Tenant("a-2", "a"), Tenant("a-3", "a"),
            new SetClaimLimits(MaxClaimsPerSecondPerTag: Rates(("tenant=a", 0.1))));
        scenario.Claim("agent-1");
        scenario.Advance(TimeSpan.FromSeconds(4));

        foreach (var restarted in new[] { scenario.Replayed(), Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)) })
        {
            AssertSameState(scenario.State, restarted);
            Assert.Equal(0.1, restarted.ClaimLimits!.MaxClaimsPerSecondPerTag["tenant=a"]);
            // After the restart, 4 s into the 10 s spacing: still none until T0 + 10 s
            var after = new Scenario(start: scenario.Now, state: restarted);
            Assert.Equal(T0.AddSeconds(10), Assert.IsType<NoTaskReady>(after.When(new ClaimTask("agent-2")).Reply).LimitedUntil);
            after.AdvanceTo(T0.AddSeconds(10));
            Assert.Equal("a-2", after.Claim("agent-2").Task.TaskId);
        }
        Assert.Equal(0.1, Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance)).ClaimLimits!.MaxClaimsPerSecondPerTag["tenant=a"]);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0.0001)]
    [InlineData(1_000_001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_rate_below_0_between_0_and_a_thousandth_above_a_million_or_not_a_number_is_refused_naming_the_tag(double rate)
    {
        var scenario = new Scenario();
        var refused = AssertRejected(scenario.When(new SetClaimLimits(MaxClaimsPerSecondPerTag: Rates(("x", rate)))), "maxClaimsPerSecondPerTag[x]");
        Assert.Contains("claims per second", refused.Reason);
        AssertRejected(scenario.When(new SetClaimLimits(MaxClaimsPerSecondPerTag: Rates(("two words", 1)))), "maxClaimsPerSecondPerTag");
        AssertRejected(scenario.When(new SetClaimLimits(MaxClaimsPerSecondPerTag: Enumerable.Range(0, 101).ToDictionary(i => $"t{i}", _ => 1.0))), "maxClaimsPerSecondPerTag");
        Assert.Null(scenario.State.ClaimLimits);
    }
}
