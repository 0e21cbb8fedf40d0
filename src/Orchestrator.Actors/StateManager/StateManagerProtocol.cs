using Akka.Actor;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.StateManager;

// Messages between the state manager and its gateway; they never leave the process, so they are
// exempt from serialize-messages checks.

/// <summary>The state manager finished recovery and takes requests.</summary>
internal sealed record StateManagerReady(IActorRef StateManager) : INoSerializationVerificationNeeded;

/// <summary>The state manager stopped (failure or shutdown); hold requests until the next is ready.</summary>
internal sealed record StateManagerStopped(IActorRef StateManager) : INoSerializationVerificationNeeded;

/// <summary>A request the state manager took but did not process before it stopped; the gateway holds it.</summary>
internal sealed record Requeue(object Request, IActorRef ReplyTo) : INoSerializationVerificationNeeded;

/// <summary>Transitions the state manager journaled; the gateway passes them to subscribers.</summary>
internal sealed record TaskNotices(IReadOnlyList<TaskTransitioned> Notices) : INoSerializationVerificationNeeded;
