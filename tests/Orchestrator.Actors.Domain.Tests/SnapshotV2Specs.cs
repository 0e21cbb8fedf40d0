using System.Text.Json;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Serialization;
using Orchestrator.Actors.Protocol.Snapshots;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>Snapshot v2: the whole lifecycle state, through its JSON, and back.</summary>
public sealed class SnapshotV2Specs
{
    private static string ToJson(OrchestratorState state) =>
        JsonSerializer.Serialize(Snapshots.ToSnapshot(state), OrchestratorJsonContext.Default.OrchestratorSnapshotV2);

    private static OrchestratorState FromJson(string json) =>
        Snapshots.FromSnapshot(JsonSerializer.Deserialize(json, OrchestratorJsonContext.Default.OrchestratorSnapshotV2)!);

    [Fact]
    public void The_rich_scenario_holds_what_the_snapshot_specs_need()
    {
        // So that a round trip that drops any of these would be noticed
        var state = Scenarios.Rich().State;

        Assert.Equal(Enum.GetValues<TaskState>().ToHashSet(), state.Tasks.Values.Select(t => t.Status).ToHashSet());
        Assert.Contains(state.Tasks.Values, t => t is { Status: TaskState.Claimed, Claim: not null });
        Assert.Contains(state.Tasks.Values, t => t is { Status: TaskState.Failed, RetryAt: not null });
        Assert.Contains(state.Tasks.Values, t => t is { Status: TaskState.Dead, KilledBy: not null });
        Assert.Contains(state.Tasks.Values, t => t.LastClaimOutcome == ClaimOutcome.Expired);
        Assert.Contains(state.Tasks.Values, t => t.Result is not null && t.Payload is not null);
        Assert.Contains(state.Agents.Values, a => a.Registered);
        Assert.Contains(state.Agents.Values, a => !a.Registered);
        Assert.Contains(state.Agents.Values, a => a is { Completed: > 0, Failed: > 0 });
        Assert.Contains(state.Agents.Values, a => a.LeasesExpired > 0);
        Assert.NotEmpty(state.Documents);
        Assert.NotNull(state.NextDeadline);
    }

    [Fact]
    public void Rich_state_round_trips_through_v2_json_to_an_equal_state()
    {
        var state = Scenarios.Rich().State;

        var restored = FromJson(ToJson(state));

        AssertSameState(state, restored);
    }

    [Fact]
    public void Rich_state_round_trips_through_the_snapshot_record_to_an_equal_state()
    {
        var state = Scenarios.Rich().State;

        AssertSameState(state, Snapshots.FromSnapshot(Snapshots.ToSnapshot(state)));
    }

    [Fact]
    public void Snapshot_json_of_a_restored_state_is_the_json_it_was_restored_from()
    {
        var json = ToJson(Scenarios.Rich().State);

        Assert.Equal(json, ToJson(FromJson(json)));
    }

    [Fact]
    public void An_agent_in_a_snapshot_written_before_agents_had_a_tally_reads_with_a_tally_of_zero()
    {
        var state = Scenarios.Rich().State;
        var json = System.Text.Json.Nodes.JsonNode.Parse(ToJson(state))!;
        foreach (var agent in json["agents"]!.AsArray())
        {
            var fields = agent!.AsObject();
            Assert.True(fields.Remove("completed") & fields.Remove("failed") & fields.Remove("leasesExpired"), fields.ToJsonString());
        }

        var restored = FromJson(json.ToJsonString());

        Assert.Equal(state.Agents.Keys.Order(), restored.Agents.Keys.Order());
        Assert.All(restored.Agents.Values, a => Assert.Equal((0, 0, 0), (a.Completed, a.Failed, a.LeasesExpired)));
        Assert.Equal(state.Agents["agent-a"].LastSeen, restored.Agents["agent-a"].LastSeen);
    }

    [Fact]
    public void Snapshot_carries_the_counters_tasks_in_definition_order_and_agents_by_name()
    {
        var state = Scenarios.Rich().State;

        var snapshot = Snapshots.ToSnapshot(state);

        Assert.Equal(OrchestratorSnapshotV2.Version, snapshot.FormatVersion);
        Assert.Equal((state.NextOrdinal, state.NextClaim, state.NextReadySeq), (snapshot.NextOrdinal, snapshot.NextClaim, snapshot.NextReadySeq));
        Assert.Equal(state.Tasks.Values.OrderBy(t => t.Ordinal).Select(t => t.TaskId), snapshot.Tasks.Select(t => t.TaskId));
        Assert.Equal(["agent-a", "agent-b", "agent-c", "agent-q", "agent-z"], snapshot.Agents.Select(a => a.Agent));
    }

