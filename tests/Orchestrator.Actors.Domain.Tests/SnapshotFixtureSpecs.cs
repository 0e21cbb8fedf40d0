using System.Text.Json;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;
using Orchestrator.Actors.Protocol.Snapshots;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>
/// Fixtures/snapshot.v1.json was written by the v1 code (12 tasks, 2 documents, one at version 2),
/// before the task lifecycle. It must load in every later version: through the upcast to v2.
/// Never regenerate it.
/// </summary>
public sealed class SnapshotFixtureSpecs
{
    private static readonly DateTimeOffset WrittenAt = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The fixture's tasks as the v1 code defined them: id, agent, priority (file tasks/v1/N.md, defined N seconds after noon).</summary>
    private static readonly (string Agent, string Priority)[] V1Tasks =
    [
        ("*", "CRITICAL"), ("agent-1", "HIGH"), ("agent-2", "MEDIUM"), ("*", "LOW"),
        ("agent-0", "CRITICAL"), ("agent-1", "HIGH"), ("*", "MEDIUM"), ("agent-3", "LOW"),
        ("agent-0", "CRITICAL"), ("*", "HIGH"), ("agent-2", "MEDIUM"), ("agent-3", "LOW"),
    ];

    private static OrchestratorSnapshotV1 LoadFixture()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "snapshot.v1.json"));
        return JsonSerializer.Deserialize(bytes, OrchestratorJsonContext.Default.OrchestratorSnapshotV1)!;
    }

    /// <summary>
    /// The events the v1 code journaled for the fixture's content, read as today's code reads old
    /// journal entries: <c>task-defined.v1</c> without dependsOn, maxAttempts or payload, and the saves.
    /// </summary>
    private static List<IOrchestratorEvent> V1Journal()
    {
        var events = new List<IOrchestratorEvent>();
        for (var i = 0; i < V1Tasks.Length; i++)
        {
            var json = $$"""
                {"taskId":"v1-task-{{i:D2}}","agent":"{{V1Tasks[i].Agent}}","taskFile":"tasks/v1/{{i}}.md","priority":"{{V1Tasks[i].Priority}}","definedAt":"{{WrittenAt.AddSeconds(i):O}}"}
                """;
            events.Add(JsonSerializer.Deserialize(json, OrchestratorJsonContext.Default.TaskDefined)!);
        }
        events.Add(new StateSavedEvent("agent-2", "scratch", "[1,2,3]", 1, WrittenAt.AddMinutes(1)));
        events.Add(new StateSavedEvent("agent-1", "checkpoint", """{"step":4}""", 2, WrittenAt.AddMinutes(2)));
        return events;
    }

    [Fact]
    public void The_v1_snapshot_fixture_loads_with_every_task_and_document()
    {
        var state = Snapshots.FromSnapshot(LoadFixture());

        Assert.Equal(12, state.Tasks.Count);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"v1-task-{i:D2}"),
            state.Tasks.Values.OrderBy(t => t.Ordinal).Select(t => t.TaskId));
        Assert.Equal(TaskPriority.Critical, state.Tasks["v1-task-00"].Priority);
        Assert.Equal("*", state.Tasks["v1-task-00"].Agent);
        Assert.Equal(TaskPriority.Medium, state.Tasks["v1-task-02"].Priority);
        Assert.All(state.Tasks.Values, t => Assert.Equal(TaskState.Ready, t.Status));
        Assert.Equal(12, state.NextOrdinal);
        Assert.Equal(2, state.Documents.Count);
        var checkpoint = state.Documents[new DocumentKey("agent-1", "checkpoint")];
        Assert.Equal((2L, """{"step":4}"""), (checkpoint.Version, checkpoint.Json));
    }

    [Fact]
    public void The_v1_fixture_upcasts_to_tasks_with_the_lifecycle_defaults()
    {
        var state = Snapshots.FromSnapshot(LoadFixture());

        Assert.All(state.Tasks.Values, t =>
        {
            Assert.Empty(t.DependsOn);
            Assert.Equal(TaskDefined.DefaultMaxAttempts, t.MaxAttempts);
            Assert.Equal((0, (ClaimInfo?)null, (string?)null, (string?)null), (t.Attempts, t.Claim, t.Payload, t.DefinedBy));
            Assert.Equal(t.DefinedAt, t.UpdatedAt);
            Assert.Equal(new TaskHistoryEntry("task-defined", null, TaskState.Ready, t.DefinedAt, null), Assert.Single(t.History));
        });
        Assert.Equal((1L, 12L), (state.NextClaim, state.NextReadySeq));
        Assert.Empty(state.Agents);
        Assert.Null(state.NextDeadline);
    }

    [Fact]
    public void The_v1_fixture_upcasts_to_the_state_its_v1_events_replay_to()
    {
        // Given the state the v1 journal of the same content replays to today
        var replayed = OrchestratorDomain.ApplyAll(OrchestratorState.Empty, V1Journal());

        // When the v1 snapshot is loaded
        var upcast = Snapshots.FromSnapshot(LoadFixture());

        // Then both are the same, down to the READY queues
        AssertSameState(replayed, upcast);
    }

    [Fact]
    public void After_the_upcast_tasks_are_claimed_in_priority_order_then_first_come_first_served()
    {
        var scenario = new Scenario(start: WrittenAt.AddHours(1), state: Snapshots.FromSnapshot(LoadFixture()));

        // agent-0 gets its own tasks (4, 8) and any-agent tasks (0, 3, 6, 9)
        var claimed = new List<TaskAssigned>();
        while (scenario.When(new ClaimTask("agent-0")).Reply is TaskAssigned assigned) claimed.Add(assigned);

        Assert.Equal(["v1-task-00", "v1-task-04", "v1-task-08", "v1-task-09", "v1-task-06", "v1-task-03"], claimed.Select(a => a.Task.TaskId));
        Assert.Equal(Enumerable.Range(1, 6).Select(n => $"claim-{n}"), claimed.Select(a => a.ClaimId));
        Assert.All(claimed, a => Assert.Equal((1, TaskDefined.DefaultMaxAttempts), (a.Task.Attempts, a.Task.MaxAttempts)));
        // and agent-3 is left with its own two, oldest first
        Assert.Equal("v1-task-07", scenario.Claim("agent-3").Task.TaskId);
        Assert.Equal("v1-task-11", scenario.Claim("agent-3").Task.TaskId);
    }

    [Fact]
    public void After_the_upcast_tasks_are_claimed_as_they_would_be_after_replaying_the_v1_events()
    {
        var start = WrittenAt.AddHours(1);
        var upcast = new Scenario(start: start, state: Snapshots.FromSnapshot(LoadFixture()));
        var replayed = new Scenario(start: start, state: OrchestratorDomain.ApplyAll(OrchestratorState.Empty, V1Journal()));

        List<string> ClaimAll(Scenario scenario) =>
            new[] { "agent-1", "agent-2", "agent-3", "agent-0", "agent-9" }
                .SelectMany(agent => Enumerable.Range(0, 5).Select(_ => Json(scenario.When(new ClaimTask(agent)).Reply)))
                .ToList();

        Assert.Equal(ClaimAll(replayed), ClaimAll(upcast));
        Assert.All(upcast.State.Tasks.Values, t => Assert.Equal(TaskState.Claimed, t.Status));
    }

    [Fact]
    public void After_the_upcast_the_oldest_ready_task_has_waited_since_its_v1_definition()
    {
        var state = Snapshots.FromSnapshot(LoadFixture());

        var stats = Assert.IsType<StatsReport>(OrchestratorDomain.Answer(state, GetStats.Instance, DomainLimits.Default, WrittenAt.AddHours(1)));

        Assert.Equal(TimeSpan.FromHours(1), stats.OldestReadyAge);
        Assert.Equal(12, stats.ByStatus["READY"]);
    }

    [Fact]
    public void An_upcast_state_saved_again_as_v2_loads_equal()
    {
        var upcast = Snapshots.FromSnapshot(LoadFixture());

        var json = JsonSerializer.Serialize(Snapshots.ToSnapshot(upcast), OrchestratorJsonContext.Default.OrchestratorSnapshotV2);
        var reloaded = Snapshots.FromSnapshot(JsonSerializer.Deserialize(json, OrchestratorJsonContext.Default.OrchestratorSnapshotV2)!);

        AssertSameState(upcast, reloaded);
    }

    [Fact]
    public void Upcast_gives_a_v2_snapshot_with_tasks_in_v1_order()
    {
        var v1 = LoadFixture();

        var v2 = Snapshots.Upcast(v1);

        Assert.Equal(OrchestratorSnapshotV2.Version, v2.FormatVersion);
        Assert.Equal(v1.Tasks.Select(t => t.TaskId), v2.Tasks.Select(t => t.TaskId));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), v2.Tasks.Select(t => t.Ordinal));
        Assert.Equal(v1.Documents, v2.Documents);
    }

    [Fact]
    public void Upcast_of_an_empty_v1_snapshot_is_the_empty_state()
    {
        var state = Snapshots.FromSnapshot(new OrchestratorSnapshotV1(OrchestratorSnapshotV1.Version, [], []));

        AssertSameState(OrchestratorState.Empty, state);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void V1_snapshot_carrying_another_format_version_is_refused(int formatVersion)
    {
        var snapshot = LoadFixture() with { FormatVersion = formatVersion };

        var error = Assert.Throws<ArgumentException>(() => Snapshots.Upcast(snapshot));

        Assert.Contains(formatVersion.ToString(), error.Message);
        Assert.Throws<ArgumentException>(() => Snapshots.FromSnapshot(snapshot));
    }
}
