using Orchestrator.Actors.Domain;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Serialization;
using Akka.TestKit;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.StateManager;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>Bytes of the sender's choosing under the orchestrator's serializer id: a manifest and a payload the server may not accept.</summary>
public sealed record ForgedFrame(string Manifest, byte[] Bytes)
{
    public static ForgedFrame Of(string manifest, string json) => new(manifest, System.Text.Encoding.UTF8.GetBytes(json));
}

/// <summary>A type with no serializer of its own, which counts how often it is built.</summary>
public sealed class Gadget
{
    private static int _built;

    public Gadget() => Interlocked.Increment(ref _built);

    public static int Built => Volatile.Read(ref _built);

    public string? Name { get; set; }
}

/// <summary>
/// The orchestrator's serializer (id 4711) that also writes <see cref="ForgedFrame"/>s under that id,
/// as a client of a newer or a broken protocol would. Registered on the client only.
/// </summary>
public sealed class ForgingSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private readonly OrchestratorSerializer _real = new(system);

    public override int Identifier => OrchestratorSerializer.SerializerId;

    public override string Manifest(object o) => o is ForgedFrame f ? f.Manifest : _real.Manifest(o);

    public override byte[] ToBinary(object obj) => obj is ForgedFrame f ? f.Bytes : _real.ToBinary(obj);

    public override object FromBinary(byte[] bytes, string manifest) => _real.FromBinary(bytes, manifest);
}

/// <summary>
/// A node serving over loopback remoting keeps serving, with its state manager neither restarted nor
/// changed, whatever a client sends it: messages it does not handle, its own internal messages,
/// frames it cannot read, frames larger than it accepts.
/// </summary>
public sealed class RemotingSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 15s"), output: output), IAsyncLifetime
{
    private const string StorePath = "/user/state-manager/default/store";

    // The server takes and sends frames of at most 1 MiB (its replies are kept to 768 KiB, which
    // holds the largest agent); clients send up to 16 MiB (ClientConfig). A document may be 2 MiB,
    // more than a frame. After a dropped association both sides refuse the other's address for
    // retry-gate-closed-for (5 s by default); short here, so that a spec can watch the same client come back.
    private const string ServerConfig = """
        akka.remote.dot-netty.tcp.maximum-frame-size = 1MiB
        orchestrator.limits.max-reply-bytes = 768KiB
        orchestrator.limits.max-document-size = 2MiB
        akka.remote.retry-gate-closed-for = 200ms
        """;

    private const int ServerFrame = 1024 * 1024;

    private const string ForgingClientConfig = """
        akka.actor {
          serializers.orchestrator = "Orchestrator.Actors.Tests.ForgingSerializer, Orchestrator.Actors.Tests"
          serialization-bindings { "Orchestrator.Actors.Tests.ForgedFrame, Orchestrator.Actors.Tests" = orchestrator }
          serialization-identifiers { "Orchestrator.Actors.Tests.ForgingSerializer, Orchestrator.Actors.Tests" = 4711 }
        }
        akka.remote.retry-gate-closed-for = 200ms
        """;

    private static readonly OrchestratorClientOptions Patient = new(TimeSpan.FromSeconds(10));

    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();
    private readonly List<ActorSystem> _clientSystems = [];
    private OrchestratorNode _node = null!;
    private ActorSystem _clientSystem = null!;
    private OrchestratorClient _client = null!;
    private IActorRef _store = null!;
    private long _eventsBefore;
    private string _heldClaim = null!;

    public async Task InitializeAsync()
    {
        _node = OrchestratorNode.Start(TestConfigs.Sqlite(_dataDirectory, ServerConfig));
        (_clientSystem, _client) = await ConnectAsync(ForgingClientConfig);

        // A claim held and a document saved: neither may change, and a restart would show in the store's ref.
        await _client.DefineTaskAsync(new DefineTask("held", "*", "tasks/held.md"));
        _heldClaim = (await _client.ClaimTaskAsync(new ClaimTask("agent-h", TimeSpan.FromHours(1))))!.ClaimId;
        await _client.SaveStateAsync(new SaveState("owner", "doc", """{"v":1}"""));
        _store = await StoreAsync();
        _eventsBefore = (await _client.GetStatsAsync()).EventsJournaled;
    }

