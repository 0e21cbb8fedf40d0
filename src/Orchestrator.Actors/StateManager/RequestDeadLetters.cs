using Akka.Actor;
using Akka.Event;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.StateManager;

/// <summary>
/// Routes each dead-lettered state manager request to the one gateway it belongs to. A request that
/// reached a stopping state manager dies as a dead letter naming a recipient under its gateway; one
/// actor per system subscribes to dead letters (not every gateway, which made each dead letter cost
/// as many deliveries as there are namespaces) and passes it to the registered gateway whose path
/// is the recipient's nearest ancestor.
/// </summary>
public sealed class RequestDeadLetters : IExtension
{
    private readonly IActorRef _router;

    /// <summary>Created by Akka for each system; use <see cref="Get"/>.</summary>
    public RequestDeadLetters(ExtendedActorSystem system) =>
        _router = system.SystemActorOf(Props.Create(() => new Router()), "orchestrator-request-dead-letters");

    /// <summary>The system's instance.</summary>
    public static RequestDeadLetters Get(ActorSystem system) => system.WithExtension<RequestDeadLetters, Provider>();

    /// <summary>Dead-lettered requests to actors under <paramref name="gateway"/> go to it, as <see cref="DeadLetter"/>, until it stops.</summary>
    public void Register(IActorRef gateway) => _router.Tell(new Registered(gateway));

    private sealed record Registered(IActorRef Gateway) : INoSerializationVerificationNeeded;

    private sealed class Provider : ExtensionIdProvider<RequestDeadLetters>
    {
        public override RequestDeadLetters CreateExtension(ExtendedActorSystem system) => new(system);
    }

    private sealed class Router : ReceiveActor
    {
        private readonly Dictionary<ActorPath, IActorRef> _gateways = new();

        public Router()
        {
            Receive<Registered>(r =>
            {
                _gateways[r.Gateway.Path] = r.Gateway;
                Context.Watch(r.Gateway);
            });
            Receive<Terminated>(t =>
            {
                if (_gateways.TryGetValue(t.ActorRef.Path, out var gateway) && gateway.Equals(t.ActorRef)) _gateways.Remove(t.ActorRef.Path);
            });
            Receive<DeadLetter>(dl => dl.Message is IStateManagerRequest, dl =>
            {
                for (var path = dl.Recipient.Path.Parent; path is not null && path.Elements.Count > 0; path = path.Parent)
                {
                    if (!_gateways.TryGetValue(path, out var gateway)) continue;
                    gateway.Tell(dl);
                    return;
                }
            });
            Receive<DeadLetter>(_ => { });
        }

        protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(DeadLetter));

        protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
    }
}
