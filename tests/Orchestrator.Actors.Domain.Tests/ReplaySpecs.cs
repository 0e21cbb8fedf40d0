using System.Text.Json;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>Events are the truth: folding them from nothing gives the state the decisions built.</summary>
public sealed class ReplaySpecs
{
    [Fact]
    public void Replaying_the_journal_of_a_lifecycle_scenario_gives_the_state_the_decisions_built()
    {
        // Given a scenario with claims, heartbeats, failures, retries, expiries, kills, a cancellation
        var scenario = Scenarios.Rich();

        // When its journal is folded onto an empty state
        var replayed = scenario.Replayed();

        // Then every task, agent, document, counter and index is the same
        AssertSameState(scenario.State, replayed);
    }

    [Fact]
    public void Replaying_events_read_back_from_their_journaled_json_gives_the_same_state()
    {
        var scenario = Scenarios.Rich();

        var fromJson = scenario.Journal
            .Select(e => (IOrchestratorEvent)JsonSerializer.Deserialize(
                JsonSerializer.Serialize(e, e.GetType(), OrchestratorJsonContext.Default), e.GetType(), OrchestratorJsonContext.Default)!)
            .ToList();

        AssertSameState(scenario.State, OrchestratorDomain.ApplyAll(OrchestratorState.Empty, fromJson));
    }

    [Fact]
    public void A_run_of_definitions_applied_together_leaves_the_state_they_leave_one_by_one()
    {
        // Given a completed task, a READY one and a PENDING one
        var scenario = new Scenario().Given(Task("done"), Task("ready"), Task("waiting", dependsOn: ["ready"]));
        scenario.Complete((TaskAssigned)scenario.When(new ClaimTask("agent-a")).Reply);
        var before = scenario.State;

        // When a batch defines tasks that depend on each other, on the completed one and on the
        // waiting one, for new and known agents, the same agent's name arriving as distinct strings
        var events = scenario.When(new DefineTasks([
            Task("b1", agent: new string("agent-b".AsSpan())),
            Task("b2", agent: new string("agent-b".AsSpan()), dependsOn: ["b1"]),
            Task("b3", agent: "*", dependsOn: ["done"], priority: "HIGH"),
            Task("b4", dependsOn: ["waiting", "done"]),
            Task("b5", agent: new string("agent-b".AsSpan()), priority: "LOW"),
        ])).Events;

        // Then folding the run at once gives what folding it event by event gives
        var oneByOne = events.Aggregate(before, OrchestratorDomain.Apply);
        var together = OrchestratorDomain.ApplyAll(before, events);
        AssertSameState(oneByOne, together);
        AssertSameState(scenario.State, together);
        // And the agent's name is held once, however many definitions carried it
        Assert.Same(together.Tasks["b1"].Agent, together.Tasks["b5"].Agent);
        Assert.Same(oneByOne.Tasks["b1"].Agent, oneByOne.Tasks["b2"].Agent);
    }

    [Fact]
    public void Replayed_state_decides_what_comes_next_exactly_as_the_live_one()
    {
        var live = Scenarios.Rich();
        var replayed = new Scenario(random: () => 0.5, start: live.Now, state: live.Replayed());

        Assert.Equal(Scenarios.Continue(live), Scenarios.Continue(replayed));
    }

    [Fact]
    public void Replaying_after_requeues_and_completions_of_dependants_gives_the_same_state()
    {
        var scenario = Scenarios.Rich();
        Scenarios.Continue(scenario);

        AssertSameState(scenario.State, scenario.Replayed());
    }

    [Fact]
    public void The_state_compare_tells_states_with_different_queues_apart()
    {
        // The check the replay specs rely on must notice a difference in what would be claimed next
        var one = new Scenario().Given(Task("a"), Task("b"));
        var other = new Scenario().Given(Task("b"), Task("a"));

        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertSameState(one.State, other.State));
    }

    [Fact]
    public void Apply_leaves_the_state_it_was_given_as_it_was()
    {
        var scenario = new Scenario().Given(Task("t"));
        var before = scenario.State;

        scenario.Complete(scenario.Claim("agent-a"));

        Assert.Equal(TaskState.Ready, before.Tasks["t"].Status);
        Assert.Equal("t", before.NextReadyFor("agent-a")?.TaskId);
        Assert.Null(before.NextDeadline);
        Assert.Equal(1, before.NextClaim);
        Assert.Empty(before.Agents);
    }

    [Fact]
    public void Deciding_changes_nothing_until_the_events_are_applied()
    {
        var scenario = new Scenario().Given(Task("t"));

        var first = scenario.Decide(new ClaimTask("agent-a"));
        var second = scenario.Decide(new ClaimTask("agent-a"));

        Assert.Equal(Json(first.Reply), Json(second.Reply));
        Assert.Equal(TaskState.Ready, scenario["t"].Status);
    }
}
