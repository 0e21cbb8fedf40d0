namespace Orchestrator.Actors.Protocol.Events;

/// <summary>A task was defined. Journaled as <c>task-defined.v1</c>.</summary>
public sealed record TaskDefined(
    string TaskId,
    string Agent,
    string TaskFile,
    TaskPriority Priority,
    DateTimeOffset DefinedAt) : IOrchestratorEvent;

/// <summary>A document was saved at a new version. Journaled as <c>state-saved.v1</c>.</summary>
public sealed record StateSavedEvent(
    string OwnerId,
    string Key,
    string Json,
    long Version,
    DateTimeOffset SavedAt) : IOrchestratorEvent;

/// <summary>
/// The events up to <paramref name="UpToSequenceNr"/> are being deleted behind a kept snapshot
/// (<c>orchestrator.snapshots.delete-events = on</c>). Journaled as <c>events-deleted.v1</c>, before
/// the deletion, so that a recovery that would need them refuses to serve partial state.
/// </summary>
public sealed record EventsDeleted(long UpToSequenceNr, DateTimeOffset At) : IOrchestratorEvent;
