using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class AgentSpecs
{
    private static List<AgentView> Agents(Scenario scenario) => Assert.IsType<AgentList>(scenario.Ask(new ListAgents())).Agents.ToList();

    [Fact]
    public void Registering_journals_the_agent_with_its_capabilities()
    {
        var scenario = new Scenario();

        var decision = scenario.When(new RegisterAgent("agent-a", ["python", "sql"]));

        AssertEvents(decision.Events, new AgentRegistered("agent-a", ["python", "sql"], T0));
        Assert.Equal(new AgentRegistrationAccepted(new AgentView("agent-a", ["python", "sql"], true, T0, T0, 0)), decision.Reply);
        Assert.Null(OrchestratorDomain.Describe(OrchestratorState.Empty, decision.Events[0]));
    }

    [Fact]
    public void Registering_without_capabilities_registers_none()
    {
        var decision = new Scenario().When(new RegisterAgent("agent-a"));

        Assert.Empty(Assert.IsType<AgentRegistered>(Assert.Single(decision.Events)).Capabilities);
    }

    [Fact]
    public void Repeated_capabilities_count_once()
    {
        var decision = new Scenario().When(new RegisterAgent("agent-a", ["sql", "python", "sql"]));

        Assert.Equal(["sql", "python"], Assert.IsType<AgentRegistered>(Assert.Single(decision.Events)).Capabilities);
    }

    [Fact]
    public void Registering_again_replaces_the_capabilities_keeps_the_first_registration_time_and_counts_the_claims_held()
    {
        var firstRegistration = DomainSpecKit.T0;
        var scenario = new Scenario(start: firstRegistration).Given(new RegisterAgent("agent-a", ["python"]), Task("t-1"));
        scenario.Claim("agent-a");
        // Within the 30 s lease, so the claim is still held.
        scenario.Advance(TimeSpan.FromSeconds(20));

        var decision = scenario.When(new RegisterAgent("agent-a", ["rust"]));

        var view = Assert.IsType<AgentRegistrationAccepted>(decision.Reply).Agent;
        Assert.Equal(new AgentView("agent-a", ["rust"], true, firstRegistration, scenario.Now, 1), view);
        Assert.Equal(["rust"], scenario.State.Agents["agent-a"].Capabilities.ToArray());
    }

    [Fact]
    public void An_agent_keeps_a_tally_of_its_claims_completed_failed_and_expired_that_registering_again_keeps()
    {
        var scenario = new Scenario().Given(new RegisterAgent("agent-a", ["python"]),
            Task("t-1"), Task("t-2"), Task("t-3", maxAttempts: 1), Task("t-4", "*"));
        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Fail(scenario.Claim("agent-a"), "fatal");
        scenario.Claim("agent-b");
        scenario.Advance(LifecyclePolicy.Default.Lease + TimeSpan.FromSeconds(1)).ProcessDeadlines();

        var agents = Agents(scenario.Given(new RegisterAgent("agent-a", ["rust"])));

        Assert.Equal((2, 1, 0), agents.Single(a => a.Agent == "agent-a") is var a ? (a.Completed, a.Failed, a.LeasesExpired) : default);
        Assert.Equal((0, 0, 1), agents.Single(a => a.Agent == "agent-b") is var b ? (b.Completed, b.Failed, b.LeasesExpired) : default);
        // The journal alone gives the same tally.
        AssertSameState(scenario.State, scenario.Replayed());
    }

    [Fact]
    public void An_agent_first_seen_claiming_becomes_registered_when_it_registers()
    {
        var scenario = new Scenario().Given(new ClaimTask("agent-a"));
        Assert.False(scenario.State.Agents["agent-a"].Registered);

        scenario.Advance(TimeSpan.FromSeconds(5)).Given(new RegisterAgent("agent-a", ["go"]));

        Assert.Equal(new AgentRecord("agent-a", ["go"], true, scenario.Now, scenario.Now), scenario.State.Agents["agent-a"]);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("")]
    [InlineData("   ")]
    public void Registering_as_the_any_agent_star_or_without_a_name_is_rejected(string agent)
    {
        AssertRejected(new Scenario().Decide(new RegisterAgent(agent, ["x"])), "agent");
    }

    [Fact]
    public void Registering_with_more_than_100_capabilities_is_rejected()
    {
        var hundred = Enumerable.Range(0, 100).Select(i => $"cap-{i}").ToList();

        Assert.IsType<AgentRegistrationAccepted>(new Scenario().Decide(new RegisterAgent("agent-a", hundred)).Reply);
        Assert.Contains("100", AssertRejected(new Scenario().Decide(new RegisterAgent("agent-a", [.. hundred, "one-more"])), "capabilities").Reason);
    }

    [Fact]
    public void Registering_with_a_blank_or_overlong_capability_is_rejected()
    {
        AssertRejected(new Scenario().Decide(new RegisterAgent("agent-a", ["ok", " "])), "capabilities");
        AssertRejected(new Scenario().Decide(new RegisterAgent("agent-a", [new string('c', 1001)])), "capabilities");
    }

    // ---- ListAgents ----------------------------------------------------------------------------

    [Fact]
    public void List_of_agents_holds_registered_and_seen_agents_by_name_with_the_claims_they_hold()
    {
        var scenario = new Scenario().Given(new RegisterAgent("zed", ["a"]), Task("t-1", "*"), Task("t-2", "*"), Task("t-3", "*"));
        scenario.Advance(TimeSpan.FromSeconds(1));
        scenario.Claim("bob");
        scenario.Claim("bob");
        scenario.Complete(scenario.Claim("amy"));

        var agents = Agents(scenario);

        var at = T0.AddSeconds(1);
        Assert.Equal(
            [
                new AgentView("amy", [], false, null, at, 0, Completed: 1),
                new AgentView("bob", [], false, null, at, 2),
                new AgentView("zed", ["a"], true, T0, T0, 0),
            ],
            agents);
    }

    [Fact]
    public void List_of_agents_is_empty_before_any_agent_is_known()
    {
        Assert.Empty(Agents(new Scenario().Given(Task("t-1"))));
    }

    [Fact]
    public void An_agent_s_last_seen_follows_its_own_actions_only()
    {
        // Given agent-a claimed at T0 with a 30 s lease and heartbeated at +10 s
        var scenario = new Scenario().Given(Task("t-1"));
        var assigned = scenario.Claim("agent-a");
        scenario.Advance(TimeSpan.FromSeconds(10)).Given(new Heartbeat("t-1", "agent-a", assigned.ClaimId));
        var afterHeartbeat = scenario.State.Agents["agent-a"].LastSeen;

        // When its lease expires (the orchestrator acts, not the agent) and an operator cancels the task
        scenario.AdvanceTo(scenario["t-1"].Claim!.LeaseUntil).ProcessDeadlines();
        scenario.Advance(TimeSpan.FromSeconds(1)).Given(new CancelTask("t-1", "gone"));

        // Then its last-seen time is that of its heartbeat
        Assert.Equal(T0.AddSeconds(10), afterHeartbeat);
        Assert.Equal(afterHeartbeat, scenario.State.Agents["agent-a"].LastSeen);
        Assert.Equal(0, Assert.Single(Agents(scenario)).ClaimsHeld);
    }

    // ---- Paging --------------------------------------------------------------------------------

    private static Scenario FiveAgents() =>
        new Scenario().Given(new RegisterAgent("echo"), new RegisterAgent("alpha"), new RegisterAgent("delta"), new RegisterAgent("bravo"), new RegisterAgent("charlie"));

    [Fact]
    public void Agents_are_listed_a_page_at_a_time_by_name_with_the_total_and_where_the_next_page_starts()
    {
        var scenario = FiveAgents();

        var first = Assert.IsType<AgentList>(scenario.Ask(new ListAgents(0, 2)));
        var middle = Assert.IsType<AgentList>(scenario.Ask(new ListAgents(2, 2)));
        var last = Assert.IsType<AgentList>(scenario.Ask(new ListAgents(4, 2)));

        Assert.Equal(["alpha", "bravo"], first.Agents.Select(a => a.Agent));
        Assert.Equal((5, 0, 2, (int?)2), (first.Total, first.Offset, first.Limit, first.NextOffset));
        Assert.Equal(["charlie", "delta"], middle.Agents.Select(a => a.Agent));
        Assert.Equal(4, middle.NextOffset);
        Assert.Equal(["echo"], last.Agents.Select(a => a.Agent));
        Assert.Null(last.NextOffset);
    }

    [Fact]
    public void A_list_of_agents_asks_for_the_first_hundred_unless_told_and_past_the_end_is_empty()
    {
        var scenario = FiveAgents();

        var all = Assert.IsType<AgentList>(scenario.Ask(new ListAgents()));
        var beyond = Assert.IsType<AgentList>(scenario.Ask(new ListAgents(Offset: 9)));

        Assert.Equal((5, 0, 100, (int?)null), (all.Agents.Count, all.Offset, all.Limit, all.NextOffset));
        Assert.Equal((0, 5, (int?)null), (beyond.Agents.Count, beyond.Total, beyond.NextOffset));
    }

    [Theory]
    [InlineData(-1, 100, "offset", "-1")]
    [InlineData(0, 0, "limit", "0")]
    [InlineData(0, 1001, "limit", "1001")]
    public void A_page_of_agents_outside_the_paging_rules_is_rejected_naming_the_value(int offset, int limit, string field, string value)
    {
        var rejected = AssertRejected(FiveAgents().Ask(new ListAgents(offset, limit)), field);

        Assert.Equal(value, rejected.Value);
    }

    [Fact]
    public void The_largest_page_of_agents_follows_the_largest_page_of_tasks()
    {
        var scenario = new Scenario(limits: new DomainLimits(MaxPageSize: 3)).Given(FiveAgents().Journal
            .OfType<AgentRegistered>().Select(e => (IStateManagerCommand)new RegisterAgent(e.Agent)).ToArray());

        Assert.Equal(3, Assert.IsType<AgentList>(scenario.Ask(new ListAgents(0, 3))).Agents.Count);
        AssertRejected(scenario.Ask(new ListAgents(0, 4)), "limit");
    }
}