    public async Task DisposeAsync()
    {
        foreach (var system in _clientSystems) await system.Terminate();
        await _node.StopAsync();
        TestConfigs.DeleteDataDirectory(_dataDirectory);
    }

    private string Server => $"127.0.0.1:{_node.Address.Port}";

    private async Task<(ActorSystem System, OrchestratorClient Client)> ConnectAsync(string extraConfig = "")
    {
        var system = ActorSystem.Create("client", ConfigurationFactory.ParseString(extraConfig)
            .WithFallback(ConfigurationFactory.ParseString(OrchestratorClient.ClientConfig)));
        _clientSystems.Add(system);
        return (system, await OrchestratorClient.ConnectAsync(system, Server, Patient));
    }

    private Task<IActorRef> StoreAsync() => _node.System.ActorSelection(StorePath).ResolveOne(TimeSpan.FromSeconds(10));

    /// <summary>A probe in the node's ActorSystem that receives every <typeparamref name="T"/> published there.</summary>
    private TestProbe ServerEvents<T>()
    {
        var probe = CreateTestProbe(_node.System);
        _node.System.EventStream.Subscribe(probe.Ref, typeof(T));
        return probe;
    }

    /// <summary>
    /// The node answers <paramref name="client"/>, its state manager is the same incarnation, nothing was
    /// journaled since the set-up and the held claim is intact; then it still takes a write.
    /// </summary>
    private async Task AssertServingUntouchedAsync(OrchestratorClient client)
    {
        Assert.Equal(_eventsBefore, (await client.GetStatsAsync()).EventsJournaled);
        Assert.Equal(_store, await StoreAsync());
        var held = (await client.GetTaskAsync("held")).Task;
        Assert.Equal((TaskState.Claimed, ClaimIds.Public(_heldClaim)), (held.Status, held.Claim?.ClaimId));
        Assert.Equal(1, (await client.GetStateAsync("owner", "doc")).Version);

        Assert.False((await client.DefineTaskAsync(new DefineTask($"after-{Guid.NewGuid():N}", "*", "tasks/after.md"))).AlreadyDefined);
        Assert.Equal(_heldClaim, (await client.HeartbeatAsync(new Heartbeat("held", "agent-h", _heldClaim))).ClaimId);
    }

    public static TheoryData<string> UnhandledKinds => new() { "string", "reply", "event", "notification" };

    [Theory]
    [MemberData(nameof(UnhandledKinds))]
    public async Task A_message_the_state_manager_does_not_handle_is_dropped_and_it_keeps_serving(string kind)
    {
        object message = kind switch
        {
            "string" => "hello, orchestrator",
            // A reply sent as a request: the gateway takes requests only.
            "reply" => new NoTaskReady("agent-x"),
            // An event is a fact of the journal: one sent from outside must never be journaled.
            "event" => new TaskDefined("forged", "*", "tasks/forged.md", TaskPriority.Critical, DateTimeOffset.UnixEpoch),
            _ => Notice("forged"),
        };
        var unhandled = ServerEvents<UnhandledMessage>();
        var sender = CreateTestProbe(_clientSystem);

        _client.StateManager.Tell(message, sender.Ref);

        var dropped = unhandled.ExpectMsg<UnhandledMessage>();
        Assert.Equal(message, dropped.Message);
        Assert.Equal(sender.Ref.Path.Name, dropped.Sender.Path.Name);
        await AssertServingUntouchedAsync(_client);
        await Assert.ThrowsAsync<OrchestratorNotFoundException>(() => _client.GetTaskAsync("forged"));
        // A request-like message is answered so that its sender learns why; a reply or a notice is not
        // (two parties answering what they do not know would loop).
        if (kind is "string" or "event")
            Assert.Equal("message", sender.ExpectMsg<CommandRejected>().Field);
        Assert.False(sender.HasMessages);
    }

