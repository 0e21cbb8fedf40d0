using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 17: at most N claims held at once per namespace, per agent and per tag; journaled settings.
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
        Assert.Equal(1, scenario.State.Counts.ClaimsByTag["tenant=a"]);
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
            Assert.Equal(1, state.Counts.ClaimsByTag["x"]);
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
}
