using Akka.Actor;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.StateManager;

// Messages between the state manager and its gateway; they never leave the process, so they are
// exempt from serialize-messages checks. Each carries the gateway's token: over remoting a peer can
// send these types too (Akka's JSON serializer reads them), naming any actor as the sender.

/// <summary>
/// Proves that a message to the gateway comes from its own state manager: the gateway accepts only
/// the instance it created, and no copy read off the wire is that instance.
/// </summary>
internal sealed class GatewayToken;

/// <summary>The state manager finished recovery and takes requests.</summary>
internal sealed record StateManagerReady(IActorRef StateManager, GatewayToken Token) : INoSerializationVerificationNeeded;

/// <summary>The state manager stopped (failure or shutdown); hold requests until the next is ready.</summary>
internal sealed record StateManagerStopped(IActorRef StateManager, GatewayToken Token) : INoSerializationVerificationNeeded;

/// <summary>A request the state manager took but did not process before it stopped; the gateway holds it.</summary>
internal sealed record Requeue(object Request, IActorRef ReplyTo, GatewayToken Token) : INoSerializationVerificationNeeded;

/// <summary>What the state manager learned for its next incarnation (an unreadable snapshot, or that none is any more).</summary>
internal sealed record RecoveryHintsLearned(RecoveryHints Hints) : INoSerializationVerificationNeeded;

/// <summary>Transitions and document saves the state manager journaled; the gateway passes them to subscribers.</summary>
internal sealed record TaskNotices(IReadOnlyList<IOrchestratorNotification> Notices, GatewayToken Token) : INoSerializationVerificationNeeded;
