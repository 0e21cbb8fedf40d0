using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.Client;

/// <summary>How a client waits and retries.</summary>
/// <param name="Timeout">How long one request waits for its reply (10 s when null).</param>
/// <param name="Retries">
/// How many more times a request whose reply timed out (or whose link was lost) is sent again where
/// that is safe: a definition (idempotent), and a change that can be done only once, sent under an
/// idempotency key (a claim, a save, a completion, a failure, a cancel, a requeue). With retries on,
/// such a change sent without a key gets a fresh one, so the attempt that lands is the one answered
/// (a claim sent twice is one claim). With none (0), changes go as given and a timeout is an error at
/// once. Queries, heartbeats and registrations surface a timeout as an error.
/// </param>
/// <param name="Namespace">
/// The namespace every request of this client goes to, whatever the request says; null: each
/// request's own (<see cref="Namespaces.Default"/> unless it sets one).
/// </param>
public sealed record OrchestratorClientOptions(TimeSpan? Timeout = null, int Retries = 2, string? Namespace = null)
{
    /// <summary>The timeout in effect.</summary>
    public TimeSpan RequestTimeout => Timeout ?? TimeSpan.FromSeconds(10);
}

/// <summary>
/// Talks to an orchestrator's state manager: in the same ActorSystem (an <see cref="IActorRef"/>) or
/// in another process over Akka.Remote (<see cref="ConnectAsync"/>). Each method returns the success
/// reply and throws an <see cref="OrchestratorException"/> for every other answer.
/// </summary>
public sealed class OrchestratorClient
{
    /// <summary>The state manager's path in an orchestrator node.</summary>
    public const string StateManagerPath = OrchestratorNames.StateManagerPath;

    /// <summary>The orchestrator node's ActorSystem name.</summary>
    public const string DefaultSystemName = OrchestratorNames.SystemName;

    /// <summary>The default server address.</summary>
    public const string DefaultServer = "127.0.0.1:4053";

    /// <summary>
    /// Configuration for a client's own ActorSystem: remoting on a free port of the loopback interface
    /// and the orchestrator's serializer. Layer it under your own.
    /// </summary>
    public static readonly string ClientConfig = OrchestratorNames.SerializationHocon + """
        akka {
          actor.provider = remote
          # ClusterClient's (ConnectClusterAsync) envelopes in their own serializers: a node reads no
          # Akka JSON from the network. Akka.Cluster.Tools binds them only once its extension starts,
          # after the ActorSystem has built its serializers.
          actor {
            serializers {
              akka-cluster-client = "Akka.Cluster.Tools.Client.Serialization.ClusterClientMessageSerializer, Akka.Cluster.Tools"
              akka-pubsub = "Akka.Cluster.Tools.PublishSubscribe.Serialization.DistributedPubSubMessageSerializer, Akka.Cluster.Tools"
            }
            serialization-bindings {
              "Akka.Cluster.Tools.Client.IClusterClientMessage, Akka.Cluster.Tools" = akka-cluster-client
              "Akka.Cluster.Tools.Client.IClusterClientProtocolMessage, Akka.Cluster.Tools" = akka-cluster-client
              "Akka.Cluster.Tools.PublishSubscribe.IDistributedPubSubMessage, Akka.Cluster.Tools" = akka-pubsub
            }
            serialization-identifiers {
              "Akka.Cluster.Tools.Client.Serialization.ClusterClientMessageSerializer, Akka.Cluster.Tools" = 15
              "Akka.Cluster.Tools.PublishSubscribe.Serialization.DistributedPubSubMessageSerializer, Akka.Cluster.Tools" = 9
            }
          }
          remote.dot-netty.tcp {
            hostname = 127.0.0.1
            port = 0
            maximum-frame-size = 16MiB
          }
          # A node that restarts is reachable again this soon (Akka's default gates its address 5 s).
          remote.retry-gate-closed-for = 1s
          loglevel = WARNING
          stdout-loglevel = WARNING
        }
        """;

    private readonly IActorRef _stateManager;
    private readonly OrchestratorClientOptions _options;
    private readonly RemoteLink? _link;

