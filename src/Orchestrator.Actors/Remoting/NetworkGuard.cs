using Akka.Actor;
using Akka.Dispatch.SysMsg;
using Akka.Event;
using Akka.Remote.Serialization;
using Akka.Serialization;

namespace Orchestrator.Actors.Remoting;

/// <summary>
/// What a node receives instead of a message it never takes from the network: Akka's
/// <c>PoisonPill</c>, <c>Kill</c> and restart, the system messages that stop, restart, suspend or
/// create actors, remote deployment, and anything in Akka's JSON serializer (which would build any
/// type a peer names). Delivered as an ordinary message, which no actor acts on.
/// </summary>
/// <param name="What">What was refused, such as PoisonPill or Terminate.</param>
public sealed record RefusedFromNetwork(string What) : INoSerializationVerificationNeeded;

/// <summary>
/// The node's stand-ins for Akka's serializers that could carry a harmful message from a peer, under
/// the same identifiers (hocon.conf binds them). They write exactly what Akka's do; in reading they
/// refuse what no peer may send a node, log a warning naming it, and give <see cref="RefusedFromNetwork"/>.
/// A node reads these serializers' bytes only from the network (its journal holds the orchestrator's
/// own serializer only), so a refusal never touches local state; with <c>serialize-messages = on</c>
/// (a test setting) Akka would also read local messages through them, so such a system keeps Akka's.
/// </summary>
internal static class NetworkGuard
{
    public static RefusedFromNetwork Refuse(ExtendedActorSystem system, string what, string why)
    {
        Logging.GetLogger(system, typeof(NetworkGuard))
            .Warning("Refused a {0} from the network and dropped it: {1}", what, why);
        return new RefusedFromNetwork(what);
    }
}

/// <summary>Akka's <see cref="MiscMessageSerializer"/> (identifier 16), refusing PoisonPill, Kill and IntentionalRestart in reading.</summary>
public sealed class GuardedMiscMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private readonly MiscMessageSerializer _akka = new(system);

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => _akka.ToBinary(obj);

    /// <inheritdoc />
    public override string Manifest(object o) => _akka.Manifest(o);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        // MiscMessageSerializer's manifests of PoisonPill, Kill and IntentionalRestart.
        "PP" => NetworkGuard.Refuse(system, nameof(PoisonPill), "a node is stopped locally (SIGTERM); a remote peer may send requests only"),
        "K" => NetworkGuard.Refuse(system, nameof(Kill), "a node is stopped locally (SIGTERM); a remote peer may send requests only"),
        "IR" => NetworkGuard.Refuse(system, "IntentionalRestart", "a remote peer may send requests only"),
        _ => _akka.FromBinary(bytes, manifest),
    };
}

/// <summary>
/// Akka's <see cref="SystemMessageSerializer"/> (identifier 22), taking from the network only what
/// remote DeathWatch needs (Watch, Unwatch, DeathWatchNotification): a peer's Terminate, Recreate,
/// Suspend, Resume, Create, Supervise or Failed would stop, restart or freeze an actor.
/// </summary>
public sealed class GuardedSystemMessageSerializer(ExtendedActorSystem system) : Serializer(system)
{
    private readonly SystemMessageSerializer _akka = new(system);

    /// <inheritdoc />
    public override bool IncludeManifest => _akka.IncludeManifest;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => _akka.ToBinary(obj);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, Type? type) =>
        type == typeof(Watch) || type == typeof(Unwatch) || type == typeof(DeathWatchNotification)
            ? _akka.FromBinary(bytes, type)
            : NetworkGuard.Refuse(system, type?.Name ?? "system message", "a remote peer may not stop, restart, suspend or create a node's actors");
}

/// <summary>
/// Akka.Remote's <see cref="DaemonMsgCreateSerializer"/> (identifier 3): remote deployment, which
/// would start an actor of any type a peer names on the node. Refused in reading.
/// </summary>
public sealed class GuardedDaemonMsgCreateSerializer(ExtendedActorSystem system) : Serializer(system)
{
    private readonly DaemonMsgCreateSerializer _akka = new(system);

    /// <inheritdoc />
    public override bool IncludeManifest => _akka.IncludeManifest;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => _akka.ToBinary(obj);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, Type? type) =>
        NetworkGuard.Refuse(system, "remote deployment (DaemonMsgCreate)", "a node starts no actor a remote peer asks for");
}

/// <summary>
/// Akka's JSON serializer (identifier 1, the fallback for any type without a binding). It writes as
/// Akka's does; in reading it refuses: its JSON names the type to build, so a peer could make the
/// node build any type it has. Every message of the orchestrator has its own serializer.
/// </summary>
public sealed class GuardedJsonSerializer : Serializer
{
    private readonly NewtonSoftJsonSerializer _akka;

    /// <summary>Akka builds it with <c>akka.actor.serialization-settings.json</c>.</summary>
    public GuardedJsonSerializer(ExtendedActorSystem system, Akka.Configuration.Config settings) : base(system) =>
        _akka = new NewtonSoftJsonSerializer(system, settings);

    /// <summary>Built without settings: Akka's defaults.</summary>
    public GuardedJsonSerializer(ExtendedActorSystem system) : base(system) => _akka = new NewtonSoftJsonSerializer(system);

    /// <inheritdoc />
    public override bool IncludeManifest => _akka.IncludeManifest;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => _akka.ToBinary(obj);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, Type? type) =>
        NetworkGuard.Refuse(system, "message in Akka's JSON serializer",
            "it could build any type the peer names; the orchestrator's messages have their own serializer");
}