    [Theory]
    [InlineData("router")]
    [InlineData("gateway")]
    [InlineData("store")]
    public async Task A_Shutdown_from_another_system_is_refused_and_the_node_keeps_serving(string to)
    {
        // Sent to the router the client talks to, or straight to the namespace's gateway or its state
        // manager, which any peer can resolve by their paths; a local Shutdown (SIGTERM) stops them.
        var target = to switch
        {
            "router" => _client.StateManager,
            "gateway" => await _clientSystem.ActorSelection($"{_node.Address}/user/state-manager/default").ResolveOne(TimeSpan.FromSeconds(10)),
            _ => await _clientSystem.ActorSelection($"{_node.Address}{StorePath}").ResolveOne(TimeSpan.FromSeconds(10)),
        };
        var sender = CreateTestProbe(_clientSystem);

        target.Tell(Protocol.Commands.Shutdown.Instance, sender.Ref);

        var refused = sender.ExpectMsg<CommandRejected>();
        Assert.Equal(("message", "Shutdown"), (refused.Field, refused.Value));
        Assert.Contains("remote peer", refused.Reason);
        await AssertServingUntouchedAsync(_client);
        Assert.False(sender.HasMessages);
    }

    public static TheoryData<string, string> AkkasStops => new()
    {
        { "PoisonPill", "router" }, { "PoisonPill", "gateway" }, { "PoisonPill", "store" }, { "PoisonPill", "store by selection" },
        { "Kill", "router" }, { "Kill", "gateway" }, { "Kill", "store" },
        { "Terminate", "router" }, { "Terminate", "gateway" }, { "Terminate", "store" },
    };

    [Theory]
    [MemberData(nameof(AkkasStops))]
    public async Task Akkas_own_stop_messages_from_another_system_are_refused_logged_and_the_node_keeps_serving(string what, string to)
    {
        var refusals = ServerEvents<Akka.Event.Warning>();
        var target = to == "store by selection" ? null : await TargetAsync(to);

        switch (what)
        {
            case "PoisonPill" when target is null:
                _clientSystem.ActorSelection($"{_node.Address}{StorePath}").Tell(PoisonPill.Instance);
                break;
            case "PoisonPill":
                target!.Tell(PoisonPill.Instance);
                break;
            case "Kill":
                target!.Tell(Kill.Instance);
                break;
            default:
                // A system message, as a remote parent or a remote deployment would send it.
                ((IInternalActorRef)target!).SendSystemMessage(new Akka.Dispatch.SysMsg.Terminate());
                break;
        }

        refusals.FishForMessage<Akka.Event.Warning>(w => w.Message.ToString()!.StartsWith($"Refused a {what} from the network"));
        await AssertServingUntouchedAsync(_client);
    }

    [Fact]
    public async Task A_message_in_Akkas_JSON_serializer_is_never_built_from_the_network()
    {
        var refusals = ServerEvents<Akka.Event.Warning>();
        var sender = CreateTestProbe(_clientSystem);
        var gadget = new Gadget { Name = "payload" };
        var built = Gadget.Built;

        // The client has no binding for it, so Akka writes it as JSON naming its type.
        _client.StateManager.Tell(gadget, sender.Ref);

        refusals.FishForMessage<Akka.Event.Warning>(w => w.Message.ToString()!.StartsWith("Refused a message in Akka's JSON serializer from the network"));
        var refused = sender.ExpectMsg<CommandRejected>();
        Assert.Equal(("message", "message in Akka's JSON serializer"), (refused.Field, refused.Value));
        Assert.Equal(built, Gadget.Built);
        await AssertServingUntouchedAsync(_client);
    }

    private async Task<IActorRef> TargetAsync(string to) => to switch
    {
        "router" => _client.StateManager,
        "gateway" => await _clientSystem.ActorSelection($"{_node.Address}/user/state-manager/default").ResolveOne(TimeSpan.FromSeconds(10)),
        _ => await _clientSystem.ActorSelection($"{_node.Address}{StorePath}").ResolveOne(TimeSpan.FromSeconds(10)),
    };

