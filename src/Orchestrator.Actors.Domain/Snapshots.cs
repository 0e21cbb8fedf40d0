using System.Collections.Immutable;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Snapshots;

namespace Orchestrator.Actors.Domain;

/// <summary>Turns the state into its snapshot and back.</summary>
public static class Snapshots
{
    /// <summary>The snapshot of <paramref name="state"/>, tasks in definition order.</summary>
    public static OrchestratorSnapshotV1 ToSnapshot(OrchestratorState state) => new(
        OrchestratorSnapshotV1.Version,
        state.Tasks.Values.OrderBy(t => t.Ordinal)
            .Select(t => new TaskDefined(t.TaskId, t.Agent, t.TaskFile, t.Priority, t.DefinedAt))
            .ToList(),
        state.Documents.Values.OrderBy(d => d.OwnerId, StringComparer.Ordinal).ThenBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new StateSavedEvent(d.OwnerId, d.Key, d.Json, d.Version, d.SavedAt))
            .ToList());

    /// <summary>The state a snapshot holds.</summary>
    /// <exception cref="ArgumentException">The snapshot's format version is not one this build reads.</exception>
    public static OrchestratorState FromSnapshot(OrchestratorSnapshotV1 snapshot)
    {
        if (snapshot.FormatVersion != OrchestratorSnapshotV1.Version)
            throw new ArgumentException($"snapshot.v1 carries format version {snapshot.FormatVersion}", nameof(snapshot));

        var tasks = ImmutableDictionary.CreateBuilder<string, TaskRecord>(StringComparer.Ordinal);
        long ordinal = 0;
        foreach (var t in snapshot.Tasks)
            tasks[t.TaskId] = new TaskRecord(t.TaskId, t.Agent, t.TaskFile, t.Priority, TaskState.Ready, t.DefinedAt, ordinal++);

        var documents = ImmutableDictionary.CreateBuilder<DocumentKey, DocumentRecord>();
        foreach (var d in snapshot.Documents)
            documents[new DocumentKey(d.OwnerId, d.Key)] = new DocumentRecord(d.OwnerId, d.Key, d.Json, d.Version, d.SavedAt);

        return new OrchestratorState(tasks.ToImmutable(), documents.ToImmutable(), ordinal);
    }
}
