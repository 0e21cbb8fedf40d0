using Akka.Actor;
using Akka.Event;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.StateManager;

/// <summary>How the router and the gateways treat a message they do not know.</summary>
internal static class UnknownMessages
{
    /// <summary>
    /// True when <paramref name="sender"/> is on another system (over Akka.Remote). A <c>Shutdown</c>
    /// from there is refused: stopping a node is a local act (SIGTERM, coordinated shutdown).
    /// </summary>
    public static bool FromAnotherSystem(IActorRef sender) => !sender.IsNobody() && sender.Path.Address.HasGlobalScope;

    /// <summary>Logs and answers a <c>Shutdown</c> a remote peer sent; nothing stops.</summary>
    public static void RefuseRemoteShutdown(IActorRef sender, IActorRef self, ILoggingAdapter log)
    {
        log.Warning("Refused a Shutdown from {0}: a node is stopped locally (SIGTERM), not by a remote peer", sender.Path.Address);
        sender.Tell(Validation.Reject("message", nameof(Protocol.Commands.Shutdown),
            "is not taken from a remote peer: a node is stopped locally (SIGTERM), and a remote peer may send requests only"), self);
    }

    /// <summary>
    /// Logs it and answers it (a client of another version, a stray message over remoting); it never
    /// reaches a state manager.
    /// </summary>
    public static void Answer(object message, IActorRef sender, IActorRef self, ILoggingAdapter log, ActorSystem system)
    {
        if (message is Remoting.RefusedFromNetwork refused)
        {
            // The guard logged it; say so to the sender if it is the remote peer (a forged sender may name a local actor).
            if (FromAnotherSystem(sender))
                sender.Tell(Validation.Reject("message", refused.What, "is not taken from a remote peer: a remote peer may send requests only"), self);
            return;
        }
        log.Warning("Ignored a message the orchestrator does not know: {0} from {1}", message.GetType().FullName, sender);
        system.EventStream.Publish(new UnhandledMessage(message, sender, self));
        // Never answer a reply (two parties that answer what they do not know would loop), nor a
        // forged copy of the orchestrator's own internal messages.
        if (message is not (IOrchestratorReply or IOrchestratorNotification or INoSerializationVerificationNeeded)
            && !sender.IsNobody() && !sender.Equals(system.DeadLetters))
            sender.Tell(Validation.Reject("message", message.GetType().Name,
                "is not a request the orchestrator knows (see the protocol's commands and queries)"), self);
    }
}