    public static TheoryData<string> InternalKinds => new() { "ready", "stopped", "notices", "requeue" };

    [Theory]
    [MemberData(nameof(InternalKinds))]
    public async Task The_gateways_internal_messages_sent_from_another_system_are_dropped_even_naming_the_state_manager_as_sender(string kind)
    {
        // Any peer can resolve the state manager and name it as the sender of what it sends.
        var store = await _clientSystem.ActorSelection($"{_node.Address}{StorePath}").ResolveOne(TimeSpan.FromSeconds(10));
        var hijacker = CreateTestProbe(_clientSystem);
        var subscriber = CreateTestProbe(_clientSystem);
        _client.Subscribe(subscriber.Ref, new SubscribeToTasks());
        subscriber.ExpectMsg<SubscribedToTasks>();
        // Forged with a token of its own: the type is the node's, the instance is not.
        object message = kind switch
        {
            "ready" => new StateManagerReady(hijacker.Ref, new GatewayToken()),
            "stopped" => new StateManagerStopped(store, new GatewayToken()),
            "notices" => new TaskNotices(new List<TaskTransitioned> { Notice("ghost") }, new GatewayToken()),
            _ => new Requeue(new DefineTask("requeued", "*", "tasks/requeued.md"), hijacker.Ref, new GatewayToken()),
        };
        var refusals = ServerEvents<Warning>();

        _client.StateManager.Tell(message, store);

        // They have no serializer but Akka's JSON, which the node never reads from the network: not even built.
        refusals.FishForMessage<Warning>(w => w.Message.ToString()!.StartsWith("Refused a message in Akka's JSON serializer from the network"));
        // Requests still reach the state manager, not the hijacker, and are not held.
        await AssertServingUntouchedAsync(_client);
        await Assert.ThrowsAsync<OrchestratorNotFoundException>(() => _client.GetTaskAsync("requeued"));
        // The first notice is the definition the check above made, not the ghost.
        Assert.StartsWith("after-", subscriber.ExpectMsg<TaskTransitioned>().TaskId);
        Assert.False(hijacker.HasMessages);
    }

    [Fact]
    public async Task A_dead_letter_sent_from_another_system_naming_the_live_state_manager_is_never_built()
    {
        var store = await _clientSystem.ActorSelection($"{_node.Address}{StorePath}").ResolveOne(TimeSpan.FromSeconds(10));
        var asker = CreateTestProbe(_clientSystem);
        var refusals = ServerEvents<Warning>();

        // The gateway holds requests whose state manager died, from their dead letters; a forged one is
        // Akka's JSON from the network, which the node refuses to read (it was taken as a request before).
        var gateway = await _clientSystem.ActorSelection($"{_node.Address}/user/state-manager/default").ResolveOne(TimeSpan.FromSeconds(10));
        gateway.Tell(new DeadLetter(new GetTask("held"), asker.Ref, store), store);

        refusals.FishForMessage<Warning>(w => w.Message.ToString()!.StartsWith("Refused a message in Akka's JSON serializer from the network"));
        await AssertServingUntouchedAsync(_client);
        Assert.False(asker.HasMessages);
    }

    public static TheoryData<string, string, string> UnreadableFrames => new()
    {
        { "unknown manifest", "define-task.v2", "{}" },
        { "malformed JSON", "save-state.v1", "{not json" },
        { "JSON null", "save-state.v1", "null" },
        { "missing property", "get-task.v1", "{}" },
        { "null property", "get-task.v1", """{"taskId":null}""" },
        { "wrong type", "claim-task.v1", """{"agent":"a","lease":"forever"}""" },
    };

