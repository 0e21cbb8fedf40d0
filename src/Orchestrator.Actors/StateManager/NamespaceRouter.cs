using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Orchestrator.Actors.Cluster;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.StateManager;

/// <summary>
/// The orchestrator's stable address (<c>/user/state-manager</c>): it checks each request's
/// namespace and passes it on, with its sender, to that namespace's <see cref="StateManagerGateway"/>.
/// On one node the gateways are its children, started on a namespace's first request. In a cluster
/// they are Cluster Sharding entities and this forwards to the shard region (or its proxy on a node
/// that hosts none), so every node's <c>/user/state-manager</c> serves every namespace. On one node,
/// as in a cluster, a namespace idle for <c>orchestrator.cluster.passivate-idle-after</c> with nothing
/// timed stops (its gateway asks, as it asks its shard in a cluster); its requests meanwhile wait
/// here, and the next one starts it again from the journal.
/// </summary>
public sealed class NamespaceRouter : ReceiveActor
{
    /// <summary>The router's name under /user.</summary>
    public const string Name = OrchestratorNames.StateManagerName;

    private readonly OrchestratorSettings _settings;
    private readonly TimeProvider _clock;
    private readonly IActorRef? _region;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> _gateways = new(StringComparer.Ordinal);
    // Namespaces whose gateway was told to stop for idleness, with the requests that came meanwhile.
    private readonly Dictionary<string, List<(object Request, IActorRef ReplyTo)>> _passivating = new(StringComparer.Ordinal);
    private IActorRef? _shutdownRequester;

    /// <summary>Creates the router. Use <see cref="Props"/>.</summary>
    public NamespaceRouter(OrchestratorSettings settings, TimeProvider clock, IActorRef? region)
    {
        _settings = settings;
        _clock = clock;
        _region = region;

        Receive<INamespaced>(Route);
        Receive<KnownNamespaces>(known =>
        {
            if (_shutdownRequester is not null) return;
            foreach (var ns in known.Names)
            {
                if (_gateways.ContainsKey(ns)) continue;
                if (_gateways.Count >= _settings.MaxNamespaces)
                {
                    _log.Warning("The journal holds more namespaces than orchestrator.max-namespaces = {0}: '{1}' and those after it do not start", _settings.MaxNamespaces, ns);
                    break;
                }
                GatewayFor(ns);
            }
        });
        Receive<Status.Failure>(failure =>
            _log.Warning("Could not list the namespaces in the journal ({0}); each starts on its first request", failure.Cause.Message));
        Receive<Shutdown>(_ => UnknownMessages.FromAnotherSystem(Sender), _ => UnknownMessages.RefuseRemoteShutdown(Sender, Self, _log));
        Receive<Shutdown>(_ => BeginShutdown());
        Receive<Passivate>(_ => IsGateway(Sender), passivate => Passivating(Sender, passivate.StopMessage));
        Receive<Terminated>(t => Stopped(t.ActorRef));
        Receive<ShutdownComplete>(_ => { });
        Receive<GetClusterStatus>(_ => ClusterStatusQuery.Run(Context.System, Self, _region, LocalNamespaces()).PipeTo(Sender));
        Receive<GetLocalShards>(_ => ClusterStatusQuery.LocalShards(Context.System, _region).PipeTo(Sender));
        ReceiveAny(message => UnknownMessages.Answer(message, Sender, Self, _log, Context.System));
    }

