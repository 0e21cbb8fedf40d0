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