    [Theory]
    [MemberData(nameof(UnreadableFrames))]
    public async Task A_frame_the_server_cannot_deserialize_is_dropped_and_the_association_stays_up(string what, string manifest, string json)
    {
        var warnings = ServerEvents<Warning>();
        var sender = CreateTestProbe(_clientSystem);

        _client.StateManager.Tell(ForgedFrame.Of(manifest, json), sender.Ref);

        var warning = warnings.FishForMessage<Warning>(w => w.Message.ToString()!.Contains($"manifest [{manifest}]"), hint: what);
        Assert.Contains("Transient association error (association remains live)", warning.Message.ToString());
        // The same client, over the same association, is answered at once.
        await AssertServingUntouchedAsync(_client);
        Assert.False(sender.HasMessages);
    }

    [Theory]
    [InlineData("define-task.v1", """{"taskId":"n-1","agent":"*","taskFile":"tasks/n-1.md","dependsOn":[null]}""", "dependsOn")]
    [InlineData("register-agent.v1", """{"agent":"agent-n","capabilities":["build",null]}""", "capabilities")]
    public async Task A_null_inside_a_list_passes_deserialization_and_is_rejected_naming_the_field(string manifest, string json, string field)
    {
        var sender = CreateTestProbe(_clientSystem);

        _client.StateManager.Tell(ForgedFrame.Of(manifest, json), sender.Ref);

        var rejected = sender.ExpectMsg<CommandRejected>();
        Assert.Equal((field, null, "must not be empty"), (rejected.Field, rejected.Value, rejected.Reason));
        await AssertServingUntouchedAsync(_client);
    }

