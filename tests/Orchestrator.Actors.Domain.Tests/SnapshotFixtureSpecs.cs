using System.Text.Json;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Serialization;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>
/// Fixtures/snapshot.v1.json was written by the v1 code (12 tasks, 2 documents, one at version 2).
/// It must load in every later version, through an upcast once the format changes.
/// </summary>
public sealed class SnapshotFixtureSpecs
{
    [Fact]
    public void The_v1_snapshot_fixture_loads_with_every_task_and_document()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "snapshot.v1.json"));

        var snapshot = JsonSerializer.Deserialize(bytes, OrchestratorJsonContext.Default.OrchestratorSnapshotV1)!;
        var state = Snapshots.FromSnapshot(snapshot);

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
}
