using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 17: with fairness on, claims rotate across the groups of a tag prefix within a priority, so
// one tenant's flood does not starve the others.
public sealed class FairnessSpecs
{
    private static DefineTask Tenant(string id, string tenant, string? priority = null, string agent = "*") =>
        Task(id, agent: agent, priority: priority, tags: [$"tenant={tenant}", "team:core"]);

    private static List<string> ClaimAll(Scenario scenario, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => scenario.Claim("worker").Task.TaskId)];

    // A floods first (a1..a5), then b1, b2 and c1 arrive.
    private static Scenario Flooded() =>
        new Scenario().Given(Tenant("a1", "a"), Tenant("a2", "a"), Tenant("a3", "a"), Tenant("a4", "a"), Tenant("a5", "a"),
            Tenant("b1", "b"), Tenant("b2", "b"), Tenant("c1", "c"));

    [Fact]
    public void Without_fairness_claims_are_first_come_first_served_with_it_they_rotate_across_the_groups()
    {
        Assert.Equal(["a1", "a2", "a3", "a4", "a5", "b1", "b2", "c1"], ClaimAll(Flooded(), 8));

        var fair = Flooded().Given(new SetClaimLimits(FairBy: "tenant="));

        Assert.Equal(["a1", "b1", "c1", "a2", "b2", "a3", "a4", "a5"], ClaimAll(fair, 8));
        Assert.Equal("tenant=", Assert.IsType<StatsReport>(fair.Ask(Protocol.Queries.GetStats.Instance)).ClaimLimits!.FairBy);
    }

    [Fact]
    public void Priority_still_comes_first_and_a_task_without_the_prefix_is_a_group_of_its_own()
    {
        var scenario = Flooded().Given(Task("plain-1", agent: "*"), Task("plain-2", agent: "*"), Tenant("b-urgent", "b", "HIGH"),
            new SetClaimLimits(FairBy: "tenant="));

        // b was served by its HIGH task: of the MEDIUM groups, the ones never served go first, in arrival order.
        Assert.Equal(["b-urgent", "a1", "c1", "plain-1", "b1", "a2", "plain-2"], ClaimAll(scenario, 7));
    }

    [Fact]
    public void A_served_group_goes_to_the_back_even_when_it_had_waited_longest_and_an_agent_s_own_queue_joins_the_rotation()
    {
        var scenario = new Scenario().Given(new SetClaimLimits(FairBy: "tenant="), Tenant("a1", "a"), Tenant("a2", "a"), Tenant("own-b", "b", agent: "worker"));

        Assert.Equal(["a1", "own-b", "a2"], ClaimAll(scenario, 3));
        Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("worker")).Reply);
        // Another agent never sees worker's own task.
        scenario.Given(Tenant("own-b2", "b", agent: "worker"), Tenant("a3", "a"));
        Assert.Equal("a3", scenario.Claim("other").Task.TaskId);
    }

    [Fact]
    public void A_group_at_its_tag_limit_does_not_hold_the_others_back()
    {
        var scenario = Flooded().Given(new SetClaimLimits(MaxClaimsPerTag: new Dictionary<string, int> { ["tenant=b"] = 1 }, FairBy: "tenant="));

        Assert.Equal(["a1", "b1", "c1", "a2", "a3"], ClaimAll(scenario, 5));
    }

    [Fact]
    public void Fairness_turned_on_groups_the_READY_tasks_and_turned_off_gives_first_come_first_served_back()
    {
        var scenario = Flooded();
        Assert.Equal("a1", scenario.Claim("worker").Task.TaskId);

        scenario.Given(new SetClaimLimits(FairBy: "tenant="));
        Assert.NotNull(scenario.State.Fair);
        // No group served yet when it is turned on: a2 waited longest, then each other group once.
        Assert.Equal(["a2", "b1", "c1", "a3"], ClaimAll(scenario, 4));

        scenario.Given(new SetClaimLimits());
        Assert.Null(scenario.State.Fair);
        Assert.Null(scenario.State.ClaimLimits);
        Assert.Equal(["a4", "a5", "b2"], ClaimAll(scenario, 3));
    }

    [Fact]
    public void The_groups_and_their_turns_come_back_the_same_from_the_journal_and_from_a_snapshot()
    {
        var scenario = Flooded().Given(new SetClaimLimits(FairBy: "tenant="));
        var first = scenario.Claim("worker");
        scenario.Claim("worker");
        scenario.Complete(first);
        scenario.Given(new DefineTasks([Tenant("a6", "a"), Tenant("d1", "d")]));

        AssertSameState(scenario.State, scenario.Replayed());
        var restored = Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State));
        AssertSameState(scenario.State, restored);
        var fromSnapshot = new Scenario(start: scenario.Now, state: restored);
        Assert.Equal(ClaimAll(scenario, 5), ClaimAll(fromSnapshot, 5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Claims_under_fairness_follow_the_rule_through_definitions_claims_cancels_tag_limits_toggles_and_snapshots(int seed)
    {
        // The rule, counted from the tasks alone: of the READY tasks the agent may claim, each group's
        // head (per queue: the task's agent, and group), the highest priority first, then the group
        // served longest ago (never first), then the task READY longest; a head a tag limit holds
        // back gives way to the next head, and with every head held, to the first free task in
        // claim order.
        var random = new Random(seed);
        var limits = new Dictionary<string, int> { ["tenant=b"] = 1, ["gpu"] = 1 };
        var fairOn = new SetClaimLimits(MaxClaimsPerTag: limits, FairBy: "tenant=");
        var scenario = new Scenario().Given(fairOn);
        var served = new Dictionary<(string Queue, string Group), long>();
        var turn = 0L;
        var held = new List<TaskAssigned>();
        for (var step = 0; step < 400; step++)
        {
            var roll = random.Next(100);
            if (roll < 40)
            {
                var tags = new List<string>();
                if (random.Next(5) > 0) tags.Add($"tenant={"abcdef"[random.Next(seed % 2 == 0 ? 3 : 6)]}");
                if (random.Next(2) == 0) tags.Add("gpu");
                scenario.Given(Task($"t{step}", agent: random.Next(3) switch { 0 => "worker", 1 => "other", _ => "*" },
                    priority: random.Next(5) switch { 0 => "HIGH", 1 => "LOW", 2 => "CRITICAL", _ => null }, tags: [.. tags]));
            }
            else if (roll < 75)
            {
                var agent = random.Next(3) == 0 ? "other" : "worker";
                var expected = Expected(scenario.State, agent);
                var reply = scenario.When(new ClaimTask(agent)).Reply;
                Assert.Equal(expected?.TaskId, (reply as TaskAssigned)?.Task.TaskId);
                if (reply is TaskAssigned assigned)
                {
                    served[(expected!.Agent, Group(expected))] = ++turn;
                    held.Add(assigned);
                }
            }
            else if (roll < 88 && held.Count > 0)
            {
                var done = held[random.Next(held.Count)];
                held.Remove(done);
                scenario.Complete(done);
            }
            else if (roll < 94 && scenario.State.Tasks.Values.Where(t => t.Status == TaskState.Ready).ToList() is { Count: > 0 } ready)
                scenario.Given(new CancelTask(ready[random.Next(ready.Count)].TaskId, "not needed"));
            else if (roll < 97)
            {
                // Off and on again: the groups are made anew, none served.
                scenario.Given(new SetClaimLimits(MaxClaimsPerTag: limits), fairOn);
                served.Clear();
                turn = 0;
            }
            else
            {
                var restored = Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State));
                AssertSameState(scenario.State, restored);
                scenario = new Scenario(start: scenario.Now, state: restored);
            }
            // The heads kept as the steps changed them are the heads laid out anew from the groups.
            if (scenario.State.Fair is { } fair)
                Assert.Equal(FairQueues.Of(fair.Prefix, fair.ReadyQueues(), scenario.State.Tasks).WithTurns(fair.Turns(), fair.Turn), fair);
        }
        AssertSameState(scenario.State, Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)));

        TaskRecord? Expected(OrchestratorState state, string agent)
        {
            var claimed = state.Tasks.Values.Where(t => t.Status == TaskState.Claimed).SelectMany(t => t.Tags).CountBy(t => t).ToDictionary();
            bool Free(TaskRecord task) => !task.Tags.Any(tag => limits.TryGetValue(tag, out var most) && claimed.GetValueOrDefault(tag) >= most);
            var mine = state.Tasks.Values.Where(t => t.Status == TaskState.Ready && (t.Agent == agent || t.Agent == "*")).OrderBy(t => t.QueueEntry).ToList();
            var heads = mine.GroupBy(t => (t.Agent, Group(t))).Select(g => g.First())
                .OrderBy(t => t.Priority).ThenBy(t => served.GetValueOrDefault((t.Agent, Group(t)))).ThenBy(t => t.QueueEntry).ToList();
            return heads.FirstOrDefault(Free) ?? mine.FirstOrDefault(Free);
        }

        static string Group(TaskRecord task) => task.Tags.FirstOrDefault(t => t.StartsWith("tenant=", StringComparison.Ordinal)) ?? "";
    }

    [Fact]
    public void A_bad_prefix_is_refused_naming_fairBy()
    {
        var decision = new Scenario().When(new SetClaimLimits(FairBy: "tenant id"));

        Assert.Contains("only ASCII letters", AssertRejected(decision, "fairBy").Reason);
        Assert.IsType<ClaimLimitsChanged>(Assert.Single(new Scenario().When(new SetClaimLimits(FairBy: "tenant=")).Events));
    }
}