    [Fact]
    public void Restored_state_behaves_like_the_original_same_claim_ids_same_claim_order_same_deadlines()
    {
        var live = Scenarios.Rich();
        var restored = new Scenario(random: () => 0.5, start: live.Now, state: FromJson(ToJson(live.State)));

        var liveLog = Scenarios.Continue(live);
        var restoredLog = Scenarios.Continue(restored);

        Assert.Equal(liveLog, restoredLog);
        AssertSameState(live.State, restored.State);
    }

    [Fact]
    public void Restored_state_hands_out_the_next_claim_id_and_the_ready_tasks_in_the_original_order()
    {
        var live = Scenarios.Rich();
        var restored = new Scenario(start: live.Now, state: FromJson(ToJson(live.State)));
        var expectedClaim = $"claim-{live.State.NextClaim}";

        var order = new List<string>();
        while (restored.When(new ClaimTask("agent-b")).Reply is Protocol.Replies.TaskAssigned assigned) order.Add($"{assigned.Task.TaskId}/{assigned.ClaimId}");
        var liveOrder = new List<string>();
        while (live.When(new ClaimTask("agent-b")).Reply is Protocol.Replies.TaskAssigned assigned) liveOrder.Add($"{assigned.Task.TaskId}/{assigned.ClaimId}");

        Assert.NotEmpty(order);
        Assert.EndsWith(expectedClaim, order[0]);
        Assert.Equal(liveOrder, order);
    }

    [Fact]
    public void Snapshot_taken_midway_plus_the_later_events_gives_the_full_state()
    {
        // Recovery: the newest snapshot, then the events journaled after it
        var scenario = Scenarios.Rich();
        var snapshotJson = ToJson(scenario.State);
        var journaledBefore = scenario.Journal.Count;
        Scenarios.Continue(scenario);

        var recovered = OrchestratorDomain.ApplyAll(FromJson(snapshotJson), scenario.Journal.Skip(journaledBefore));

        AssertSameState(scenario.State, recovered);
        AssertSameState(scenario.State, scenario.Replayed());
    }

    [Fact]
    public void Snapshot_listing_a_task_twice_is_refused()
    {
        var snapshot = Snapshots.ToSnapshot(Scenarios.Rich().State);
        var twice = snapshot with { Tasks = [.. snapshot.Tasks, snapshot.Tasks[0]] };

        var error = Assert.Throws<ArgumentException>(() => Snapshots.FromSnapshot(twice));

        Assert.Contains(snapshot.Tasks[0].TaskId, error.Message);
    }

    [Fact]
    public void Snapshot_with_a_claimed_task_without_its_claim_is_refused()
    {
        var snapshot = Snapshots.ToSnapshot(Scenarios.Rich().State);
        var broken = snapshot with { Tasks = snapshot.Tasks.Select(t => t.Status == TaskState.Claimed ? t with { Claim = null } : t).ToList() };

        var error = Assert.Throws<ArgumentException>(() => Snapshots.FromSnapshot(broken));

        Assert.Contains("CLAIMED", error.Message);
    }

    [Fact]
    public void Snapshot_with_a_failed_task_without_its_retry_time_is_refused()
    {
        var snapshot = Snapshots.ToSnapshot(Scenarios.Rich().State);
        Assert.Contains(snapshot.Tasks, t => t.Status == TaskState.Failed);
        var broken = snapshot with { Tasks = snapshot.Tasks.Select(t => t.Status == TaskState.Failed ? t with { RetryAt = null } : t).ToList() };

        var error = Assert.Throws<ArgumentException>(() => Snapshots.FromSnapshot(broken));

        Assert.Contains("FAILED", error.Message);
    }

    [Fact]
    public void Snapshot_with_a_dependency_it_does_not_hold_is_refused()
    {
        var snapshot = Snapshots.ToSnapshot(Scenarios.Rich().State);
        var broken = snapshot with { Tasks = [.. snapshot.Tasks.Take(1).Select(t => t with { DependsOn = ["ghost"] }), .. snapshot.Tasks.Skip(1)] };

        var error = Assert.Throws<ArgumentException>(() => Snapshots.FromSnapshot(broken));

        Assert.Contains("'ghost'", error.Message);
    }

    [Fact]
    public void Two_ready_tasks_sharing_a_queue_place_both_stay_claimable()
    {
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2"));
        var snapshot = Snapshots.ToSnapshot(scenario.State);
        var sameSeq = snapshot with { Tasks = snapshot.Tasks.Select(t => t with { ReadySeq = 7 }).ToList() };

        var restored = new Scenario(state: Snapshots.FromSnapshot(sameSeq));

        Assert.Equal(["t-1", "t-2"], new[] { restored.Claim("agent-a").Task.TaskId, restored.Claim("agent-a").Task.TaskId }.Order());
    }
}
