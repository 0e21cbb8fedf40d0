using System.Collections;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Akka.Serialization;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;
using Orchestrator.Actors.Protocol.Snapshots;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;
using LeaseRenewedEvent = Orchestrator.Actors.Protocol.Events.LeaseRenewed;
using LeaseRenewedReply = Orchestrator.Actors.Protocol.Replies.LeaseRenewed;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// The wire and journal format: every registered message round-trips through the serializer that
/// Akka picks for it, under its frozen manifest, and unreadable bytes fail the way recovery expects.
/// </summary>
public sealed class SerializerSpecs : Akka.TestKit.Xunit2.TestKit
{
    // Inlined rather than read from hocon.conf, so that these specs pin the binding on their own.
    private const string Config = """
        akka.actor {
          serializers { orchestrator = "Orchestrator.Actors.Protocol.Serialization.OrchestratorSerializer, Orchestrator.Actors.Protocol" }
          serialization-bindings { "Orchestrator.Actors.Protocol.IOrchestratorMessage, Orchestrator.Actors.Protocol" = orchestrator }
          serialization-identifiers { "Orchestrator.Actors.Protocol.Serialization.OrchestratorSerializer, Orchestrator.Actors.Protocol" = 4711 }
        }
        """;

    public SerializerSpecs(ITestOutputHelper output) : base(Config, output)
    {
    }

    // A non-UTC offset and sub-second precision, so that a lossy date format shows up.
    private static readonly DateTimeOffset At = new(2025, 3, 1, 9, 30, 15, 123, TimeSpan.FromHours(2));

    // Sub-second, so that a lease or age written to whole seconds shows up.
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(45.5);

    private static readonly ClaimInfo Claim = new("c-7", "agent-a", 2, At.AddMinutes(1), Lease, At.AddMinutes(1) + Lease);
    private static readonly ClaimInfo LastClaim = new("c-6", "agent-b", 1, At, TimeSpan.FromMinutes(2), At.AddMinutes(2));

    private static readonly TaskHistoryEntry Entry =
        new("task-failed", TaskState.Claimed, TaskState.Failed, At.AddMinutes(3), "agent-a", "c-7", "flaky (attempt 2)");
    private static readonly TaskHistoryEntry OtherEntry =
        new("task-requeued", TaskState.Dead, TaskState.Pending, At.AddHours(1), "operator", "c-8", "came back with 't-0'");

    private static readonly TaskView View = new("t-1", "agent-a", "tasks/t-1.md", TaskPriority.High, TaskState.Failed, At,
        DependsOn: ["t-0", "build/step:1"], MaxAttempts: 5, Attempts: 2, Claim: Claim, RetryAt: At.AddMinutes(10),
        Reason: "flaky", UpdatedAt: At.AddMinutes(3)) { Tags = ["team:core", "tenant=acme"], NotBefore = At.AddHours(5), Question = "Which region?", AnswerBy = At.AddHours(9) };
    private static readonly TaskView OtherView = View with
    {
        TaskId = "build/step:2", Agent = "*", TaskFile = "tasks/b.md", Priority = TaskPriority.Low, Status = TaskState.Claimed,
        DefinedAt = At.AddDays(1), DependsOn = ["t-1"],
    };

    private static readonly ScheduleView Schedule = new("nightly", "agent-a", "tasks/nightly.md", TaskPriority.High, "0 2 * * *", "Europe/Berlin", TimeSpan.FromMinutes(15),
        At, "all", At.AddHours(17), At.AddMinutes(18), "ops")
    {
        MaxAttempts = 4, Payload = """{"full":true}""", Tags = ["team:reports"], Occurrences = 3, Missed = 2, LastOccurrence = At.AddHours(16),
        Note = "nightly:20250301T100000Z was not defined: a task of that id exists already",
    };

    private static readonly AgentView Agent =
        new("agent-a", ["build", "test"], Registered: true, RegisteredAt: At, LastSeen: At.AddMinutes(5), ClaimsHeld: 2, Completed: 7, Failed: 3, LeasesExpired: 1);

    private static readonly TaskDefined Defined =
        new("t-1", "agent-a", "tasks/t-1.md", TaskPriority.Critical, At, ["t-0"], 4, """{"input":"é€😀"}""", "planner", ["team:core", "os=linux"], At.AddHours(6));
    private static readonly StateSavedEvent Saved = new("agent-a", "progress", """{"done":["t-1"],"note":"é€😀"}""", 7, At);

