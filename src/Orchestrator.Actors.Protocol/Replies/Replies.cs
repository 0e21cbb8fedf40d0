using System.Text.Json.Serialization;

namespace Orchestrator.Actors.Protocol.Replies;

/// <summary>
/// The task is defined: either now (its event is journaled) or earlier with the identical definition
/// (<paramref name="AlreadyDefined"/> is true and nothing was written). Both are successes.
/// </summary>
public sealed record TaskDefinitionAccepted(TaskView Task, bool AlreadyDefined) : IOrchestratorReply;

/// <summary>The id exists with a different definition; nothing was written. Carries the existing task.</summary>
public sealed record TaskDefinitionConflict(string TaskId, TaskView Existing) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message =>
        $"task '{TaskId}' is already defined differently (agent '{Existing.Agent}', file '{Existing.TaskFile}', priority {ProtocolNames.Of(Existing.Priority)})";
}

/// <summary>A request was invalid; nothing was written. Names the field, the offending value and why.</summary>
/// <param name="Field">The field, as named in the protocol (camelCase).</param>
/// <param name="Value">The offending value, shortened to 100 characters.</param>
/// <param name="Reason">What the value must be.</param>
public sealed record CommandRejected(string Field, string? Value, string Reason) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message => Value is null ? $"invalid {Field}: {Reason}" : $"invalid {Field} '{Value}': {Reason}";
}

/// <summary>The document was saved; its event is journaled.</summary>
public sealed record StateSaved(string OwnerId, string Key, long Version) : IOrchestratorReply;

/// <summary>The expected version was not current; nothing was written. Version 0 means there is no document.</summary>
public sealed record StateVersionConflict(string OwnerId, string Key, long ExpectedVersion, long CurrentVersion) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message =>
        $"state '{OwnerId}/{Key}' is at version {CurrentVersion}, not the expected version {ExpectedVersion}";
}

/// <summary>A saved document.</summary>
public sealed record StateDocument(string OwnerId, string Key, string Json, long Version, DateTimeOffset SavedAt) : IOrchestratorReply;

/// <summary>No document is saved under (owner, key).</summary>
public sealed record StateNotFound(string OwnerId, string Key) : IOrchestratorReply;

/// <summary>The task.</summary>
public sealed record TaskFound(TaskView Task) : IOrchestratorReply;

/// <summary>No task has this id.</summary>
public sealed record TaskNotFound(string TaskId) : IOrchestratorReply;

/// <summary>One page of a task listing, in definition order.</summary>
/// <param name="Tasks">The tasks of this page.</param>
/// <param name="Total">How many tasks match the filters in all.</param>
/// <param name="Offset">The offset of this page.</param>
/// <param name="Limit">The page size asked for.</param>
public sealed record TaskPage(IReadOnlyList<TaskView> Tasks, int Total, int Offset, int Limit) : IOrchestratorReply;

/// <summary>Counts and journal figures.</summary>
/// <param name="Tasks">Tasks defined.</param>
/// <param name="ByStatus">Tasks per status (every status is present, zero included).</param>
/// <param name="ByPriority">Tasks per priority (every priority is present, zero included).</param>
/// <param name="StateDocuments">Documents saved with SaveState.</param>
/// <param name="EventsJournaled">The sequence number of the last journaled event.</param>
/// <param name="LastSnapshotSequenceNr">The sequence number of the newest snapshot, 0 when there is none.</param>
public sealed record StatsReport(
    int Tasks,
    IReadOnlyDictionary<string, int> ByStatus,
    IReadOnlyDictionary<string, int> ByPriority,
    int StateDocuments,
    long EventsJournaled,
    long LastSnapshotSequenceNr) : IOrchestratorReply;

/// <summary>
/// The state manager could not take the request now (restarting, shutting down, or a journal write
/// failed). Nothing was acknowledged. Retrying is safe: DefineTask is idempotent, and SaveState
/// with an expected version tells a lost write from a done one.
/// </summary>
public sealed record OrchestratorUnavailable(string Reason) : IOrchestratorReply
{
    /// <summary>One line for people.</summary>
    [JsonIgnore]
    public string Message => $"orchestrator unavailable, retry: {Reason}";
}

/// <summary>The state manager has stopped after answering everything in flight.</summary>
public sealed record ShutdownComplete : IOrchestratorReply
{
    /// <summary>The single instance.</summary>
    public static readonly ShutdownComplete Instance = new();
}