    [Fact]
    public async Task An_oversized_frame_drops_only_its_senders_association_and_the_node_keeps_serving()
    {
        var (_, bystander) = await ConnectAsync();
        Assert.Equal(_eventsBefore, (await bystander.GetStatsAsync()).EventsJournaled);
        var errors = ServerEvents<Error>();
        var sender = CreateTestProbe(_clientSystem);

        // 1.1 MB: a valid document (the limit is 2 MiB here), in a frame the server does not take (1 MiB).
        _client.StateManager.Tell(new SaveState("owner", "big", $$"""{"text":"{{new string('x', 1_100_000)}}"}"""), sender.Ref);

        // The server's frame decoder refuses the frame and closes the connection.
        errors.FishForMessage<Error>(e => e.Cause is DotNetty.Codecs.TooLongFrameException);
        // Another client's association is not affected: answered at once, on its old association.
        await AssertServingUntouchedAsync(bystander);
        await Assert.ThrowsAsync<OrchestratorNotFoundException>(() => bystander.GetStateAsync("owner", "big"));
        // A new client connects at once.
        var (_, fresh) = await ConnectAsync();
        Assert.Equal(ClaimIds.Public(_heldClaim), (await fresh.GetTaskAsync("held")).Task.Claim?.ClaimId);

        // The sender's own association was dropped: its next requests are lost until the gate
        // reopens, then it associates again.
        var impatient = new OrchestratorClient(_client.StateManager, new OrchestratorClientOptions(TimeSpan.FromMilliseconds(500)));
        await AwaitAssertAsync(async () => await impatient.GetStatsAsync(), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));
        Assert.Equal(_store, await StoreAsync());
        Assert.False(sender.HasMessages);
    }

    [Fact]
    public async Task A_reply_larger_than_the_servers_frame_never_arrives_and_the_request_times_out_as_unreachable()
    {
        // Payload and result fit in a frame each; a TaskFound carries both (documents are not paged:
        // the frame must hold two of the largest, escaped).
        var half = $$"""{"text":"{{new string('y', 600_000)}}"}""";
        await _client.DefineTaskAsync(new DefineTask("large", "agent-l", "tasks/large.md", Payload: half));
        var claim = (await _client.ClaimTaskAsync(new ClaimTask("agent-l")))!;
        await _client.CompleteTaskAsync(new CompleteTask("large", "agent-l", claim.ClaimId, half));
        var errors = ServerEvents<Error>();

        var impatient = new OrchestratorClient(_client.StateManager, new OrchestratorClientOptions(TimeSpan.FromSeconds(1)));
        var unreachable = await Assert.ThrowsAsync<OrchestratorUnreachableException>(() => impatient.GetTaskAsync("large"));
        Assert.EndsWith("to GetTask", unreachable.Message);

        // The server's writer discards it and says so (the exception type is internal to Akka.Remote); the association is not dropped.
        var error = errors.FishForMessage<Error>(e => e.Cause?.GetType().Name == "OversizedPayloadException");
        Assert.Contains("association remains live", error.Message.ToString());
        Assert.Contains("TaskFound", error.Cause!.Message);
        // The association stays: the next request is answered.
        Assert.Equal(TaskState.Completed, (await _client.ListTasksAsync(new ListTasks(Status: "completed"))).Tasks.Single().Status);
    }

    [Fact]
    public async Task A_listing_larger_than_the_servers_frame_arrives_in_pages_that_each_fit_and_together_hold_every_item_once()
    {
        // Given 500 tasks that each depend on 10 tasks with the longest ids (about 1.3 MB of views),
        // and 12 agents with 100 capabilities of 1,000 characters (about 1.2 MB)
        var dependencies = Enumerable.Range(0, 10).Select(i => $"dep-{i:D2}-".PadRight(200, 'x')).ToArray();
        await _client.DefineTasksAsync(new DefineTasks([.. dependencies.Select(id => new DefineTask(id, "agent-d", "tasks/dep.md"))]));
        for (var from = 0; from < 500; from += 250)
            await _client.DefineTasksAsync(new DefineTasks([.. Enumerable.Range(from, 250)
                .Select(i => new DefineTask($"paged-{i:D3}", "agent-p", "tasks/paged.md", DependsOn: dependencies))]));
        for (var i = 0; i < 12; i++)
            await _client.RegisterAgentAsync(new RegisterAgent($"wide-{i:D2}", [.. Enumerable.Range(0, 100).Select(c => $"{c:D3}".PadRight(1000, 'c'))]));
        var serializer = new OrchestratorSerializer((ExtendedActorSystem)_node.System);

        // When both are listed over remoting, page after page, as many as a page may hold
        var taskPages = new List<TaskPage>();
        for (int? offset = 0; offset is { } next;)
        {
            taskPages.Add(await _client.ListTasksAsync(new ListTasks(Limit: 1000, Offset: next)));
            offset = taskPages[^1].NextOffset;
        }
        var agentPages = new List<AgentList>();
        for (int? offset = 0; offset is { } next;)
        {
            agentPages.Add(await _client.ListAgentsAsync(new ListAgents(next, 1000)));
            offset = agentPages[^1].NextOffset;
        }

        // Then each page arrived (none was dropped for its size) and held what fits the server's budget,
        // and the pages hold every task and every agent once, in order, though all of them in one reply would not fit a frame
        Assert.True(taskPages.Count > 1 && agentPages.Count > 1, $"{taskPages.Count} pages of tasks, {agentPages.Count} of agents");
        Assert.All(taskPages, p => Assert.InRange(serializer.ToBinary(p).Length, 1, 768 * 1024));
        Assert.All(agentPages, p => Assert.InRange(serializer.ToBinary(p).Length, 1, 768 * 1024));
        Assert.True(taskPages.Sum(p => serializer.ToBinary(p).Length) > ServerFrame);
        Assert.True(agentPages.Sum(p => serializer.ToBinary(p).Length) > ServerFrame);
        Assert.Equal(["held", .. dependencies, .. Enumerable.Range(0, 500).Select(i => $"paged-{i:D3}")], taskPages.SelectMany(p => p.Tasks).Select(t => t.TaskId));
        Assert.Equal(taskPages.Sum(p => p.Tasks.Count), taskPages[0].Total);
        Assert.Equal(["agent-h", .. Enumerable.Range(0, 12).Select(i => $"wide-{i:D2}")], agentPages.SelectMany(p => p.Agents).Select(a => a.Agent));
        Assert.Equal(_store, await StoreAsync());
    }

    private static TaskTransitioned Notice(string taskId) =>
        new(taskId, "*", TaskPriority.High, new TaskHistoryEntry("task-defined", null, TaskState.Ready, DateTimeOffset.UnixEpoch, "forger"));
}