    /// <summary>
    /// One sample per registered type, every field set to a non-default value. Built by hand on
    /// purpose: a newly registered type without a sample fails <see cref="Every_registered_type_round_trips_under_its_manifest"/>.
    /// </summary>
    internal static readonly IReadOnlyDictionary<Type, IOrchestratorMessage> Samples = new IOrchestratorMessage[]
    {
        // commands and queries
        new DefineTask("t-1", "agent-a", "tasks/t-1.md", "HIGH", ["t-0", "t-00"], 5, """{"n":1}""", "planner", ["team:core"], At.AddHours(7)) { Namespace = "team-a" },
        new DefineTasks([new DefineTask("t-1", "agent-a", "tasks/t-1.md", "HIGH", ["t-0"], 5, """{"n":1}""", "planner", ["os=linux"], At.AddHours(8)) { Namespace = "team-a", TraceParent = SampleTraceParent, Within = TimeSpan.FromSeconds(10), IdempotencyKey = "batch-1" }])
            { Namespace = "team-a" },
        new SaveState("agent-a", "progress", """{"step":1}""", 3),
        Protocol.Commands.Shutdown.Instance, // qualified: TestKit has a Shutdown method
        new GetTask("t-1"),
        new ListTasks("agent-a", "READY", "HIGH", 10, 20, "build-", "team:core"),
        new GetActivity(10) { Namespace = "team-a" },
        new GetStats { Namespace = "team-a" },
        new GetState("agent-a", "progress"),
        new ClaimTask("agent-a", Lease),
        new Heartbeat("t-1", "agent-a", "c-7", TimeSpan.FromMinutes(90)),
        new CompleteTask("t-1", "agent-a", "c-7", """{"ok":true}"""),
        new FailTask("t-1", "agent-a", "c-7", "flaky"),
        new CancelTask("t-1", "not needed", "ops"),
        new RequestInput("t-1", "agent-a", "c-7", "Which region?", TimeSpan.FromHours(4)),
        new ProvideInput("t-1", """{"region":"eu-west"}""", "alice"),
        new CancelTasks(new TaskFilter("agent-a", "READY", "HIGH", "build-", "team:core"), "called off", "ops", 500),
        new RequeueTasks(new TaskFilter("agent-a", "DEAD", "LOW", "test-", "os=linux"), "ops", 250),
        new TasksChanged(2, ["t-1", "t-2"], true),
        new SetClaimLimits(50, 4, new Dictionary<string, int> { ["tenant=acme"] = 10 }, "ops", "tenant=", new Dictionary<string, double> { ["tenant=acme"] = 2.5 }),
        new ClaimLimitsSet(new ClaimLimits(50, 4, new Dictionary<string, int> { ["tenant=acme"] = 10 }) { FairBy = "tenant=", MaxClaimsPerSecondPerTag = new Dictionary<string, double> { ["tenant=acme"] = 2.5 } }),
        new DefineSchedule("nightly", "agent-a", "tasks/nightly.md", "0 2 * * *", "Europe/Berlin", TimeSpan.FromMinutes(15), At, "all", "HIGH", 4, """{"full":true}""", ["team:reports"], "ops"),
        new RemoveSchedule("nightly", "ops"),
        new ListSchedules(10, 20),
        new ScheduleAccepted(Schedule, true),
        new ScheduleRemoved("nightly"),
        new ScheduleNotFound("nightly"),
        new ScheduleList([Schedule, Schedule with { ScheduleId = "poll" }], 12, 4, 2),
        new PurgeTasks(new TaskFilter("agent-a", "COMPLETED", "LOW", "old-", "team:core"), TimeSpan.FromDays(7), "ops", 500),
        new SetRetention(TimeSpan.FromDays(30), "ops"),
        new RetentionSet(TimeSpan.FromDays(30)),
        new RequeueDeadTask("t-1", "ops"),
        new RegisterAgent("agent-a", ["build", "test"]),
        new GetTaskHistory("t-1"),
        new ListAgents(10, 20),
        // subscriptions
        new SubscribeToTasks("agent-a", "t-1"),
        new UnsubscribeFromTasks("agent-a", "t-1"),
        new SubscribedToTasks("agent-a", "t-1"),
        new UnsubscribedFromTasks(2),
        new TaskTransitioned("t-1", "*", TaskPriority.High, Entry, ClaimAgent: "agent-a"),
        new SubscribeToDocuments("agent-a"),
        new SubscribedToDocuments("agent-a"),
        new StateChanged("agent-a", "progress", 3, At),
        new SubscriptionEnded("team-a", "the namespace is moving to another node"),
        // replies
        new TaskDefinitionAccepted(View, AlreadyDefined: true),
        new TaskDefinitionConflict("t-1", View),
        // Every field set, so that none can be lost unnoticed; real results carry one of task, existing, error.
        new TasksDefined([new TaskDefinitionResult(3, "t-1", DefinitionOutcome.Conflict, OtherView, View, new CommandRejected("taskId", "a#b", "contains '#'"))]),
        new CommandRejected("taskId", "a#b", "contains '#'"),
        new StateSaved("agent-a", "progress", 2),
        new StateVersionConflict("agent-a", "progress", 1, 2),
        new IdempotencyKeyReused("claim-7f3a", At, "ClaimTask"),
        new StateDocument("agent-a", "progress", """{"step":1}""", 2, At),
        new StateNotFound("agent-a", "progress"),
        new TaskFound(View, """{"n":1}""", """{"ok":true}""") { Input = """{"region":"eu-west"}""" },
        new TaskNotFound("t-9"),
        new TaskPage([View, OtherView], 7, 5, 2),
        new StatsReport(
            3,
            new Dictionary<string, int> { ["PENDING"] = 0, ["READY"] = 2, ["CLAIMED"] = 1 },
            new Dictionary<string, int> { ["CRITICAL"] = 1, ["HIGH"] = 2, ["LOW"] = 0 },
            4, 42, 40, 2, TimeSpan.FromSeconds(93.25), 41) { Namespace = "team-a", ClaimLimits = new ClaimLimits(50, 4, new Dictionary<string, int> { ["tenant=acme"] = 10 }) { FairBy = "tenant=", MaxClaimsPerSecondPerTag = new Dictionary<string, double> { ["x"] = 0.25 } }, Retention = TimeSpan.FromDays(30), Purged = 7, Schedules = 2 },
        new ActivityReport("team-a", At, 10,
            [new ActivityPoint(At, 5, 4, 3, 2, 6, 1.25, 4.5), new ActivityPoint(At.AddSeconds(10), 1, 2, 3, 4, 5, 0.5, 0.75)]),
        GetClusterStatus.Instance,
        GetLocalShards.Instance,
        new LocalShards("akka.tcp://orchestrator@127.0.0.1:4053", [new ShardPlacement("7", "akka.tcp://orchestrator@127.0.0.1:4053", ["default", "team-a"])]),
        new ClusterStatus(true, "akka.tcp://orchestrator@127.0.0.1:4053",
            [new ClusterMember("akka.tcp://orchestrator@127.0.0.1:4053", "Up", ["state-manager"], true, true)],
            [new ShardPlacement("7", "akka.tcp://orchestrator@127.0.0.1:4053", ["team-a"])],
            [new StatsReport(1, new Dictionary<string, int> { ["READY"] = 1 }, new Dictionary<string, int> { ["LOW"] = 1 }, 1, 2, 1, 1, TimeSpan.FromSeconds(2), 2) { Namespace = "team-a", ClaimLimits = new ClaimLimits(1, 1, new Dictionary<string, int> { ["x"] = 1 }) { FairBy = "x", MaxClaimsPerSecondPerTag = new Dictionary<string, double> { ["x"] = 0.25 } }, Retention = TimeSpan.FromHours(1), Purged = 3, Schedules = 1 }],
            ["akka.tcp://orchestrator@127.0.0.1:4054"]),
        new OrchestratorUnavailable("journal write failed"),
        ShutdownComplete.Instance,
        new TaskAssigned(OtherView, "c-7", At.AddMinutes(1) + Lease, """{"n":1}""") { Input = """{"region":"eu-west"}""" },
        new NoTaskReady("agent-a") { Limited = "tag 'x' is at its rate limit maxClaimsPerSecondPerTag = 2", LimitedUntil = At.AddSeconds(1) },
        new LeaseRenewedReply("t-1", "c-7", At.AddMinutes(2)),
        new TaskUpdated(View),
        new TransitionRejected("t-1", TaskState.Dead, "claim", "it used its last attempt"),
        new StaleClaim("t-1", "agent-a", "c-6", TaskState.Cancelled, "the task was cancelled"),
        new AgentRegistrationAccepted(Agent),
        new TaskHistory("t-1", [Entry, OtherEntry], 3),
        new AgentList([Agent, Agent with { Agent = "agent-b", Capabilities = ["deploy"] }], 12, 4, 2),
        // events
        Defined,
        Saved,
        new EventsDeleted(42, At),
        new TaskClaimed("t-1", "agent-a", "c-7", 2, Lease, At.AddMinutes(1) + Lease, At.AddMinutes(1)),
        new LeaseRenewedEvent("t-1", "agent-a", "c-7", TimeSpan.FromMinutes(90), At.AddMinutes(92), At.AddMinutes(2)),
        new TaskCompleted("t-1", "agent-a", "c-7", """{"ok":true}""", At.AddMinutes(3)),
        new TaskFailed("t-1", "agent-a", "c-7", "flaky", 2, At.AddMinutes(10), At.AddMinutes(3)),
        new LeaseExpired("t-1", "agent-a", "c-7", 5, OutOfAttempts: true, At.AddMinutes(4)),
        new RetryDue("t-1", At.AddMinutes(10)),
        new TaskDue("t-1", At.AddMinutes(11)),
        new InputRequested("t-1", "agent-a", "c-7", "Which region?", At.AddHours(4), At.AddMinutes(12)),
        new InputProvided("t-1", """{"region":"eu-west"}""", "alice", At.AddMinutes(13)),
        new InputTimedOut("t-1", 2, At.AddMinutes(20), At.AddMinutes(14)),
        new TasksCancelled(["t-1", "build/step:2"], "called off", "ops", At.AddMinutes(15)),
        new TasksRequeued(["t-1", "build/step:2"], "ops", At.AddMinutes(16)),
        new ClaimLimitsChanged(50, 4, new Dictionary<string, int> { ["tenant=acme"] = 10 }, "ops", At.AddMinutes(17)) { FairBy = "tenant=", MaxClaimsPerSecondPerTag = new Dictionary<string, double> { ["tenant=acme"] = 0.5 } },
        new ScheduleDefined("nightly", "agent-a", "tasks/nightly.md", TaskPriority.High, "0 2 * * *", "Europe/Berlin", TimeSpan.FromMinutes(15), At, "all", 4,
            """{"full":true}""", ["team:reports"], "ops", At.AddMinutes(18), At.AddHours(17)),
        new ScheduleRemovedEvent("nightly", "ops", At.AddMinutes(19)),
        new TasksPurged(["t-1", "build/step:2"], "retention", At.AddMinutes(21)),
        new RetentionChanged(TimeSpan.FromDays(30), "ops", At.AddMinutes(22)),
        new ScheduleFired("nightly", [At.AddHours(1), At.AddHours(2)], 3, At.AddHours(3), "nightly:20250301T100000Z was not defined: a task of that id exists already", At.AddMinutes(20)),
        new DependenciesMet("t-2", "t-1", "agent-a", At.AddMinutes(3)),
        new TaskKilled("t-2", "t-1", "'t-1' is DEAD", "agent-a", At.AddMinutes(4)),
        new TaskCancelled("t-1", "not needed", "ops", At.AddMinutes(5)),
        new TaskRequeued("t-2", "ops", "t-1", At.AddMinutes(6)),
        new AgentRegistered("agent-a", ["build", "test"], At),
        new AgentSeen("agent-a", At.AddMinutes(7)),
        new RequestKeyed("0b9b6a3e-6f2d-4c1e-9a57-3c1f5d8e2b71", "5f1c9d2ab3e4f60718293a4b5c6d7e8f", "t-1", "claim-7-0011223344556677", At.AddMinutes(2), 3, At.AddMinutes(1)),
        new EventBatch([Defined, new TaskClaimed("t-1", "agent-a", "c-7", 2, Lease, At.AddMinutes(1) + Lease, At.AddMinutes(1)), Saved]),
        // snapshots
        new OrchestratorSnapshotV1(
            OrchestratorSnapshotV1.Version,
            [Defined, Defined with { TaskId = "t-2", Priority = TaskPriority.Low }],
            [Saved, Saved with { Key = "notes", Json = "[]", Version = 1 }]),
        new OrchestratorSnapshotV2(
            OrchestratorSnapshotV2.Version, 8, 12, 10,
            [
                new TaskSnapshotV2("t-1", "agent-a", "tasks/t-1.md", TaskPriority.High, TaskState.Claimed, At, 7, ["t-0"], 5,
                    """{"n":1}""", "planner", 2, Claim, At.AddMinutes(10), """{"ok":true}""", "flaky", "t-0", At.AddMinutes(1),
                    9, LastClaim, ClaimOutcome.Failed, [Entry, OtherEntry], 2) { Tags = ["team:core"], NotBefore = At.AddHours(1), DueAt = At.AddHours(1), Question = "Which region?", AnswerBy = At.AddHours(2), Input = """{"region":"eu-west"}""" },
            ],
            [Saved],
            [new AgentSnapshotV2("agent-a", ["build", "test"], true, At, At.AddMinutes(5), 7, 3, 1)])
        {
            EventsJournaled = 11,
            ClaimLimits = new ClaimLimits(50, 4, new Dictionary<string, int> { ["tenant=acme"] = 10 }) { FairBy = "tenant=", MaxClaimsPerSecondPerTag = new Dictionary<string, double> { ["x"] = 0.25 } },
            Schedules = [Schedule],
            Retention = TimeSpan.FromDays(30),
            Purged = 12,
            FairServed = new Dictionary<string, IReadOnlyDictionary<string, long>> { ["*"] = new Dictionary<string, long> { ["tenant=acme"] = 3 } },
            FairTurn = 3,
            ClaimRateDue = new Dictionary<string, DateTimeOffset> { ["tenant=acme"] = At.AddSeconds(2) },
            RequestKeys = [new RequestKeyed("k-1", "5f1c9d2ab3e4f60718293a4b5c6d7e8f", "t-1", "claim-3-0011223344556677", At.AddMinutes(1), 2, At)],
        },
    }.Select(Traced).ToDictionary(m => m.GetType());

