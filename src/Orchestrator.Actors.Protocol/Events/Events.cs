namespace Orchestrator.Actors.Protocol.Events;

/// <summary>
/// A task was defined. Journaled as <c>task-defined.v1</c>. The fields after
/// <paramref name="DefinedAt"/> came with the task lifecycle; events written before it lack them and
/// read as no dependencies, <see cref="DefaultMaxAttempts"/> attempts, no payload.
/// </summary>
/// <param name="MaxAttempts">Resolved at definition (never null in events written since the lifecycle).</param>
/// <param name="Agent">The agent.</param>
/// <param name="By">Who caused it.</param>
/// <param name="DefinedAt">When it was defined.</param>
/// <param name="DependsOn">Tasks that must be COMPLETED first.</param>
/// <param name="Payload">JSON handed to the claiming agent.</param>
/// <param name="Priority">The task's priority.</param>
/// <param name="TaskFile">Where the task's instructions live.</param>
/// <param name="TaskId">The task.</param>
/// <param name="Tags">Its tags, each once (absent from events written before tags: none).</param>
/// <param name="NotBefore">When a scheduled task may become READY (absent: as soon as its dependencies are COMPLETED).</param>
public sealed record TaskDefined(
    string TaskId,
    string Agent,
    string TaskFile,
    TaskPriority Priority,
    DateTimeOffset DefinedAt,
    IReadOnlyList<string>? DependsOn = null,
    int? MaxAttempts = null,
    string? Payload = null,
    string? By = null,
    IReadOnlyList<string>? Tags = null,
    DateTimeOffset? NotBefore = null) : IOrchestratorEvent
{
    /// <summary>The attempts of a task whose event predates the lifecycle.</summary>
    public const int DefaultMaxAttempts = 3;
}

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

/// <summary>
/// Several events written as one journal entry (group commit): the events of every request that
/// waited while the previous write was in flight. Journaled as <c>event-batch.v1</c>; replayed as
/// its events, in order. A write of a single event stores that event on its own, so a journal holds
/// both. Batches never nest.
/// </summary>
/// <param name="Events">The events, in the order they were decided.</param>
public sealed record EventBatch(IReadOnlyList<IOrchestratorEvent> Events) : IOrchestratorEvent;

/// <summary>
/// A change sent with an idempotency key was done: what answers the same request sent again under
/// the key. Journaled as <c>request-keyed.v1</c>, in the same write as the change's own events, so a
/// change whose answer was lost (a timeout, a node that stopped while writing) is known as done after
/// a restart too. Held per namespace for 24 hours, the newest 100,000 keys at most.
/// </summary>
/// <param name="Key">The sender's key.</param>
/// <param name="Fingerprint">The request's digest: the same key on a request with another one is refused.</param>
/// <param name="TaskId">The task the change was about (a claim's task; the task completed, failed, cancelled or requeued).</param>
/// <param name="ClaimId">A claim's id.</param>
/// <param name="LeaseUntil">A claim's lease end as granted.</param>
/// <param name="Version">A save's version.</param>
/// <param name="At">When the change was decided.</param>
public sealed record RequestKeyed(
    string Key,
    string Fingerprint,
    string? TaskId,
    string? ClaimId,
    DateTimeOffset? LeaseUntil,
    long? Version,
    DateTimeOffset At) : IOrchestratorEvent;
