using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Client;

/// <summary>
/// The orchestrator did not do what was asked. The subclass says why; <see cref="Reply"/> is the
/// orchestrator's answer when there was one. The message is one line that names the offending value.
/// </summary>
public abstract class OrchestratorException(string message, IOrchestratorReply? reply, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The orchestrator's reply, or null when none arrived.</summary>
    public IOrchestratorReply? Reply { get; } = reply;
}

/// <summary>The request was invalid (<see cref="CommandRejected"/>); nothing was written.</summary>
public sealed class OrchestratorRejectedException(CommandRejected reply) : OrchestratorException(reply.Message, reply)
{
    /// <summary>The rejection, naming the field and the value.</summary>
    public CommandRejected Rejection { get; } = reply;
}

/// <summary>
/// The request conflicts with the state: a different definition of the same id, a version conflict,
/// an illegal transition, a stale claim, or an idempotency key used for another request. Nothing was written.
/// </summary>
public sealed class OrchestratorConflictException(IOrchestratorReply reply, string message) : OrchestratorException(message, reply);

/// <summary>No task or document has the id asked for.</summary>
public sealed class OrchestratorNotFoundException(IOrchestratorReply reply, string message) : OrchestratorException(message, reply);

/// <summary>The orchestrator answered that it cannot take the request now; nothing was acknowledged, retrying is safe.</summary>
public sealed class OrchestratorUnavailableException(OrchestratorUnavailable reply) : OrchestratorException(reply.Message, reply);

/// <summary>The orchestrator could not be reached, or did not answer in time: the request may or may not have been done.</summary>
public sealed class OrchestratorUnreachableException(string message, Exception? inner = null) : OrchestratorException(message, null, inner)
{
    /// <summary>
    /// The idempotency key the change went under, if any: the same request sent again under it
    /// (<c>command with { IdempotencyKey = key }</c>, within 24 hours) is done at most once, and answered
    /// as the attempt that landed.
    /// </summary>
    public string? IdempotencyKey { get; init; }
}
