namespace Orchestrator.Actors.Protocol;

/// <summary>
/// The names a client and a node must agree on, written once: the ActorSystem's name, the state
/// manager's path, the persistence ids and the serializer's registration. hocon.conf registers the
/// serializer with these same values (a spec compares them), and a client's own ActorSystem gets
/// them from <see cref="SerializationHocon"/>.
/// </summary>
public static class OrchestratorNames
{
    /// <summary>The orchestrator node's ActorSystem name (<c>akka.tcp://orchestrator@HOST:PORT</c>).</summary>
    public const string SystemName = "orchestrator";

    /// <summary>The state manager's name under <c>/user</c>.</summary>
    public const string StateManagerName = "state-manager";

    /// <summary>The state manager's path in every orchestrator node.</summary>
    public const string StateManagerPath = "/user/" + StateManagerName;

    /// <summary>The prefix of every namespace's persistence id.</summary>
    public const string PersistenceIdPrefix = "state-manager-";

    /// <summary>The serializer's id (0-100 are Akka's own).</summary>
    public const int SerializerId = 4711;

    /// <summary>The serializer's name in <c>akka.actor.serializers</c>.</summary>
    public const string SerializerName = "orchestrator";

    /// <summary>The serializer's type, as Akka's configuration names it.</summary>
    public const string SerializerType = "Orchestrator.Actors.Protocol.Serialization.OrchestratorSerializer, Orchestrator.Actors.Protocol";

    /// <summary>The marker interface bound to the serializer: every message, event and snapshot.</summary>
    public const string BoundType = "Orchestrator.Actors.Protocol.IOrchestratorMessage, Orchestrator.Actors.Protocol";

    /// <summary>The <c>akka.actor</c> serialization sections that carry the protocol, for an ActorSystem of one's own.</summary>
    public static readonly string SerializationHocon = $$"""
        akka.actor {
          serializers { {{SerializerName}} = "{{SerializerType}}" }
          serialization-bindings { "{{BoundType}}" = {{SerializerName}} }
          serialization-identifiers { "{{SerializerType}}" = {{SerializerId}} }
        }
        """;

    /// <summary>The persistence id of <paramref name="namespace"/>'s state manager.</summary>
    public static string PersistenceId(string @namespace) => PersistenceIdPrefix + @namespace;
}