    /// <summary>
    /// The Props of a router: <paramref name="region"/> is the shard region (or proxy) of the state
    /// managers in a cluster, or null on one node, where the router starts them itself.
    /// </summary>
    public static Props Props(OrchestratorSettings settings, TimeProvider clock, IActorRef? region = null) =>
        Akka.Actor.Props.Create(() => new NamespaceRouter(settings, clock, region));

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (_region is not null) return;
        // The default namespace, and every namespace the journal holds, start now: their recovery
        // re-arms lease and retry timers without waiting for a request.
        GatewayFor(Namespaces.Default);
        JournalNamespaces.ReadAsync(Context.System)
            .PipeTo(Self, success: names => new KnownNamespaces(names), failure: ex => new Status.Failure(ex));
    }

    private void Route(INamespaced request)
    {
        if (Namespaces.Check(request.Namespace) is { } problem)
        {
            Sender.Tell(Validation.Reject("namespace", request.Namespace, problem));
            return;
        }
        if (_region is not null)
        {
            // Sharding delivers it to the namespace's entity wherever it runs, starting it if need be.
            _region.Forward(request);
            return;
        }
        if (_shutdownRequester is not null)
        {
            Sender.Tell(new OrchestratorUnavailable("the orchestrator is shutting down"));
            return;
        }
        if (_passivating.TryGetValue(request.Namespace, out var waiting))
        {
            // Its gateway is stopping: the request waits for it to be gone, then starts it again.
            if (waiting.Count < _settings.MaxPendingRequests) waiting.Add((request, Sender));
            else Sender.Tell(new OrchestratorUnavailable($"overloaded: namespace '{request.Namespace}' is restarting with {waiting.Count} requests waiting; retry"));
            return;
        }
        if (!_gateways.ContainsKey(request.Namespace) && _gateways.Count >= _settings.MaxNamespaces)
        {
            // Each namespace is a state manager with its state in memory: their number is bounded.
            Sender.Tell(Validation.Reject("namespace", request.Namespace,
                $"would be namespace {_gateways.Count + 1} on this node: at most orchestrator.max-namespaces = {_settings.MaxNamespaces} run at once; use one that exists"));
            return;
        }
        GatewayFor(request.Namespace).Forward(request);
    }

    private IActorRef GatewayFor(string ns)
    {
        if (_gateways.TryGetValue(ns, out var gateway)) return gateway;
        gateway = Context.ActorOf(StateManagerGateway.Props(_settings with { Namespace = ns }, _clock, _settings.Cluster.PassivateIdleAfter), ns);
        Context.Watch(gateway);
        _gateways[ns] = gateway;
        return gateway;
    }

    private IReadOnlyList<string> LocalNamespaces() => _region is null ? _gateways.Keys.Order(StringComparer.Ordinal).ToList() : [];

    private void BeginShutdown()
    {
        // In a cluster, the shard region hands its entities off (each gets Shutdown) in coordinated
        // shutdown's own phase, and requests keep flowing to where they move.
        if (_region is not null)
        {
            Sender.Tell(ShutdownComplete.Instance);
            return;
        }
        if (_shutdownRequester is not null) return;
        _shutdownRequester = Sender;
        foreach (var gateway in _gateways.Values) gateway.Tell(Shutdown.Instance);
        FinishShutdownWhenDone();
    }

    private bool IsGateway(IActorRef actor) => _gateways.TryGetValue(actor.Path.Name, out var gateway) && gateway.Equals(actor);

    private void Passivating(IActorRef gateway, object stopMessage)
    {
        if (_shutdownRequester is not null || !_passivating.TryAdd(gateway.Path.Name, [])) return;
        // Requests forwarded before this reach the gateway before the stop message and are answered.
        gateway.Tell(stopMessage);
    }

    private void Stopped(IActorRef gateway)
    {
        var name = gateway.Path.Name;
        if (_gateways.TryGetValue(name, out var current) && current.Equals(gateway))
        {
            _gateways.Remove(name);
            if (_passivating.Remove(name, out var waiting))
            {
                if (_shutdownRequester is not null)
                    foreach (var (_, replyTo) in waiting) replyTo.Tell(new OrchestratorUnavailable("the orchestrator is shutting down"));
                else if (waiting.Count > 0)
                {
                    var again = GatewayFor(name);
                    foreach (var (request, replyTo) in waiting) again.Tell(request, replyTo);
                }
            }
            else if (_shutdownRequester is null)
                _log.Warning("The state manager of namespace '{0}' stopped; its next request starts it again", name);
        }
        FinishShutdownWhenDone();
    }

    private sealed record KnownNamespaces(IReadOnlyList<string> Names) : INoSerializationVerificationNeeded;

    private void FinishShutdownWhenDone()
    {
        if (_shutdownRequester is null || _gateways.Count > 0) return;
        _shutdownRequester.Tell(ShutdownComplete.Instance);
        Context.Stop(Self);
    }
}
