namespace Orchestrator.Actors.Protocol;

/// <summary>
/// Every type that crosses a process boundary or reaches the journal implements this marker.
/// It is bound to <see cref="Serialization.OrchestratorSerializer"/> in <c>hocon.conf</c>.
/// </summary>
public interface IOrchestratorMessage;

/// <summary>A request addressed to the state manager: a command that may change state, or a query.</summary>
public interface IStateManagerRequest : IOrchestratorMessage;

/// <summary>A request that may change state. Its reply goes out only after the journal confirmed the write.</summary>
public interface IStateManagerCommand : IStateManagerRequest;

/// <summary>A read-only request, answered from the state the journal has confirmed.</summary>
public interface IStateManagerQuery : IStateManagerRequest;

/// <summary>A reply from the state manager.</summary>
public interface IOrchestratorReply : IOrchestratorMessage;

/// <summary>A journaled event. Events are facts: they are never rejected when replayed.</summary>
public interface IOrchestratorEvent : IOrchestratorMessage;

/// <summary>A snapshot of the whole state of one state manager.</summary>
public interface IOrchestratorSnapshot : IOrchestratorMessage;

/// <summary>Version of the message protocol. Manifests carry it as their <c>.vN</c> suffix.</summary>
public static class ProtocolVersion
{
    /// <summary>The protocol version this build speaks.</summary>
    public const int Current = 1;
}