    // Every request carries the optional trace context, deadline and idempotency key too (NamespacedRequest.TraceParent, Within, IdempotencyKey).
    private const string SampleTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static IOrchestratorMessage Traced(IOrchestratorMessage message) =>
        message is NamespacedRequest request ? request with { TraceParent = SampleTraceParent, Within = TimeSpan.FromSeconds(10), IdempotencyKey = "sample-key-1" } : message;

    public static TheoryData<string> RegisteredManifests => new(OrchestratorSerializer.Manifests.Keys.Order());

    private static readonly Regex ManifestShape = new(@"^[a-z]+(-[a-z]+)*\.v[1-9][0-9]*$", RegexOptions.CultureInvariant);

    // ---- the journal's upper bound of an event's size ---------------------------------------------

    // Every character class the JSON writer treats differently: plain ASCII, those it escapes, non-ASCII, surrogate pairs.
    private const string Nasty = "plain \" quote \\ backslash \u0001\u001f control \n\t é ü 中文 😀 \u007f <>&'+` end";

    [Theory]
    [MemberData(nameof(RegisteredManifests))]
    public void No_event_takes_more_in_the_journal_than_its_upper_bound(string registeredManifest)
    {
        var type = OrchestratorSerializer.Manifests[registeredManifest];
        if (!typeof(IOrchestratorEvent).IsAssignableFrom(type)) return;
        var serializer = (OrchestratorSerializer)Sys.Serialization.FindSerializerForType(type);
        var sample = (IOrchestratorEvent)Samples[type];
        string Big(string? text) => text is null ? Nasty : string.Concat(Enumerable.Repeat(Nasty, 50));
        IOrchestratorEvent[] variants = sample switch
        {
            TaskDefined d => [d, d with { Payload = $$"""{"text":{{System.Text.Json.JsonSerializer.Serialize(Big(d.Payload))}}}""", By = Nasty, DependsOn = [Nasty, "b"] }],
            StateSavedEvent s => [s, s with { Json = $$"""{"text":{{System.Text.Json.JsonSerializer.Serialize(Big(s.Json))}}}""" }],
            TaskCompleted c => [c, c with { Result = $$"""{"text":{{System.Text.Json.JsonSerializer.Serialize(Big(c.Result))}}}""" }],
            TaskFailed f => [f, f with { Reason = Big(f.Reason) }],
            TaskCancelled c => [c, c with { Reason = Big(c.Reason), By = Nasty }],
            AgentRegistered a => [a, a with { Capabilities = [Nasty, Big(null)] }],
            EventBatch b => [b, new EventBatch([.. b.Events, new TaskFailed("t", "a", "c-1", Big(null), 1, null, DateTimeOffset.UnixEpoch)])],
            _ => [sample],
        };

        foreach (var variant in variants)
        {
            var bytes = serializer.ToBinary(variant).Length;
            Assert.True(bytes <= EventSizes.UpperBound(variant), $"{registeredManifest}: {bytes} bytes written, upper bound {EventSizes.UpperBound(variant)}");
        }
    }

    // ---- round trips ---------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(RegisteredManifests))]
    public void Every_registered_type_round_trips_under_its_manifest(string registeredManifest)
    {
        // Given a sample of the registered type
        var type = OrchestratorSerializer.Manifests[registeredManifest];
        if (!Samples.TryGetValue(type, out var sample))
        {
            Assert.Fail($"{type.Name} is registered as '{registeredManifest}' but has no sample in {nameof(SerializerSpecs)}; add one");
            return;
        }

        // When Akka serializes it with the serializer bound to it and reads it back by serializer id
        var serializer = Sys.Serialization.FindSerializerFor(sample);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, sample);
        var bytes = serializer.ToBinary(sample);
        var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

