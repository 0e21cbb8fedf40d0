using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>
/// The figures the state keeps as it changes (tasks by status and priority, claims by agent, the
/// task READY the longest), so that GetStats and ListAgents need no scan: after every kind of change
/// they are what counting the tasks again gives.
/// </summary>
public sealed class TaskCountsSpecs
{
    [Fact]
    public void Counts_kept_through_every_kind_of_change_equal_a_recount_after_each_step()
    {
        // Given a state with a task in every status, claims held and given up, retries and deaths
        var scenario = Scenarios.Rich();
        AssertCountsMatchTheTasks(scenario.State);
        Assert.NotEmpty(scenario.State.Counts.ClaimsByAgent);

        // When it goes on (claims, expiries, a requeue, completions), checked at every decision
        var journal = scenario.Journal.Count;
        Scenarios.Continue(scenario);
        Assert.True(scenario.Journal.Count > journal);
        var state = scenario.Replayed();
        AssertCountsMatchTheTasks(scenario.State);
        AssertCountsMatchTheTasks(state);

        // Then a replay and a snapshot round trip keep the same counts
        AssertSameState(scenario.State, state);
        AssertSameState(scenario.State, Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)));
    }

    [Fact]
    public void A_claim_counts_against_its_holder_until_it_ends_however_it_ends()
    {
        var scenario = new Scenario().Given(Task("a", "*"), Task("b", "*"), Task("c", "*"));
        var first = scenario.Claim("agent-x", TimeSpan.FromSeconds(5));
        var second = scenario.Claim("agent-x", TimeSpan.FromMinutes(5));
        scenario.Claim("agent-y");
        Assert.Equal((2, 1), (scenario.State.Counts.ClaimsByAgent["agent-x"], scenario.State.Counts.ClaimsByAgent["agent-y"]));

        scenario.Complete(second);
        scenario.Advance(TimeSpan.FromSeconds(5)).ProcessDeadlines(); // first's lease expires
        Assert.Equal(TaskState.Ready, scenario[first.Task.TaskId].Status);
        Assert.False(scenario.State.Counts.ClaimsByAgent.ContainsKey("agent-x"));
        var agents = Assert.IsType<AgentList>(scenario.Ask(new ListAgents()));
        Assert.Equal(1, agents.Agents.Single(a => a.Agent == "agent-y").ClaimsHeld);
        Assert.Equal(0, agents.Agents.Single(a => a.Agent == "agent-x").ClaimsHeld);
        AssertCountsMatchTheTasks(scenario.State);
    }

    [Fact]
    public void The_task_ready_the_longest_is_the_one_that_became_ready_first_across_agents_and_priorities()
    {
        // Given READY tasks of several agents and priorities, one of them READY again after a failure
        var scenario = new Scenario()
            .Given(Task("low-early", "agent-a", "LOW"))
            .Advance(TimeSpan.FromSeconds(1)).Given(Task("critical", "agent-b", "CRITICAL"), Task("flaky", "agent-c", "HIGH"))
            .Advance(TimeSpan.FromSeconds(1)).Given(Task("medium", "*"));
        scenario.Fail(scenario.Claim("agent-c"));
        Assert.Equal("low-early", scenario.State.LongestReady()?.TaskId);

        // When tasks are claimed by priority, the longest waiting stays the one READY first, whatever its priority or queue
        Assert.Equal("medium", scenario.Claim("agent-a").Task.TaskId);
        Assert.Equal("low-early", scenario.State.LongestReady()?.TaskId);
        Assert.Equal("low-early", scenario.Claim("agent-a").Task.TaskId);
        Assert.Equal("critical", scenario.State.LongestReady()?.TaskId);
        scenario.AdvanceTo(scenario["flaky"].RetryAt!.Value).ProcessDeadlines();
        Assert.Equal("critical", scenario.State.LongestReady()?.TaskId);
        Assert.Equal("critical", scenario.Claim("agent-b").Task.TaskId);
        Assert.Equal("flaky", scenario.State.LongestReady()?.TaskId);

        // Then GetStats's age is that task's time READY, the same the brute force over all tasks gives
        scenario.Advance(TimeSpan.FromSeconds(7));
        var readiest = scenario.State.Tasks.Values.Where(t => t.Status == TaskState.Ready).MinBy(t => t.UpdatedAt)!;
        Assert.Equal("flaky", readiest.TaskId);
        var stats = Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance));
        Assert.Equal(scenario.Now - readiest.UpdatedAt, stats.OldestReadyAge);
        Assert.Equal("flaky", scenario.Claim("agent-c").Task.TaskId);
        Assert.Null(scenario.State.LongestReady());
    }
}
