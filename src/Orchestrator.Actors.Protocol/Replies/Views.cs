namespace Orchestrator.Actors.Protocol.Replies;

/// <summary>A task as the state manager reports it.</summary>
public sealed record TaskView(
    string TaskId,
    string Agent,
    string TaskFile,
    TaskPriority Priority,
    TaskState Status,
    DateTimeOffset DefinedAt);