    /// <summary>A client of the state manager at <paramref name="stateManager"/>.</summary>
    public OrchestratorClient(IActorRef stateManager, OrchestratorClientOptions? options = null, string? address = null)
        : this(stateManager, options, address, null)
    {
    }

    // With the remoting link it watches (ConnectAsync): a request fails as soon as the link is lost.
    private OrchestratorClient(IActorRef stateManager, OrchestratorClientOptions? options, string? address, RemoteLink? link)
    {
        _stateManager = stateManager;
        _options = options ?? new OrchestratorClientOptions();
        Address = address ?? stateManager.Path.Address.ToString();
        _link = link;
    }

    /// <summary>Where the orchestrator is, for messages.</summary>
    public string Address { get; }

    /// <summary>The state manager this client talks to.</summary>
    public IActorRef StateManager => _link?.Target ?? _stateManager;

    /// <summary>
    /// An ActorSystem configured with <see cref="ClientConfig"/>, under <paramref name="config"/> when
    /// given, and with TLS when <paramref name="tls"/> is given (a node with TLS on admits no client without it).
    /// </summary>
    public static ActorSystem CreateSystem(string name = "orchestrator-client", RemoteTls? tls = null, Config? config = null)
    {
        var full = (config ?? Config.Empty).WithFallback(ConfigurationFactory.ParseString(ClientConfig));
        return tls is null ? ActorSystem.Create(name, full) : ActorSystem.Create(name, tls.SystemSetup(full));
    }

