using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe.Serialization;
using Akka.Configuration;

namespace Orchestrator.Actors.Client;

/// <summary>
/// A connection to an orchestrator cluster through Akka's <see cref="ClusterClient"/>: it talks to
/// the receptionist of one node at a time, finds another when that node stops answering, and keeps
/// requests sent meanwhile (up to its buffer) until it has one.
/// </summary>
internal static class ClusterConnection
{
    /// <summary>
    /// How the client watches its node: with a node gone, the next is tried after about
    /// heartbeat-interval + acceptable-heartbeat-pause (4 s), the pace of the cluster's own failure detector.
    /// ClusterClient's envelopes go through its own serializer (not the legacy JSON one), on both sides.
    /// </summary>
    public const string Config = """
        akka.cluster.client {
          heartbeat-interval = 1s
          acceptable-heartbeat-pause = 3s
          establishing-get-contacts-interval = 1s
          reconnect-timeout = off
          use-legacy-serialization = off
        }
        """;

    /// <summary>Starts a ClusterClient for <paramref name="servers"/> and the actor that addresses the orchestrator through it.</summary>
    public static IActorRef Start(ActorSystem system, IReadOnlyList<(string Host, int Port)> servers, string systemName)
    {
        system.Settings.InjectTopLevelFallback(ConfigurationFactory.ParseString(Config).WithFallback(ClusterClientReceptionist.DefaultConfig()));
        CheckSerializers((ExtendedActorSystem)system);
        var contacts = servers
            .Select(s => ActorPath.Parse($"{OrchestratorClient.RemoteProtocol(system)}://{systemName}@{s.Host}:{s.Port}/system/receptionist"))
            .ToImmutableHashSet();
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(contacts)));
        return system.ActorOf(Props.Create(() => new Forwarder(client)));
    }

    // The fallback above comes after the ActorSystem built its serializers: ClusterClient's envelopes
    // need ClientConfig's bindings from the start, or they go in Akka's JSON, which a node never reads
    // from the network (Orchestrator.Actors.Remoting), and every request would go unanswered.
    private static void CheckSerializers(ExtendedActorSystem system)
    {
        if (system.Serialization.FindSerializerForType(typeof(Akka.Cluster.Tools.PublishSubscribe.Send)) is not DistributedPubSubMessageSerializer)
            throw new InvalidOperationException(
                $"the ActorSystem '{system.Name}' has no serializer bound to ClusterClient's messages: create it with OrchestratorClient.ClientConfig (or OrchestratorClient.CreateSystem)");
    }

    /// <summary>Sends each message to <c>/user/state-manager</c> on whichever node the cluster client talks to, keeping its sender.</summary>
    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef client)
        {
            Context.Watch(client);
            Receive<Terminated>(_ => Context.Stop(Self));
            ReceiveAny(message => client.Forward(new ClusterClient.Send(OrchestratorClient.StateManagerPath, message, localAffinity: true)));
        }
    }
}