        // Then it is our serializer, under the short registered manifest, and the copy equals the original
        Assert.IsType<OrchestratorSerializer>(serializer);
        Assert.Equal(4711, serializer.Identifier);
        Assert.Equal(OrchestratorSerializer.SerializerId, serializer.Identifier);
        Assert.Equal(registeredManifest, manifest);
        Assert.Matches(ManifestShape, manifest);
        Assert.DoesNotContain(type.FullName!, manifest, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("orchestrator", manifest, StringComparison.OrdinalIgnoreCase);

        Assert.IsType(type, back);
        AssertSameMessage(sample, back);
        Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(serializer.ToBinary(back)));
    }

    [Fact]
    public void Hocon_conf_and_the_client_register_the_serializer_under_the_protocol_names()
    {
        // Given the node's configuration (hocon.conf) and a client's own ActorSystem configuration
        var configs = new[]
        {
            ("hocon.conf", Orchestrator.Actors.Configuration.OrchestratorConfig.Load()),
            ("ClientConfig", Akka.Configuration.ConfigurationFactory.ParseString(Orchestrator.Actors.Client.OrchestratorClient.ClientConfig)),
        };

        foreach (var (name, config) in configs)
        {
            // Then each registers the protocol's serializer, binding and id exactly as OrchestratorNames has them
            Assert.True(config.GetString($"akka.actor.serializers.{OrchestratorNames.SerializerName}") == OrchestratorNames.SerializerType,
                $"{name}: serializer '{OrchestratorNames.SerializerName}' is '{config.GetString($"akka.actor.serializers.{OrchestratorNames.SerializerName}")}'");
            var bindings = config.GetConfig("akka.actor.serialization-bindings").AsEnumerable().ToDictionary(b => b.Key, b => b.Value.GetString());
            Assert.True(bindings.GetValueOrDefault(OrchestratorNames.BoundType) == OrchestratorNames.SerializerName,
                $"{name}: bindings are {string.Join(", ", bindings.Select(b => $"{b.Key} = {b.Value}"))}");
            var identifiers = config.GetConfig("akka.actor.serialization-identifiers").AsEnumerable().ToDictionary(b => b.Key, b => b.Value.GetInt());
            Assert.True(identifiers.GetValueOrDefault(OrchestratorNames.SerializerType) == OrchestratorNames.SerializerId,
                $"{name}: identifiers are {string.Join(", ", identifiers.Select(b => $"{b.Key} = {b.Value}"))}");
        }
    }

    [Fact]
    public void Every_sample_is_of_a_registered_type()
    {
        var unregistered = Samples.Keys.Except(OrchestratorSerializer.Manifests.Values).Select(t => t.Name);

        Assert.Empty(unregistered);
    }

    [Fact]
    public void Every_sample_sets_every_field_to_a_non_default_value()
    {
        var defaults = Samples.Values.SelectMany(sample => DefaultFields(sample, sample.GetType().Name));

        Assert.Empty(defaults);
    }

    [Fact]
    public void The_content_comparison_notices_a_changed_list_item_nested_field_or_offset()
    {
        // The round trip relies on it: a comparison that passed everything would prove nothing.
        var view = (TaskUpdated)Samples[typeof(TaskUpdated)];
        var snapshot = (OrchestratorSnapshotV2)Samples[typeof(OrchestratorSnapshotV2)];
        var task = snapshot.Tasks[0];

        AssertSameMessage(view, view with { Task = view.Task with { DependsOn = [.. view.Task.DependsOn!] } });
        Assert.ThrowsAny<Exception>(() => AssertSameMessage(view, view with { Task = view.Task with { DependsOn = ["t-0", "other"] } }));
        Assert.ThrowsAny<Exception>(() => AssertSameMessage(view, view with { Task = view.Task with { Claim = Claim with { LeaseDuration = Lease * 2 } } }));
        Assert.ThrowsAny<Exception>(() => AssertSameMessage(view, view with { Task = view.Task with { DefinedAt = At.ToUniversalTime() } }));
        Assert.ThrowsAny<Exception>(() => AssertSameMessage(snapshot, snapshot with { Tasks = [task with { History = [Entry] }] }));
        Assert.ThrowsAny<Exception>(() => AssertSameMessage(snapshot, snapshot with { Agents = [] }));
        Assert.Equal(["TaskFound.Task.Claim"], DefaultFields(new TaskFound(OtherView with { Claim = null }, "{}", "{}") { Input = "{}" }, nameof(TaskFound)));
        Assert.Equal(["TaskFound.Result", "TaskFound.Task.Attempts"],
            DefaultFields(new TaskFound(OtherView with { Attempts = 0 }, "{}") { Input = "{}" }, nameof(TaskFound)).Order());
    }

    [Fact]
    public void Every_concrete_protocol_message_type_is_registered_except_the_unreadable_snapshot()
    {
        // A message type added to the protocol but not to the serializer would only fail at run time.
        var messageTypes = typeof(IOrchestratorMessage).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IOrchestratorMessage).IsAssignableFrom(t))
            .Where(t => t != typeof(UnreadableSnapshot) && !typeof(ISnapshotSource).IsAssignableFrom(t));

        var missing = messageTypes.Except(OrchestratorSerializer.Manifests.Values).Select(t => t.FullName);

        Assert.Empty(missing);
    }

    [Fact]
    public void Every_type_has_one_manifest()
    {
        var types = OrchestratorSerializer.Manifests.Values.ToList();

        Assert.Equal(types.Count, types.Distinct().Count());
    }

    [Fact]
    public void Optional_fields_left_empty_round_trip()
    {
        IOrchestratorMessage[] edges =
        [
            new DefineTask("t-1", "*", "f"),
            new SaveState("o", "k", "null"),
            new ListTasks(),
            new CommandRejected("json", null, "is 2 bytes; at most 1 bytes are allowed"),
            new TaskPage([], 0, 0, 100),
            new OrchestratorSnapshotV1(1, [], []),
            new DefineTask("t-1", "*", "f", DependsOn: []),
            new ClaimTask("a"),
            new Heartbeat("t", "a"),
            new CompleteTask("t", "a"),
            new FailTask("t", "a", null, "r"),
            new CancelTask("t", "r"),
            new RequeueDeadTask("t"),
            new RegisterAgent("a"),
            new SubscribeToTasks(),
            new SubscribedToTasks(null, null),
            new SubscribeToDocuments(),
            new SubscribedToDocuments(null),
            new TaskFound(new TaskView("t", "*", "f", TaskPriority.Medium, TaskState.Pending, At)),
            new TaskAssigned(OtherView with { Claim = null }, "c-1", At, null),
            new StaleClaim("t", "a", null, TaskState.Ready, "r"),
            new TaskHistory("t", [new TaskHistoryEntry("task-defined", null, TaskState.Ready, At, null)], 0),
            new AgentList([Agent with { Capabilities = [], Registered = false, RegisteredAt = null }]),
            new StatsReport(0, new Dictionary<string, int>(), new Dictionary<string, int>(), 0, 0, 0),
            new TaskDefined("t", "*", "f", TaskPriority.Low, At),
            new DefineTasks([new DefineTask("t-1", "*", "f"), null!]),
            new TasksDefined(
            [
                new TaskDefinitionResult(0, "t-1", DefinitionOutcome.Created, Task: View),
                new TaskDefinitionResult(1, "t-1", DefinitionOutcome.Unchanged, Task: View),
                new TaskDefinitionResult(2, "t-1", DefinitionOutcome.Conflict, Existing: OtherView),
                new TaskDefinitionResult(3, null, DefinitionOutcome.Invalid, Error: new CommandRejected("tasks[3]", null, "must be a task definition, not null")),
            ]),
            new TaskCompleted("t", "a", "c", null, At),
            new TaskFailed("t", "a", "c", "r", 3, null, At),
            new TaskRequeued("t", "operator", null, At),
            new OrchestratorSnapshotV2(2, 0, 1, 0, [], [], []),
            new OrchestratorSnapshotV2(2, 1, 1, 1,
                [new TaskSnapshotV2("t", "*", "f", TaskPriority.Low, TaskState.Ready, At, 0, [], 3, null, null, 0, null, null,
                    null, null, null, At, 0, null, null, [], 0)],
                [], []),
        ];

        foreach (var sample in edges)
        {
            var serializer = Sys.Serialization.FindSerializerFor(sample);
            var back = Sys.Serialization.Deserialize(serializer.ToBinary(sample), serializer.Identifier,
                Akka.Serialization.Serialization.ManifestFor(serializer, sample));

            AssertSameMessage(sample, back);
        }
    }

    [Fact]
    public void Command_json_without_its_optional_fields_is_read_with_the_defaults()
    {
        var serializer = Serializer();

        var define = serializer.FromBinary("""{"taskId":"t-1","agent":"a","taskFile":"f"}"""u8.ToArray(), "define-task.v1");
        var list = serializer.FromBinary("{}"u8.ToArray(), "list-tasks.v1");

        Assert.Equal(new DefineTask("t-1", "a", "f"), define);
        Assert.Equal(new ListTasks(), list);
        // Written before namespaces existed: the default namespace.
        Assert.Equal(Namespaces.Default, ((DefineTask)define).Namespace);
    }

    [Fact]
    public void A_list_of_agents_written_before_paging_reads_as_the_first_page()
    {
        var list = Serializer().FromBinary("{}"u8.ToArray(), "list-agents.v1");

        Assert.Equal(new ListAgents(0, 100), list);
    }

    [Fact]
    public void An_agent_list_from_a_node_older_than_paging_reads_as_one_page_with_nothing_after_it()
    {
        var old = $$"""{"agents":[{{JsonSerializer.Serialize(Agent, OrchestratorJsonContext.Default.AgentView)}}]}""";

        var back = Assert.IsType<AgentList>(Serializer().FromBinary(Encoding.UTF8.GetBytes(old), "agent-list.v1"));

        Assert.Equal([Agent], back.Agents);
        Assert.Equal((0, 0, 0, (int?)null), (back.Total, back.Offset, back.Limit, back.NextOffset));
    }

    [Fact]
    public void Where_the_next_page_starts_is_derived_from_the_page_and_not_written()
    {
        var page = new TaskPage([View, OtherView], 7, 3, 2);

        var json = Encoding.UTF8.GetString(Serializer().ToBinary(page));

        Assert.Equal(5, page.NextOffset);
        Assert.Null((page with { Offset = 5 }).NextOffset);
        Assert.Null((page with { Tasks = [] }).NextOffset);
        Assert.DoesNotContain("next", json, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(5, ((TaskPage)Serializer().FromBinary(Encoding.UTF8.GetBytes(json), "task-page.v1")).NextOffset);
    }

    public static TheoryData<string> NastyTexts => new()
    {
        "", "plain-ascii_id/1:2.3", "quote \" backslash \\ slash /", "<>&'+`", "é€😀 日本", "\u0001\u001f\u007f\t\n", "\ud800 lone", new string('"', 1000),
    };

    [Theory]
    [MemberData(nameof(NastyTexts))]
    public void A_view_never_takes_more_on_the_wire_than_its_upper_bound(string text)
    {
        var claim = new ClaimInfo(text, text, int.MaxValue, At, TimeSpan.MaxValue, DateTimeOffset.MaxValue);
        var task = new TaskView(text, text, text, TaskPriority.Critical, TaskState.Cancelled, DateTimeOffset.MinValue, [text, text, text],
            int.MaxValue, int.MinValue, claim, DateTimeOffset.MaxValue, text, DateTimeOffset.MaxValue);
        var agent = new AgentView(text, [text, text], true, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue);
        var entry = new TaskHistoryEntry(text, TaskState.Pending, TaskState.Cancelled, DateTimeOffset.MaxValue, text, text, text);
        const int most = int.MinValue;

        var tasks = Serializer().ToBinary(new TaskPage([task, task], most, most, most)).Length;
        var agents = Serializer().ToBinary(new AgentList([agent, agent], most, most, most)).Length;
        var history = Serializer().ToBinary(new TaskHistory(text, [entry, entry], most)).Length;
        TaskDefinitionResult[] results =
        [
            new(most, text, DefinitionOutcome.Unchanged, Task: task),
            new(most, text, DefinitionOutcome.Conflict, Existing: task),
            new(most, text, DefinitionOutcome.Invalid, Error: new CommandRejected(text, text, text)),
        ];
        var batch = Serializer().ToBinary(new TasksDefined(results)).Length;

        Assert.InRange(tasks, 1, ViewSizes.ReplyAllowance + 2 * ViewSizes.UpperBound(task));
        Assert.InRange(agents, 1, ViewSizes.ReplyAllowance + 2 * ViewSizes.UpperBound(agent));
        Assert.InRange(history, 1, ViewSizes.ReplyAllowance + JsonTextSizes.Text(text) + 2 * ViewSizes.UpperBound(entry));
        Assert.InRange(batch, 1, ViewSizes.ReplyAllowance + results.Sum(ViewSizes.UpperBound));
    }

    [Fact]
    public void A_request_s_trace_context_crosses_the_wire_when_set_is_left_out_when_not_and_is_not_part_of_its_identity()
    {
        var serializer = Serializer();
        const string traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        var traced = new DefineTask("t-1", "a", "f") { TraceParent = traceParent };

        var json = Encoding.UTF8.GetString(serializer.ToBinary(traced));
        var plain = Encoding.UTF8.GetString(serializer.ToBinary(new DefineTask("t-1", "a", "f")));
        var back = (DefineTask)serializer.FromBinary(Encoding.UTF8.GetBytes(json), serializer.Manifest(traced));

        Assert.Contains($"\"traceParent\":\"{traceParent}\"", json);
        Assert.DoesNotContain("traceParent", plain);
        Assert.Equal(traceParent, back.TraceParent);
        // The same definition, traced or not: idempotency and conflicts do not see the trace.
        Assert.Equal(new DefineTask("t-1", "a", "f"), back);
        Assert.Equal(new DefineTask("t-1", "a", "f").GetHashCode(), back.GetHashCode());
        Assert.NotEqual(new DefineTask("t-1", "a", "g") { TraceParent = traceParent }, back);
        Assert.NotEqual(new DefineTask("t-1", "a", "f") { Namespace = "other" }, back);
    }

    [Fact]
    public void A_request_s_within_crosses_the_wire_when_set_its_arrival_never_does_and_neither_is_part_of_its_identity()
    {
        var serializer = Serializer();
        var timed = new ClaimTask("a") { Within = TimeSpan.FromSeconds(10), ArrivedAt = TimeSpan.FromMinutes(3) };

        var json = Encoding.UTF8.GetString(serializer.ToBinary(timed));
        var back = (ClaimTask)serializer.FromBinary(Encoding.UTF8.GetBytes(json), serializer.Manifest(timed));

        Assert.Contains("\"within\":\"00:00:10\"", json);
        Assert.DoesNotContain("rrived", json);
        Assert.DoesNotContain("within", Encoding.UTF8.GetString(serializer.ToBinary(new ClaimTask("a"))));
        Assert.Equal((TimeSpan.FromSeconds(10), (TimeSpan?)null), (back.Within, back.ArrivedAt));
        Assert.Equal(new ClaimTask("a"), back);
    }

    [Fact]
    public void A_task_defined_event_written_before_the_lifecycle_still_reads_with_the_lifecycle_fields_null()
    {
        // The exact shape the v1 code journaled: no dependsOn, maxAttempts, payload or by.
        var old = """{"taskId":"t-1","agent":"agent-a","taskFile":"tasks/t-1.md","priority":"HIGH","definedAt":"2025-03-01T09:30:15.123+02:00"}"""u8.ToArray();

        var back = Assert.IsType<TaskDefined>(Sys.Serialization.Deserialize(old, OrchestratorSerializer.SerializerId, "task-defined.v1"));

        Assert.Equal(("t-1", "agent-a", "tasks/t-1.md", TaskPriority.High), (back.TaskId, back.Agent, back.TaskFile, back.Priority));
        Assert.Equal((At, At.Offset), (back.DefinedAt, back.DefinedAt.Offset));
        Assert.Null(back.DependsOn);
        Assert.Null(back.MaxAttempts);
        Assert.Null(back.Payload);
        Assert.Null(back.By);
    }

    [Fact]
    public void The_lifecycle_fields_of_task_defined_are_written_under_their_frozen_names()
    {
        using var json = JsonDocument.Parse(Serializer().ToBinary(Defined));
        var root = json.RootElement;

        Assert.Equal(["t-0"], root.GetProperty("dependsOn").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(4, root.GetProperty("maxAttempts").GetInt32());
        Assert.Equal(Defined.Payload, root.GetProperty("payload").GetString());
        Assert.Equal("planner", root.GetProperty("by").GetString());
    }

    [Fact]
    public void A_lease_travels_as_a_time_span()
    {
        var claim = new ClaimTask("agent-a", TimeSpan.FromSeconds(45.5));
        var heartbeat = new Heartbeat("t-1", "agent-a", "c-7", TimeSpan.FromMinutes(90));

        var claimJson = Encoding.UTF8.GetString(Serializer().ToBinary(claim));
        var heartbeatJson = Encoding.UTF8.GetString(Serializer().ToBinary(heartbeat));

        Assert.Contains("\"lease\":\"00:00:45.5000000\"", claimJson);
        Assert.Contains("\"lease\":\"01:30:00\"", heartbeatJson);
        Assert.Equal(TimeSpan.FromSeconds(45.5), Assert.IsType<ClaimTask>(Serializer().FromBinary(Encoding.UTF8.GetBytes(claimJson), "claim-task.v1")).Lease);
        Assert.Equal(TimeSpan.FromMinutes(90), Assert.IsType<Heartbeat>(Serializer().FromBinary(Encoding.UTF8.GetBytes(heartbeatJson), "heartbeat.v1")).Lease);
        Assert.Equal(TimeSpan.FromMinutes(2),
            Assert.IsType<ClaimTask>(Serializer().FromBinary("""{"agent":"a","lease":"00:02:00"}"""u8.ToArray(), "claim-task.v1")).Lease);
    }

    [Theory]
    [InlineData("""{"agent":"a","lease":30}""")]
    [InlineData("""{"agent":"a","lease":"30s"}""")]
    [InlineData("""{"agent":"a","lease":"soon"}""")]
    public void A_lease_that_is_not_a_time_span_is_refused_rather_than_guessed(string json)
    {
        var error = Assert.Throws<SerializationException>(() => Serializer().FromBinary(Encoding.UTF8.GetBytes(json), "claim-task.v1"));

        Assert.Contains("claim-task.v1", error.Message);
    }

    // ---- readable format -----------------------------------------------------------------------

    [Fact]
    public void Snapshot_is_readable_camel_case_json_with_its_format_version_and_upper_case_enums()
    {
        var snapshot = (OrchestratorSnapshotV1)Samples[typeof(OrchestratorSnapshotV1)];

        var json = Encoding.UTF8.GetString(Serializer().ToBinary(snapshot));

        Assert.Contains("\"formatVersion\":1", json);
        Assert.Contains("\"tasks\":[", json);
        Assert.Contains("\"documents\":[", json);
        Assert.Contains("\"taskId\":\"t-1\"", json);
        Assert.Contains("\"priority\":\"CRITICAL\"", json);
        Assert.Contains("\"priority\":\"LOW\"", json);
        Assert.DoesNotContain("\"TaskId\"", json);
        Assert.DoesNotContain("\"FormatVersion\"", json);
        Assert.DoesNotContain("Critical", json);

        using var document = JsonDocument.Parse(json);
        Assert.Equal(1, document.RootElement.GetProperty("formatVersion").GetInt32());
        Assert.Equal("HIGH", JsonDocument.Parse(Serializer().ToBinary(new TaskFound(View)))
            .RootElement.GetProperty("task").GetProperty("priority").GetString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ChunkedSnapshots.TasksPerChunk)]
    [InlineData(ChunkedSnapshots.TasksPerChunk * 2 + 7)]
    public void A_snapshot_source_is_written_in_chunks_that_read_back_as_the_snapshot_it_stands_for(int tasks)
    {
        var sample = (OrchestratorSnapshotV2)Samples[typeof(OrchestratorSnapshotV2)];
        var template = sample.Tasks[0];
        var snapshot = sample with
        {
            Tasks = [.. Enumerable.Range(0, tasks).Select(i => template with { TaskId = $"t-{i}", Ordinal = i, ReadySeq = i })],
            EventsJournaled = 42,
        };
        var source = new Source(snapshot);

        var serializer = Sys.Serialization.FindSerializerFor(source);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, source);
        var bytes = serializer.ToBinary(source);

        // snapshot.v4: an index line, then the snapshot.v2 record and its tasks in gzip chunks.
        Assert.IsType<OrchestratorSerializer>(serializer);
        Assert.Equal("snapshot.v4", manifest);
        var index = JsonDocument.Parse(bytes.AsMemory(0, Array.IndexOf(bytes, (byte)'\n'))).RootElement.GetProperty("chunks");
        Assert.Equal(1 + (tasks + ChunkedSnapshots.TasksPerChunk - 1) / ChunkedSnapshots.TasksPerChunk, index.GetArrayLength());
        var back = Assert.IsType<OrchestratorSnapshotV2>(Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest));
        Assert.Equal(Encoding.UTF8.GetString(Serializer().ToBinary(snapshot)), Encoding.UTF8.GetString(Serializer().ToBinary(back)));
        Assert.Equal(42, back.EventsJournaled);
    }

    [Fact]
    public void A_snapshot_written_compressed_before_the_chunks_still_reads()
    {
        var snapshot = (OrchestratorSnapshotV2)Samples[typeof(OrchestratorSnapshotV2)];
        var v3 = JournalDatabase.Gzip(Serializer().ToBinary(snapshot));

        var back = Assert.IsType<OrchestratorSnapshotV2>(Sys.Serialization.Deserialize(v3, OrchestratorSerializer.SerializerId, "snapshot.v3"));

        Assert.Equal(Encoding.UTF8.GetString(Serializer().ToBinary(snapshot)), Encoding.UTF8.GetString(Serializer().ToBinary(back)));
    }

    [Fact]
    public void A_chunked_snapshot_that_cannot_be_read_becomes_an_unreadable_snapshot_saying_why()
    {
        var sample = (OrchestratorSnapshotV2)Samples[typeof(OrchestratorSnapshotV2)];
        var good = Serializer().ToBinary(new Source(sample));
        var newline = Array.IndexOf(good, (byte)'\n');
        var cases = new (byte[] Bytes, string Why)[]
        {
            ("no newline at all"u8.ToArray(), "no index line"),
            (good[..^5], "the index lists"),
            ([.. "{\"chunks\":[]}\n"u8], "lists no chunks"),
            ([.. good[..(newline + 1)], .. new byte[good.Length - newline - 1]], "chunk"),
            (JournalDatabase.Chunked("[1,2,3]"), "could not be converted"),
            (JournalDatabase.Chunked("null"), "chunk 0 is JSON null"),
        };
        foreach (var (bytes, why) in cases)
        {
            var read = Sys.Serialization.Deserialize(bytes, OrchestratorSerializer.SerializerId, "snapshot.v4");

            var unreadable = Assert.IsType<UnreadableSnapshot>(read);
            Assert.Equal("snapshot.v4", unreadable.Manifest);
            Assert.Contains(why, unreadable.Reason, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void A_snapshot_v1_payload_still_reads_as_v1_while_the_snapshot_it_upcasts_to_is_written_as_compressed_v2()
    {
        // The exact shape the v1 code wrote: tasks without any lifecycle field, no agents.
        var v1 = """
            {"formatVersion":1,
             "tasks":[{"taskId":"old-1","agent":"*","taskFile":"tasks/old-1.md","priority":"LOW","definedAt":"2025-03-01T09:30:15.123+02:00"}],
             "documents":[{"ownerId":"agent-a","key":"progress","json":"{\"step\":4}","version":2,"savedAt":"2025-03-01T09:31:00+02:00"}]}
            """u8.ToArray();

        var read = Sys.Serialization.Deserialize(v1, OrchestratorSerializer.SerializerId, "snapshot.v1");

        var snapshot = Assert.IsType<OrchestratorSnapshotV1>(read);
        Assert.Equal(1, snapshot.FormatVersion);
        var task = Assert.Single(snapshot.Tasks);
        Assert.Equal(("old-1", TaskPriority.Low), (task.TaskId, task.Priority));
        Assert.Null(task.DependsOn);
        Assert.Equal((2L, """{"step":4}"""), (Assert.Single(snapshot.Documents).Version, snapshot.Documents[0].Json));

        // Once loaded it is saved again as a snapshot source, which is written as v2 only.
        var source = new Source(Domain.Snapshots.Upcast(snapshot));
        var serializer = Sys.Serialization.FindSerializerFor(source);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, source);
        var bytes = serializer.ToBinary(source);

        Assert.Equal("snapshot.v4", manifest);
        using var json = JsonDocument.Parse(Serializer().ToBinary(Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest)));
        Assert.Equal(2, json.RootElement.GetProperty("formatVersion").GetInt32());
        var v2 = Assert.IsType<OrchestratorSnapshotV2>(Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest));
        Assert.Equal(("old-1", TaskState.Ready), (Assert.Single(v2.Tasks).TaskId, v2.Tasks[0].Status));
        Assert.Equal(2L, Assert.Single(v2.Documents).Version);
    }

    [Fact]
    public void A_snapshot_v1_payload_is_not_mistaken_for_v2()
    {
        var v1Bytes = Serializer().ToBinary(Samples[typeof(OrchestratorSnapshotV1)]);

        var unreadable = Assert.IsType<UnreadableSnapshot>(Serializer().FromBinary(v1Bytes, "snapshot.v2"));

        Assert.Equal("snapshot.v2", unreadable.Manifest);
    }

    [Fact]
    public void A_snapshot_v2_payload_under_the_v1_manifest_is_refused_by_its_format_version()
    {
        // The v1 record reads leniently (v2 tasks carry every field a v1 task has, unknown fields are
        // skipped), so it is the format version that stops it, when the snapshot is loaded.
        var v2Bytes = Serializer().ToBinary(Samples[typeof(OrchestratorSnapshotV2)]);

        var misread = Assert.IsType<OrchestratorSnapshotV1>(Serializer().FromBinary(v2Bytes, "snapshot.v1"));

        Assert.Equal(OrchestratorSnapshotV2.Version, misread.FormatVersion);
        var error = Assert.Throws<ArgumentException>(() => Domain.Snapshots.Upcast(misread));
        Assert.Contains("format version 2", error.Message);
    }

    private sealed record Source(OrchestratorSnapshotV2 Snapshot) : ISnapshotSource
    {
        public OrchestratorSnapshotV2 ToSnapshot() => Snapshot;
    }

    [Fact]
    public void Status_is_written_as_an_upper_case_name()
    {
        var json = Encoding.UTF8.GetString(Serializer().ToBinary(new TaskFound(OtherView)));

        Assert.Contains("\"status\":\"CLAIMED\"", json);
        Assert.Contains("\"priority\":\"LOW\"", json);
    }

    [Theory]
    [InlineData(TaskState.Failed, "FAILED")]
    [InlineData(TaskState.Dead, "DEAD")]
    [InlineData(TaskState.Pending, "PENDING")]
    [InlineData(TaskState.Cancelled, "CANCELLED")]
    public void A_task_view_status_is_written_and_read_as_its_name_only(TaskState status, string name)
    {
        var found = new TaskFound(View with { Status = status });

        var json = Encoding.UTF8.GetString(Serializer().ToBinary(found));

        Assert.Equal(status, Assert.IsType<TaskFound>(Serializer().FromBinary(Encoding.UTF8.GetBytes(json), "task-found.v1")).Task.Status);
        AssertOnlyTheNameReads(json, "status", name, (int)status, "task-found.v1");
    }

    [Theory]
    [InlineData(DefinitionOutcome.Created, "created")]
    [InlineData(DefinitionOutcome.Unchanged, "unchanged")]
    [InlineData(DefinitionOutcome.Conflict, "conflict")]
    [InlineData(DefinitionOutcome.Invalid, "invalid")]
    public void A_definition_outcome_is_written_and_read_as_its_lower_case_name_only(DefinitionOutcome outcome, string name)
    {
        var defined = new TasksDefined([new TaskDefinitionResult(0, "t-1", outcome)]);

        var json = Encoding.UTF8.GetString(Serializer().ToBinary(defined));

        Assert.Equal($$"""{"results":[{"index":0,"taskId":"t-1","outcome":"{{name}}","task":null,"existing":null,"error":null}]}""", json);
        Assert.Equal(name, ProtocolNames.Of(outcome));
        Assert.Equal(outcome, Assert.Single(Assert.IsType<TasksDefined>(Serializer().FromBinary(Encoding.UTF8.GetBytes(json), "tasks-defined.v1")).Results).Outcome);
        AssertOnlyTheNameReads(json, "outcome", name, (int)outcome, "tasks-defined.v1");
    }

    // An enum travels as its name only: the same JSON with its number, or a name it does not have, is refused.
    private void AssertOnlyTheNameReads(string json, string field, string name, int number, string manifest)
    {
        var named = $"\"{field}\":\"{name}\"";
        Assert.Contains(named, json);
        foreach (var other in new[] { $"\"{field}\":{number}", $"\"{field}\":\"ZOMBIE\"" })
            Assert.Throws<SerializationException>(() => Serializer().FromBinary(Encoding.UTF8.GetBytes(json.Replace(named, other)), manifest));
    }

    [Fact]
    public void A_batch_of_definitions_is_written_with_each_definition_as_define_task_writes_it()
    {
        var definition = (DefineTask)Samples[typeof(DefineTask)];

        var batch = Encoding.UTF8.GetString(Serializer().ToBinary(new DefineTasks([definition]) { Namespace = "team-a" }));

        Assert.Equal($$"""{"tasks":[{{Encoding.UTF8.GetString(Serializer().ToBinary(definition))}}],"namespace":"team-a"}""", batch);
    }

    [Fact]
    public void History_entries_name_both_statuses()
    {
        var json = Encoding.UTF8.GetString(Serializer().ToBinary(new TaskHistory("t-1", [Entry, OtherEntry], 3)));

        Assert.Contains("\"from\":\"CLAIMED\",\"to\":\"FAILED\"", json);
        Assert.Contains("\"from\":\"DEAD\",\"to\":\"PENDING\"", json);
    }

    [Fact]
    public void Computed_message_text_is_not_written()
    {
        var json = Encoding.UTF8.GetString(Serializer().ToBinary(new CommandRejected("taskId", "a#b", "contains '#'")));

        Assert.DoesNotContain("\"message\"", json, StringComparison.OrdinalIgnoreCase);
    }

    // ---- unreadable bytes ----------------------------------------------------------------------

    public static TheoryData<byte[]> GarbageSnapshots => new(
        [0xFF, 0xFE, 0x00, 0x42, 0x13],
        "{"u8.ToArray(),
        "null"u8.ToArray(),
        "[]"u8.ToArray(),
        "{}"u8.ToArray(),
        "not json at all"u8.ToArray(),
        """{"formatVersion":1,"tasks":[{"taskId":"t","agent":"a","taskFile":"f","priority":"URGENT","definedAt":"2025-03-01T09:00:00Z"}],"documents":[]}"""u8.ToArray(),
        """{"formatVersion":1,"tasks":null,"documents":[]}"""u8.ToArray(),
        []);

    [Theory]
    [MemberData(nameof(GarbageSnapshots))]
    public void Unreadable_snapshot_bytes_become_an_unreadable_snapshot_instead_of_throwing(byte[] garbage)
    {
        var result = Serializer().FromBinary(garbage, "snapshot.v1");

        var unreadable = Assert.IsType<UnreadableSnapshot>(result);
        Assert.Equal("snapshot.v1", unreadable.Manifest);
        Assert.False(string.IsNullOrWhiteSpace(unreadable.Reason));
    }

    [Theory]
    [MemberData(nameof(GarbageSnapshots))]
    public void Unreadable_v2_snapshot_bytes_become_an_unreadable_snapshot_too(byte[] garbage)
    {
        var unreadable = Assert.IsType<UnreadableSnapshot>(Serializer().FromBinary(garbage, "snapshot.v2"));

        Assert.Equal("snapshot.v2", unreadable.Manifest);
        Assert.False(string.IsNullOrWhiteSpace(unreadable.Reason));
    }

    [Theory]
    [InlineData("\"status\":\"CLAIMED\"", "\"status\":2")]
    [InlineData("\"status\":\"CLAIMED\"", "\"status\":\"ZOMBIE\"")]
    [InlineData("\"tasks\":[", "\"tasks\":null,\"x\":[")]
    [InlineData("\"nextClaim\":12,", "")]
    [InlineData("\"leaseDuration\":\"00:00:45.5000000\"", "\"leaseDuration\":45")]
    public void A_v2_snapshot_with_one_bad_field_becomes_an_unreadable_snapshot(string field, string damaged)
    {
        var json = Encoding.UTF8.GetString(Serializer().ToBinary(Samples[typeof(OrchestratorSnapshotV2)]));
        Assert.Contains(field, json);

        var result = Serializer().FromBinary(Encoding.UTF8.GetBytes(json.Replace(field, damaged)), "snapshot.v2");

        Assert.IsType<UnreadableSnapshot>(result);
    }

    [Fact]
    public void Unreadable_snapshot_comes_out_of_akka_serialization_too()
    {
        var result = Sys.Serialization.Deserialize([0xFF, 0x00], OrchestratorSerializer.SerializerId, "snapshot.v1");

        Assert.IsType<UnreadableSnapshot>(result);
    }

    [Theory]
    [InlineData("""{"events":[{"m":"define-task.v1","e":{"taskId":"t","agent":"a","taskFile":"f"}}]}""", "'define-task.v1', which is not an event")]
    [InlineData("""{"events":[{"m":"task-exploded.v9","e":{}}]}""", "'task-exploded.v9', which is not an event")]
    [InlineData("""{"events":[{"m":"event-batch.v1","e":{"events":[]}}]}""", "'event-batch.v1', which is not an event")]
    [InlineData("""{"events":[{"m":"agent-seen.v1","e":null}]}""", "entry 0 ('agent-seen.v1') is JSON null")]
    [InlineData("""{"events":[null]}""", "an entry is Null, not an object")]
    [InlineData("""{"items":[]}""", "expected property 'events', found 'items'")]
    [InlineData("""{"events":[{"m":"agent-seen.v1","e":{"agent":"a","at":"2026-11-27T00:00:00+00:00"}}""", "Expected depth to be zero at the end of the JSON payload")]
    [InlineData("""[1,2]""", "expected StartObject, found StartArray")]
    public void A_batch_entry_that_cannot_be_read_fails_naming_why(string json, string expected)
    {
        var error = Assert.Throws<SerializationException>(() => Serializer().FromBinary(Encoding.UTF8.GetBytes(json), "event-batch.v1"));

        Assert.Contains("Cannot read 'event-batch.v1' payload", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("""{"events":[{"m":"#","e":{}}]}""")]
    [InlineData("""{"#":[]}""")]
    public void A_batch_whose_manifest_or_property_name_is_not_UTF8_fails_as_unreadable(string json)
    {
        // Found by WireFuzzSpecs: reading such a name as a string threw InvalidOperationException,
        // which is not the SerializationException an unreadable frame or row is refused with.
        var bytes = Encoding.UTF8.GetBytes(json.Replace("#", "\u0001"));
        bytes[Array.IndexOf(bytes, (byte)1)] = 0x8B;

        var error = Assert.Throws<SerializationException>(() => Serializer().FromBinary(bytes, "event-batch.v1"));

        Assert.Contains("Cannot read 'event-batch.v1' payload", error.Message);
        Assert.Contains("UTF-8", error.Message);
    }

    [Fact]
    public void A_batch_holding_a_batch_is_refused_when_written()
    {
        var nested = new EventBatch([Samples[typeof(AgentSeen)] as AgentSeen ?? throw new InvalidOperationException(), new EventBatch([])]);

        var error = Assert.Throws<SerializationException>(() => Serializer().ToBinary(nested));

        Assert.Contains("cannot hold another batch", error.Message);
    }

    [Fact]
    public void A_batch_reads_exactly_as_its_events_do_one_by_one()
    {
        var events = Samples.Values.OfType<IOrchestratorEvent>().Where(e => e is not EventBatch).ToList();
        var serializer = Serializer();

        var back = Assert.IsType<EventBatch>(serializer.FromBinary(serializer.ToBinary(new EventBatch(events)), "event-batch.v1"));

        Assert.Equal(events.Count, back.Events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            Assert.IsType(events[i].GetType(), back.Events[i]);
            Assert.Equal(Encoding.UTF8.GetString(serializer.ToBinary(events[i])), Encoding.UTF8.GetString(serializer.ToBinary(back.Events[i])));
        }
    }

    [Fact]
    public void Snapshot_of_an_unknown_format_version_becomes_an_unreadable_snapshot()
    {
        // Even bytes that would read fine as v1: a later format must not be mistaken for v1.
        var bytes = Serializer().ToBinary(Samples[typeof(OrchestratorSnapshotV1)]);

        var result = Serializer().FromBinary(bytes, "snapshot.v99");

        var unreadable = Assert.IsType<UnreadableSnapshot>(result);
        Assert.Equal("snapshot.v99", unreadable.Manifest);
        Assert.Contains("snapshot.v99", unreadable.Reason);
    }

    [Fact]
    public void A_compressed_snapshot_that_cannot_be_read_becomes_an_unreadable_snapshot()
    {
        // Plain v2 JSON under the compressed manifest, cut-off gzip, and gzip of something else.
        var plain = Serializer().ToBinary(Samples[typeof(OrchestratorSnapshotV2)]);
        var gzip = JournalDatabase.Gzip(plain);
        foreach (var bytes in new[] { plain, gzip[..(gzip.Length / 2)], JournalDatabase.Gzip("[1,2,3]"u8.ToArray()) })
        {
            var read = Sys.Serialization.Deserialize(bytes, OrchestratorSerializer.SerializerId, "snapshot.v3");

            var unreadable = Assert.IsType<UnreadableSnapshot>(read);
            Assert.Equal("snapshot.v3", unreadable.Manifest);
            Assert.False(string.IsNullOrWhiteSpace(unreadable.Reason));
        }
    }

    [Theory]
    [InlineData("snapshot.v5")]
    [InlineData("snapshot.v99")]
    public void A_snapshot_under_a_later_manifest_becomes_an_unreadable_snapshot_even_with_v2_bytes(string manifest)
    {
        var bytes = Serializer().ToBinary(Samples[typeof(OrchestratorSnapshotV2)]);

        var viaAkka = Sys.Serialization.Deserialize(bytes, OrchestratorSerializer.SerializerId, manifest);

        var unreadable = Assert.IsType<UnreadableSnapshot>(viaAkka);
        Assert.Equal(manifest, unreadable.Manifest);
        Assert.Contains(manifest, unreadable.Reason);
    }

    [Theory]
    [InlineData("task-defined.v2")]
    [InlineData("define-task.v99")]
    [InlineData("Orchestrator.Actors.Protocol.Events.TaskDefined")]
    [InlineData("")]
    public void Unknown_manifest_throws_a_serialization_exception_naming_it(string manifest)
    {
        var bytes = Serializer().ToBinary(Defined);

        var error = Assert.Throws<SerializationException>(() => Serializer().FromBinary(bytes, manifest));

        Assert.Contains($"'{manifest}'", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x00 })]
    [InlineData(new byte[] { (byte)'{' })]
    [InlineData(new byte[] { (byte)'n', (byte)'u', (byte)'l', (byte)'l' })]
    [InlineData(new byte[] { (byte)'{', (byte)'}' })]
    public void Unreadable_event_bytes_throw_a_serialization_exception(byte[] garbage)
    {
        var error = Assert.Throws<SerializationException>(() => Serializer().FromBinary(garbage, "task-defined.v1"));

        Assert.Contains("task-defined.v1", error.Message);
    }

    [Fact]
    public void Event_with_an_unknown_priority_name_throws_a_serialization_exception()
    {
        var bytes = """{"taskId":"t","agent":"a","taskFile":"f","priority":"URGENT","definedAt":"2025-03-01T09:00:00Z"}"""u8.ToArray();

        Assert.Throws<SerializationException>(() => Serializer().FromBinary(bytes, "task-defined.v1"));
    }

    [Fact]
    public void Message_type_without_a_manifest_cannot_be_serialized()
    {
        // UnreadableSnapshot is bound by its marker interface but deliberately never serialized.
        var unreadable = new UnreadableSnapshot("snapshot.v1", "corrupt");

        var error = Assert.Throws<SerializationException>(() => Serializer().ToBinary(unreadable));

        Assert.Contains(nameof(UnreadableSnapshot), error.Message);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private SerializerWithStringManifest Serializer() =>
        Assert.IsType<OrchestratorSerializer>(Sys.Serialization.FindSerializerForType(typeof(IOrchestratorMessage)));

    /// <summary>
    /// Records holding lists or dictionaries compare them by reference, and DateTimeOffset equality
    /// ignores the offset (which the journal should keep), so messages are compared by content:
    /// property by property, lists item by item, dictionaries key by key, times with their offsets.
    /// </summary>
    private static void AssertSameMessage(object expected, object? actual)
    {
        Assert.NotNull(actual);
        Assert.IsType(expected.GetType(), actual);
        AssertSameContent(expected, actual, expected.GetType().Name);
    }

    private static void AssertSameContent(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }

        switch (expected)
        {
            case DateTimeOffset time:
                var actualTime = Assert.IsType<DateTimeOffset>(actual);
                Assert.True(time == actualTime && time.Offset == actualTime.Offset, $"{path}: expected {time:O}, got {actualTime:O}");
                break;
            case string or ValueType:
                Assert.True(expected.GetType() == actual.GetType() && expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
                break;
            case IDictionary dictionary:
                var actualDictionary = Assert.IsAssignableFrom<IDictionary>(actual);
                Assert.True(dictionary.Count == actualDictionary.Count, $"{path}: expected {dictionary.Count} entries, got {actualDictionary.Count}");
                foreach (DictionaryEntry entry in dictionary)
                {
                    Assert.True(actualDictionary.Contains(entry.Key), $"{path}: key '{entry.Key}' is missing");
                    AssertSameContent(entry.Value, actualDictionary[entry.Key], $"{path}[{entry.Key}]");
                }
                break;
            case IEnumerable items:
                var expectedItems = items.Cast<object?>().ToList();
                var actualItems = Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object?>().ToList();
                Assert.True(expectedItems.Count == actualItems.Count, $"{path}: expected {expectedItems.Count} items, got {actualItems.Count}");
                for (var i = 0; i < expectedItems.Count; i++)
                    AssertSameContent(expectedItems[i], actualItems[i], $"{path}[{i}]");
                break;
            default:
                Assert.Equal(expected.GetType(), actual.GetType());
                foreach (var property in DataProperties(expected.GetType()))
                    AssertSameContent(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
                break;
        }
    }

    /// <summary>The fields of a record on the wire: its public init properties (computed ones such as Message, and local ones the JSON never carries, are left out).</summary>
    private static IEnumerable<PropertyInfo> DataProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0
                        && p.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is not { Condition: System.Text.Json.Serialization.JsonIgnoreCondition.Always });

    /// <summary>
    /// The paths of the fields of <paramref name="value"/> (and of the records it holds) that hold their
    /// default: null, empty text or list, zero, false. A field left at its default could be dropped by
    /// the serializer on the way out and back in without a round trip noticing. Enums are exempt:
    /// their zero (CRITICAL, PENDING) is a value like any other.
    /// </summary>
    private static IEnumerable<string> DefaultFields(object value, string path)
    {
        foreach (var property in DataProperties(value.GetType()))
        {
            var field = property.GetValue(value);
            var where = $"{path}.{property.Name}";
            switch (field)
            {
                case null:
                case string { Length: 0 }:
                    yield return where;
                    break;
                case string or Enum:
                    break;
                case ValueType when field.Equals(Activator.CreateInstance(field.GetType())):
                    yield return where;
                    break;
                case ValueType:
                    break;
                case IEnumerable items:
                    var list = items.Cast<object?>().ToList();
                    if (list.Count == 0) yield return where;
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is { } item and not (string or ValueType))
                            foreach (var inner in DefaultFields(item, $"{where}[{i}]")) yield return inner;
                    }
                    break;
                default:
                    foreach (var inner in DefaultFields(field, where)) yield return inner;
                    break;
            }
        }
    }
}