    /// <summary>Parses <c>HOST:PORT</c>.</summary>
    /// <exception cref="ArgumentException">The text is not HOST:PORT with a port from 1 to 65535; the message names it.</exception>
    public static (string Host, int Port) ParseServer(string server)
    {
        var colon = server?.LastIndexOf(':') ?? -1;
        if (server is null || colon <= 0 || !int.TryParse(server[(colon + 1)..], out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"invalid server '{server}': expected HOST:PORT, such as {DefaultServer}", nameof(server));
        return (server[..colon], port);
    }

    /// <summary>
    /// Finds the state manager of the orchestrator at <paramref name="server"/> (HOST:PORT) from
    /// <paramref name="system"/>, which must have remoting on (see <see cref="ClientConfig"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The server is not HOST:PORT.</exception>
    /// <exception cref="OrchestratorUnreachableException">Nothing answers there within the timeout.</exception>
    public static async Task<OrchestratorClient> ConnectAsync(ActorSystem system, string server, OrchestratorClientOptions? options = null,
        string systemName = DefaultSystemName, CancellationToken cancellation = default)
    {
        var (host, port) = ParseServer(server);
        options ??= new OrchestratorClientOptions();
        var path = StateManagerAddress(system, systemName, host, port);
        // An Identify sent to an address nobody listens on is dropped silently, so ResolveOne alone
        // would wait out the whole timeout; the failed association says so at once. The client keeps
        // watching the link, so that its requests fail the same way.
        var selection = system.ActorSelection(path);
        var link = RemoteLink.Watch(system, new Address(RemoteProtocol(system), systemName, host, port), selection);
        try
        {
            var lost = link.NextLoss;
            var resolving = selection.ResolveOne(options.RequestTimeout, cancellation);
            if (await Task.WhenAny(resolving, lost) == lost)
                throw new OrchestratorUnreachableException($"orchestrator not reachable at {host}:{port} ({path}: {await lost})");
            var stateManager = await resolving;
            link.Found(stateManager);
            return new OrchestratorClient(stateManager, options, $"{host}:{port}", link);
        }
        catch (ActorNotFoundException ex)
        {
            link.Dispose();
            throw new OrchestratorUnreachableException($"orchestrator not reachable at {host}:{port} (no answer from {path} within {Durations.Format(options.RequestTimeout)})", ex);
        }
        catch (OrchestratorUnreachableException)
        {
            link.Dispose();
            throw;
        }
    }

    // Where a node's state manager is, for remoting.
    private static string StateManagerAddress(ActorSystem system, string systemName, string host, int port) =>
        $"{RemoteProtocol(system)}://{systemName}@{host}:{port}{StateManagerPath}";

    /// <summary>
    /// The scheme of <paramref name="system"/>'s remoting, which a node it talks to must share:
    /// <c>akka.tcp</c>, or <c>akka.ssl.tcp</c> with TLS on.
    /// </summary>
    public static string RemoteProtocol(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress.Protocol;

    /// <summary>
    /// A client of the orchestrator at <paramref name="server"/> (HOST:PORT) that asks nothing up
    /// front: each request looks the state manager up by its path, so the client may be made before
    /// the node runs and keeps working across the node's restarts. While nothing answers, requests
    /// fail with <see cref="OrchestratorUnreachableException"/> after the request timeout (there is
    /// no early word of a refused connection, as <see cref="ConnectAsync"/> has). For long-lived
    /// doors such as <c>orchestrator mcp</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The server is not HOST:PORT.</exception>
    public static OrchestratorClient ConnectLazily(ActorSystem system, string server, OrchestratorClientOptions? options = null,
        string systemName = DefaultSystemName)
    {
        var (host, port) = ParseServer(server);
        var path = StateManagerAddress(system, systemName, host, port);
        var connection = system.ActorOf(Props.Create(() => new SelectionConnection(path)), "orchestrator-selection-" + Guid.NewGuid().ToString("N")[..8]);
        return new OrchestratorClient(connection, options, $"{host}:{port}");
    }

    /// <summary>
    /// Connects to an orchestrator cluster at any of <paramref name="servers"/> (HOST:PORT of its
    /// nodes) through Akka's ClusterClient, from <paramref name="system"/> (remoting on, see
    /// <see cref="ClientConfig"/>). When the node it talks to dies, the client moves to another in
    /// a few seconds; requests sent meanwhile wait, and those lost with the node time out (a
    /// timed-out DefineTask is sent again). Subscriptions need <see cref="ConnectAsync"/>: a
    /// cluster client relays replies, not a stream of notices.
    /// </summary>
    /// <exception cref="ArgumentException">A server is not HOST:PORT, or there is none.</exception>
    /// <exception cref="OrchestratorUnreachableException">No node answers within the timeout.</exception>
    public static async Task<OrchestratorClient> ConnectClusterAsync(ActorSystem system, IReadOnlyList<string> servers, OrchestratorClientOptions? options = null,
        string systemName = DefaultSystemName, CancellationToken cancellation = default)
    {
        if (servers.Count == 0) throw new ArgumentException("no server given: expected at least one HOST:PORT", nameof(servers));
        var parsed = servers.Select(ParseServer).ToList();
        options ??= new OrchestratorClientOptions();
        var client = new OrchestratorClient(ClusterConnection.Start(system, parsed, systemName), options, string.Join(",", servers));
        try
        {
            // Proves a node answers, as ConnectAsync's resolution does.
            await client.StateManager.Ask<Protocol.Cluster.ClusterStatus>(GetClusterStatus.Instance, options.RequestTimeout, cancellation);
        }
        catch (AskTimeoutException ex)
        {
            system.Stop(client.StateManager);
            throw new OrchestratorUnreachableException($"no node of the orchestrator cluster at {client.Address} answered within {Durations.Format(options.RequestTimeout)}", ex);
        }
        return client;
    }

    /// <summary>Defines a task; a timed-out attempt is repeated with the same definition.</summary>
    public Task<TaskDefinitionAccepted> DefineTaskAsync(DefineTask command, CancellationToken cancellation = default) =>
        AskAgainOnTimeoutAsync<TaskDefinitionAccepted>(command, cancellation);

    /// <summary>
    /// Defines several tasks in one message (decided in order, journaled in one write) and answers
    /// one result per definition, in the order given: <see cref="DefinitionOutcome.Created"/>,
    /// <c>Unchanged</c>, <c>Conflict</c> (with the existing definition) or <c>Invalid</c> (with the
    /// rejection). A conflict or an invalid definition is a result, not an exception; a batch that is
    /// empty or larger than <c>orchestrator.limits.max-batch-definitions</c> throws
    /// <see cref="OrchestratorRejectedException"/>. A timed-out attempt is repeated with the same
    /// batch, as for <see cref="DefineTaskAsync"/>: the definitions the first attempt wrote are
    /// answered <c>Unchanged</c> then.
    /// </summary>
    public Task<TasksDefined> DefineTasksAsync(DefineTasks command, CancellationToken cancellation = default) =>
        AskAgainOnTimeoutAsync<TasksDefined>(command, cancellation);

    /// <summary>Saves a document; a timed-out attempt is repeated under one idempotency key (see <see cref="OrchestratorClientOptions.Retries"/>).</summary>
    public Task<StateSaved> SaveStateAsync(SaveState command, CancellationToken cancellation = default) =>
        AskAgainOnTimeoutAsync<StateSaved>(Keyed(command), cancellation);

    /// <summary>Reads a document.</summary>
    public Task<StateDocument> GetStateAsync(string ownerId, string key, CancellationToken cancellation = default) =>
        AskAsync<StateDocument>(new GetState(ownerId, key), cancellation);

    /// <summary>Reads a task, with its payload and result.</summary>
    public Task<TaskFound> GetTaskAsync(string taskId, CancellationToken cancellation = default) => AskAsync<TaskFound>(new GetTask(taskId), cancellation);

    /// <summary>A task's transitions.</summary>
    public Task<TaskHistory> GetTaskHistoryAsync(string taskId, CancellationToken cancellation = default) =>
        AskAsync<TaskHistory>(new GetTaskHistory(taskId), cancellation);

    /// <summary>One page of tasks; <see cref="TaskPage.NextOffset"/> says where the next one starts.</summary>
    public Task<TaskPage> ListTasksAsync(ListTasks query, CancellationToken cancellation = default) => AskAsync<TaskPage>(query, cancellation);

    /// <summary>Counts and journal figures.</summary>
    public Task<StatsReport> GetStatsAsync(CancellationToken cancellation = default) => AskAsync<StatsReport>(GetStats.Instance, cancellation);

    /// <summary>What the namespace journaled over the last hour, in steps of <paramref name="stepSeconds"/>.</summary>
    public Task<ActivityReport> GetActivityAsync(int stepSeconds = 60, CancellationToken cancellation = default) =>
        AskAsync<ActivityReport>(new GetActivity(stepSeconds), cancellation);

    /// <summary>The first page of known agents (up to 100, by name); <see cref="AgentList.NextOffset"/> says whether there are more.</summary>
    public Task<AgentList> ListAgentsAsync(CancellationToken cancellation = default) => ListAgentsAsync(new ListAgents(), cancellation);

    /// <summary>One page of known agents, by name.</summary>
    public Task<AgentList> ListAgentsAsync(ListAgents query, CancellationToken cancellation = default) => AskAsync<AgentList>(query, cancellation);

    /// <summary>
    /// Claims the next READY task for the agent; null when none is ready. A timed-out attempt is
    /// repeated under one idempotency key: if the first one claimed a task, that claim is the answer.
    /// </summary>
    public async Task<TaskAssigned?> ClaimTaskAsync(ClaimTask command, CancellationToken cancellation = default) =>
        await ClaimAsync(command, cancellation) as TaskAssigned;

    /// <summary>
    /// Claims the next READY task for the agent: <see cref="TaskAssigned"/>, or <see cref="NoTaskReady"/>
    /// (with the claim limit that held the claim back, and for a rate limit when it lets one through).
    /// A timed-out attempt is repeated under one idempotency key, as <see cref="ClaimTaskAsync"/>'s.
    /// </summary>
    public async Task<IClaimReply> ClaimAsync(ClaimTask command, CancellationToken cancellation = default) =>
        await AskAgainOnTimeoutAsync<IOrchestratorReply>(Keyed(command), cancellation) switch
        {
            IClaimReply reply => reply,
            var other => throw Failure(command, other),
        };

    /// <summary>Extends a claim's lease.</summary>
    public Task<LeaseRenewed> HeartbeatAsync(Heartbeat command, CancellationToken cancellation = default) => AskAsync<LeaseRenewed>(command, cancellation);

    /// <summary>Completes a claimed task; a timed-out attempt is repeated under one idempotency key.</summary>
    public Task<TaskUpdated> CompleteTaskAsync(CompleteTask command, CancellationToken cancellation = default) =>
        AskAgainOnTimeoutAsync<TaskUpdated>(Keyed(command), cancellation);

    /// <summary>Reports a claimed task's failure; a timed-out attempt is repeated under one idempotency key.</summary>
    public Task<TaskUpdated> FailTaskAsync(FailTask command, CancellationToken cancellation = default) =>
        AskAgainOnTimeoutAsync<TaskUpdated>(Keyed(command), cancellation);

    /// <summary>Cancels a task; a timed-out attempt is repeated under one idempotency key.</summary>
    public Task<TaskUpdated> CancelTaskAsync(CancelTask command, CancellationToken cancellation = default) =>
        AskAgainOnTimeoutAsync<TaskUpdated>(Keyed(command), cancellation);

    /// <summary>Gives a DEAD task another round; a timed-out attempt is repeated under one idempotency key.</summary>
    public Task<TaskUpdated> RequeueDeadTaskAsync(RequeueDeadTask command, CancellationToken cancellation = default) =>
        AskAgainOnTimeoutAsync<TaskUpdated>(Keyed(command), cancellation);

    /// <summary>
    /// Asks for input on a claimed task: the claim ends and the task is WAITING with the question. A
    /// timed-out attempt is repeated under one idempotency key.
    /// </summary>
    public Task<TaskUpdated> RequestInputAsync(RequestInput command, CancellationToken cancellation = default) =>
        AskAgainOnTimeoutAsync<TaskUpdated>(Keyed(command), cancellation);

    /// <summary>Answers a WAITING task's question: it is READY again. A timed-out attempt is repeated under one idempotency key.</summary>
    public Task<TaskUpdated> ProvideInputAsync(ProvideInput command, CancellationToken cancellation = default) =>
        AskAgainOnTimeoutAsync<TaskUpdated>(Keyed(command), cancellation);

    /// <summary>Cancels the unfinished tasks a filter matches, up to its limit; <see cref="TasksChanged.More"/> says whether to send it again.</summary>
    public Task<TasksChanged> CancelTasksAsync(CancelTasks command, CancellationToken cancellation = default) => AskAsync<TasksChanged>(command, cancellation);

    /// <summary>Requeues the DEAD tasks a filter matches, up to its limit; <see cref="TasksChanged.More"/> says whether to send it again.</summary>
    public Task<TasksChanged> RequeueTasksAsync(RequeueTasks command, CancellationToken cancellation = default) => AskAsync<TasksChanged>(command, cancellation);

    /// <summary>Purges the finished tasks a filter matches from the state, up to its limit; <see cref="TasksChanged.More"/> says whether to send it again.</summary>
    public Task<TasksChanged> PurgeTasksAsync(PurgeTasks command, CancellationToken cancellation = default) => AskAsync<TasksChanged>(command, cancellation);

    /// <summary>Sets how long finished tasks are kept before they are purged (null: for good).</summary>
    public Task<RetentionSet> SetRetentionAsync(SetRetention command, CancellationToken cancellation = default) => AskAsync<RetentionSet>(command, cancellation);

    /// <summary>Sets the namespace's claim limits (replacing the ones before; null: none).</summary>
    public Task<ClaimLimitsSet> SetClaimLimitsAsync(SetClaimLimits command, CancellationToken cancellation = default) => AskAsync<ClaimLimitsSet>(command, cancellation);

    /// <summary>Defines a recurring schedule, or replaces the one of that id (<see cref="ScheduleAccepted.Unchanged"/>: it was so already).</summary>
    public Task<ScheduleAccepted> DefineScheduleAsync(DefineSchedule command, CancellationToken cancellation = default) => AskAsync<ScheduleAccepted>(command, cancellation);

    /// <summary>Removes a schedule (the tasks it defined stay); <see cref="OrchestratorNotFoundException"/> when there is none of that id.</summary>
    public Task<ScheduleRemoved> RemoveScheduleAsync(RemoveSchedule command, CancellationToken cancellation = default) => AskAsync<ScheduleRemoved>(command, cancellation);

    /// <summary>One page of the namespace's schedules, by id.</summary>
    public Task<ScheduleList> ListSchedulesAsync(ListSchedules query, CancellationToken cancellation = default) => AskAsync<ScheduleList>(query, cancellation);

    /// <summary>Registers an agent.</summary>
    public Task<AgentRegistrationAccepted> RegisterAgentAsync(RegisterAgent command, CancellationToken cancellation = default) =>
        AskAsync<AgentRegistrationAccepted>(command, cancellation);

    /// <summary>
    /// Subscribes <paramref name="subscriber"/> to task transitions: it receives
    /// <see cref="SubscribedToTasks"/>, then a <see cref="TaskTransitioned"/> for each matching one.
    /// </summary>
    public void Subscribe(IActorRef subscriber, SubscribeToTasks filter) => StateManager.Tell(InNamespace(filter), subscriber);

    /// <summary>
    /// Subscribes <paramref name="subscriber"/> to saved documents: it receives
    /// <see cref="SubscribedToDocuments"/>, then a <see cref="StateChanged"/> for each matching save.
    /// </summary>
    public void Subscribe(IActorRef subscriber, SubscribeToDocuments filter) => StateManager.Tell(InNamespace(filter), subscriber);

    /// <summary>Ends subscriptions of <paramref name="subscriber"/> (all of them by default).</summary>
    public void Unsubscribe(IActorRef subscriber, UnsubscribeFromTasks? filter = null) =>
        StateManager.Tell(InNamespace(filter ?? UnsubscribeFromTasks.All), subscriber);

    /// <summary>The same client for another namespace (same connection and options).</summary>
    public OrchestratorClient ForNamespace(string @namespace) => new(_stateManager, _options with { Namespace = @namespace }, Address, _link);

    /// <summary>The whole orchestrator: members, shard placement, each running namespace's figures.</summary>
    public Task<ClusterStatus> GetClusterStatusAsync(CancellationToken cancellation = default) =>
        AskAsync<ClusterStatus>(GetClusterStatus.Instance, cancellation);

    // The request in the client's namespace, carrying the trace context it is sent under (unless it has one).
    private IOrchestratorMessage Addressed(IOrchestratorMessage request, System.Diagnostics.Activity? span)
    {
        var addressed = InNamespace(request);
        if (addressed is not NamespacedRequest namespaced) return addressed;
        // A change this client stops waiting for is dropped by the node rather than done later.
        if (namespaced is IStateManagerCommand && namespaced.Within is null) namespaced = namespaced with { Within = _options.RequestTimeout };
        return namespaced is { TraceParent: null } &&
               (span ?? System.Diagnostics.Activity.Current) is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } sentUnder
            ? namespaced with { TraceParent = sentUnder.Id }
            : namespaced;
    }

    private IOrchestratorMessage InNamespace(IOrchestratorMessage request) =>
        _options.Namespace is { } ns && request is NamespacedRequest namespaced && namespaced.Namespace != ns
            ? namespaced with { Namespace = ns }
            : request;

    // A change that is done only once under its key, given one where this client retries.
    private T Keyed<T>(T command) where T : NamespacedRequest =>
        command.IdempotencyKey is null && _options.Retries > 0 ? command with { IdempotencyKey = Guid.NewGuid().ToString() } : command;

    // For definitions, which are idempotent (the same one again is either defined now or answered as
    // already defined), and for changes under an idempotency key (answered as the attempt that landed).
    private async Task<T> AskAgainOnTimeoutAsync<T>(IOrchestratorMessage request, CancellationToken cancellation) where T : class, IOrchestratorReply
    {
        var safe = request is DefineTask or DefineTasks || request is NamespacedRequest { IdempotencyKey: not null };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await AskAsync<T>(request, cancellation);
            }
            // Not again to a node whose link was lost and not associated since: it would only wait out the timeout.
            catch (OrchestratorUnreachableException) when (safe && attempt < _options.Retries && !cancellation.IsCancellationRequested && _link?.Suspect is null)
            {
            }
            catch (OrchestratorUnreachableException ex) when (request is NamespacedRequest { IdempotencyKey: { } key } && request is not (DefineTask or DefineTasks))
            {
                throw new OrchestratorUnreachableException($"{ex.Message}; sent again under idempotency key {key} it is done at most once", ex.InnerException)
                    { IdempotencyKey = key };
            }
        }
    }

    private async Task<T> AskAsync<T>(IOrchestratorMessage request, CancellationToken cancellation) where T : class, IOrchestratorReply
    {
        object reply;
        // A span for the request where this process traces; the state manager's spans continue it.
        using var span = Protocol.Telemetry.OrchestratorActivities.Source.StartActivity($"orchestrator.request {Name(request)}", System.Diagnostics.ActivityKind.Client);
        try
        {
            // A connection that fails while the request waits, or (on a suspect link) no answer to a
            // probe, fails it now: it may or may not have arrived, and no answer will come.
            var loss = _link?.NextLoss;
            var close = _link?.NextClose;
            // The incarnation that answered last (a restarted node has a new one).
            var target = StateManager;
            var probe = _link?.Suspect is null ? null : _link.FailedProbe(target);
            var asked = target.Ask<object>(Addressed(request, span), _options.RequestTimeout, cancellation);
            if (_link is { } link && loss is not null && close is not null)
            {
                var first = await Task.WhenAny(probe is null ? [asked, loss, close] : [asked, loss, probe]);
                // A connection closed while it waits: whether the node is there is for a probe to tell.
                if (first == close) first = await Task.WhenAny(asked, loss, link.FailedProbe(target));
                if (first != asked)
                {
                    span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "link lost");
                    _ = asked.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                    throw new OrchestratorUnreachableException(
                        $"the orchestrator at {Address} is not reachable ({await (Task<string>)first}); {Name(request)} may or may not have arrived");
                }
            }
            reply = await asked;
        }
        catch (AskTimeoutException ex)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "no answer");
            throw new OrchestratorUnreachableException(
                $"no answer from the orchestrator at {Address} within {Durations.Format(_options.RequestTimeout)} to {Name(request)}", ex);
        }

        span?.SetTag("orchestrator.reply", reply.GetType().Name);
        return reply as T ?? throw Failure(request, reply);
    }

    // Every answer but the success one. ClaimTask asks for any reply (it has two successes), so
    // its failures are mapped here too, not only those of AskAsync.
    private static Exception Failure(object request, object reply) => reply switch
    {
        CommandRejected rejected => new OrchestratorRejectedException(rejected),
        TaskDefinitionConflict c => new OrchestratorConflictException(c, c.Message),
        StateVersionConflict c => new OrchestratorConflictException(c, c.Message),
        TransitionRejected c => new OrchestratorConflictException(c, c.Message),
        StaleClaim c => new OrchestratorConflictException(c, c.Message),
        IdempotencyKeyReused k => new OrchestratorConflictException(k, k.Message),
        TaskNotFound n => new OrchestratorNotFoundException(n, $"no task '{n.TaskId}'"),
        StateNotFound n => new OrchestratorNotFoundException(n, $"no state '{n.OwnerId}/{n.Key}'"),
        ScheduleNotFound n => new OrchestratorNotFoundException(n, $"no schedule '{n.ScheduleId}'"),
        OrchestratorUnavailable u => new OrchestratorUnavailableException(u),
        _ => Unexpected(request, reply),
    };

    private static InvalidOperationException Unexpected(object request, object reply) =>
        new($"unexpected reply {reply.GetType().Name} to {Name(request)}");

    private static string Name(object request) => request.GetType().Name;
}
