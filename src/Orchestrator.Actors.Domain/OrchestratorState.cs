using System.Collections.Immutable;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

/// <summary>A task as the domain holds it. <see cref="Ordinal"/> is its place in definition order.</summary>
public sealed record TaskRecord(
    string TaskId,
    string Agent,
    string TaskFile,
    TaskPriority Priority,
    TaskState Status,
    DateTimeOffset DefinedAt,
    long Ordinal)
{
    /// <summary>The protocol's view of this task.</summary>
    public TaskView ToView() => new(TaskId, Agent, TaskFile, Priority, Status, DefinedAt);

    /// <summary>True when the definition (agent, file, priority) is the same as the given one.</summary>
    public bool HasDefinition(string agent, string taskFile, TaskPriority priority) =>
        string.Equals(Agent, agent, StringComparison.Ordinal)
        && string.Equals(TaskFile, taskFile, StringComparison.Ordinal)
        && Priority == priority;
}

/// <summary>The key of a saved document.</summary>
public readonly record struct DocumentKey(string OwnerId, string Key);

/// <summary>A saved document at its current version.</summary>
public sealed record DocumentRecord(string OwnerId, string Key, string Json, long Version, DateTimeOffset SavedAt);

/// <summary>
/// The whole state of one state manager. Immutable: every change is an event passed to
/// <see cref="OrchestratorDomain.Apply"/>, which returns the next state.
/// </summary>
public sealed record OrchestratorState(
    ImmutableDictionary<string, TaskRecord> Tasks,
    ImmutableDictionary<DocumentKey, DocumentRecord> Documents,
    long NextOrdinal)
{
    /// <summary>No tasks, no documents.</summary>
    public static OrchestratorState Empty { get; } = new(
        ImmutableDictionary.Create<string, TaskRecord>(StringComparer.Ordinal),
        ImmutableDictionary<DocumentKey, DocumentRecord>.Empty,
        0);
}
