using Orchestrator.Actors.Protocol.Events;

namespace Orchestrator.Actors.Protocol.Snapshots;

/// <summary>
/// The whole state as readable JSON (manifest <c>snapshot.v1</c>), written before the task lifecycle. It is read, never written: it loads through an upcast to <see cref="OrchestratorSnapshotV2"/>. Tasks are listed in definition order.
/// </summary>
/// <param name="FormatVersion">Always 1 for this record; a later format gets a new record and an upcast.</param>
/// <param name="Tasks">Every task, in definition order.</param>
/// <param name="Documents">Every saved document at its current version.</param>
public sealed record OrchestratorSnapshotV1(
    int FormatVersion,
    IReadOnlyList<TaskDefined> Tasks,
    IReadOnlyList<StateSavedEvent> Documents) : IOrchestratorSnapshot
{
    /// <summary>The format version this record holds.</summary>
    public const int Version = 1;
}

/// <summary>
/// Stands in for a snapshot whose bytes could not be read (corrupt, or written by an unknown format).
/// The state manager answers it by recovering from an older snapshot or from the events alone.
/// Never serialized.
/// </summary>
public sealed record UnreadableSnapshot(string Manifest, string Reason) : IOrchestratorSnapshot;

/// <summary>
/// A snapshot handed to the snapshot store as the live (immutable) state: it becomes
/// <see cref="OrchestratorSnapshotV2"/> JSON only when the store serializes it, on the store's
/// thread, so a large snapshot does not hold up the state manager's commands.
/// </summary>
public interface ISnapshotSource : IOrchestratorSnapshot
{
    /// <summary>The snapshot record to serialize.</summary>
    OrchestratorSnapshotV2 ToSnapshot();
}
