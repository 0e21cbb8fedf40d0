namespace Orchestrator.Actors.Protocol.Commands;

/// <summary>
/// Defines a task. Idempotent: repeating an identical definition succeeds without a second event.
/// The task is READY at once, or PENDING until every task it depends on is COMPLETED.
/// </summary>
/// <param name="TaskId">1-200 characters of ASCII letters, digits and <c>._:/-</c>.</param>
/// <param name="Agent">The agent that should do the task, or <c>*</c> for any agent.</param>
/// <param name="TaskFile">Where the task's instructions live (non-empty, at most 1,000 characters).</param>
/// <param name="Priority">CRITICAL, HIGH, MEDIUM or LOW, case-insensitive; MEDIUM when null or empty.</param>
/// <param name="DependsOn">
/// Ids of tasks that must be COMPLETED first. They must already be defined (so a cycle can only be a
/// task naming itself, which is rejected) and must not be DEAD or CANCELLED. Repeated ids count once.
/// </param>
/// <param name="MaxAttempts">How many claims the task gets before it is DEAD (1 to <c>orchestrator.lifecycle.max-attempts-limit</c>, 1,000 by default); <c>orchestrator.lifecycle.max-attempts</c> when null.</param>
/// <param name="Payload">Optional JSON handed to the agent that claims the task, size-limited like SaveState.</param>
/// <param name="By">Who defines it, for the history.</param>
/// <param name="Tags">
/// Free-form tags to find it by (<see cref="Queries.ListTasks.Tag"/>): at most 20, each 1-64 ASCII
/// letters, digits and <c>._:/=-</c> (<c>team:search</c>, <c>tenant=acme</c>); a repeated tag counts once.
/// </param>
/// <param name="NotBefore">
/// A scheduled task: it is not READY before this instant (PENDING until then, and until its
/// dependencies are COMPLETED); null or a time already passed: READY as soon as its dependencies are.
/// </param>
public sealed record DefineTask(
    string TaskId,
    string Agent,
    string TaskFile,
    string? Priority = null,
    IReadOnlyList<string>? DependsOn = null,
    int? MaxAttempts = null,
    string? Payload = null,
    string? By = null,
    IReadOnlyList<string>? Tags = null,
    DateTimeOffset? NotBefore = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Defines several tasks in one message: each definition is decided in the order given, against the
/// state after the definitions before it (so a task may depend on one defined earlier in the same
/// batch), and all that are new are journaled in one write. The reply,
/// <see cref="Replies.TasksDefined"/>, carries one result per definition, in the same order, and goes
/// out only after the journal confirmed the write. Each definition is idempotent as a
/// <see cref="DefineTask"/> is, so a batch whose reply was lost may be sent again: the definitions
/// already written are answered <c>unchanged</c>.
/// </summary>
/// <param name="Tasks">
/// 1 to <c>orchestrator.limits.max-batch-definitions</c> (1,000 by default) definitions; an empty or
/// larger batch is rejected as a whole (<see cref="Replies.CommandRejected"/> with field <c>tasks</c>).
/// The batch's namespace applies to every definition: one whose own <c>Namespace</c> is neither the
/// default namespace nor the batch's is answered <c>invalid</c> with field <c>namespace</c>, and a
/// null definition is answered <c>invalid</c> with field <c>tasks[i]</c>.
/// </param>
public sealed record DefineTasks(IReadOnlyList<DefineTask> Tasks) : NamespacedRequest, IStateManagerCommand;

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
public sealed record SaveState(string OwnerId, string Key, string Json, long? ExpectedVersion = null) : NamespacedRequest, IStateManagerCommand;
