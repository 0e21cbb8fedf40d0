namespace Orchestrator.Actors.Protocol.Commands;

/// <summary>
/// Defines a task. Idempotent: repeating an identical definition succeeds without a second event.
/// </summary>
/// <param name="TaskId">1-200 characters of ASCII letters, digits and <c>._:/-</c>.</param>
/// <param name="Agent">The agent that should do the task, or <c>*</c> for any agent.</param>
/// <param name="TaskFile">Where the task's instructions live (non-empty, at most 1,000 characters).</param>
/// <param name="Priority">CRITICAL, HIGH, MEDIUM or LOW, case-insensitive; MEDIUM when null or empty.</param>
public sealed record DefineTask(string TaskId, string Agent, string TaskFile, string? Priority = null) : IStateManagerCommand;

/// <summary>
/// Saves an agent's own JSON document under (owner, key). Each save increments the document's version.
/// </summary>
/// <param name="OwnerId">Who owns the document (same rules as a task id).</param>
/// <param name="Key">The document's name within the owner (same rules as a task id).</param>
/// <param name="Json">The document: valid JSON, at most the configured size (1 MiB by default).</param>
/// <param name="ExpectedVersion">
/// Optimistic concurrency: when set, the save succeeds only if the current version equals it
/// (0 means "the document must not exist yet").
/// </param>
public sealed record SaveState(string OwnerId, string Key, string Json, long? ExpectedVersion = null) : IStateManagerCommand;
