using System.Buffers;
using System.Collections.Frozen;
using System.IO.Compression;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Snapshots;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.Protocol.Serialization;

/// <summary>
/// Serializes every <see cref="IOrchestratorMessage"/> (commands, replies, events, snapshots) as
/// camelCase JSON with short, frozen, versioned manifests. CLR type names never reach the journal,
/// so a rename or a move never breaks an old journal.
/// </summary>
public sealed class OrchestratorSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer id, registered in <c>hocon.conf</c> (0-100 are Akka's own).</summary>
    public const int SerializerId = OrchestratorNames.SerializerId;

    private static readonly OrchestratorJsonContext Json = OrchestratorJsonContext.Default;

    // The manifests are part of the persisted format: never change one, add a new version instead.
    private static readonly (string Manifest, Type Type, JsonTypeInfo Info)[] Registrations =
    [
        ("define-task.v1", typeof(DefineTask), Json.DefineTask),
        ("save-state.v1", typeof(SaveState), Json.SaveState),
        ("shutdown.v1", typeof(Shutdown), Json.Shutdown),
        ("get-task.v1", typeof(GetTask), Json.GetTask),
        ("list-tasks.v1", typeof(ListTasks), Json.ListTasks),
        ("get-stats.v1", typeof(GetStats), Json.GetStats),
        ("get-state.v1", typeof(GetState), Json.GetState),
        ("task-definition-accepted.v1", typeof(TaskDefinitionAccepted), Json.TaskDefinitionAccepted),
        ("task-definition-conflict.v1", typeof(TaskDefinitionConflict), Json.TaskDefinitionConflict),
        ("command-rejected.v1", typeof(CommandRejected), Json.CommandRejected),
        ("state-saved-reply.v1", typeof(StateSaved), Json.StateSaved),
        ("state-version-conflict.v1", typeof(StateVersionConflict), Json.StateVersionConflict),
        ("state-document.v1", typeof(StateDocument), Json.StateDocument),
        ("state-not-found.v1", typeof(StateNotFound), Json.StateNotFound),
        ("task-found.v1", typeof(TaskFound), Json.TaskFound),
        ("task-not-found.v1", typeof(TaskNotFound), Json.TaskNotFound),
        ("task-page.v1", typeof(TaskPage), Json.TaskPage),
        ("stats-report.v1", typeof(StatsReport), Json.StatsReport),
        ("unavailable.v1", typeof(OrchestratorUnavailable), Json.OrchestratorUnavailable),
        ("shutdown-complete.v1", typeof(ShutdownComplete), Json.ShutdownComplete),
        ("task-defined.v1", typeof(TaskDefined), Json.TaskDefined),
        ("state-saved.v1", typeof(StateSavedEvent), Json.StateSavedEvent),
        ("events-deleted.v1", typeof(EventsDeleted), Json.EventsDeleted),
        ("claim-task.v1", typeof(ClaimTask), Json.ClaimTask),
        ("heartbeat.v1", typeof(Heartbeat), Json.Heartbeat),
        ("complete-task.v1", typeof(CompleteTask), Json.CompleteTask),
        ("fail-task.v1", typeof(FailTask), Json.FailTask),
        ("cancel-task.v1", typeof(CancelTask), Json.CancelTask),
        ("requeue-dead-task.v1", typeof(RequeueDeadTask), Json.RequeueDeadTask),
        ("register-agent.v1", typeof(RegisterAgent), Json.RegisterAgent),
        ("get-task-history.v1", typeof(GetTaskHistory), Json.GetTaskHistory),
        ("list-agents.v1", typeof(ListAgents), Json.ListAgents),
        ("task-assigned.v1", typeof(TaskAssigned), Json.TaskAssigned),
        ("no-task-ready.v1", typeof(NoTaskReady), Json.NoTaskReady),
        ("lease-renewed-reply.v1", typeof(Replies.LeaseRenewed), Json.LeaseRenewedReply),
        ("task-updated.v1", typeof(TaskUpdated), Json.TaskUpdated),
        ("transition-rejected.v1", typeof(TransitionRejected), Json.TransitionRejected),
        ("stale-claim.v1", typeof(StaleClaim), Json.StaleClaim),
        ("agent-registration-accepted.v1", typeof(AgentRegistrationAccepted), Json.AgentRegistrationAccepted),
        ("task-history.v1", typeof(TaskHistory), Json.TaskHistory),
        ("agent-list.v1", typeof(AgentList), Json.AgentList),
        ("subscribe-to-tasks.v1", typeof(SubscribeToTasks), Json.SubscribeToTasks),
        ("unsubscribe-from-tasks.v1", typeof(UnsubscribeFromTasks), Json.UnsubscribeFromTasks),
        ("subscribed-to-tasks.v1", typeof(SubscribedToTasks), Json.SubscribedToTasks),
        ("unsubscribed-from-tasks.v1", typeof(UnsubscribedFromTasks), Json.UnsubscribedFromTasks),
        ("task-transitioned.v1", typeof(TaskTransitioned), Json.TaskTransitioned),
        ("subscribe-to-documents.v1", typeof(SubscribeToDocuments), Json.SubscribeToDocuments),
        ("subscribed-to-documents.v1", typeof(SubscribedToDocuments), Json.SubscribedToDocuments),
        ("state-changed.v1", typeof(StateChanged), Json.StateChanged),
        ("subscription-ended.v1", typeof(SubscriptionEnded), Json.SubscriptionEnded),
        ("task-claimed.v1", typeof(TaskClaimed), Json.TaskClaimed),
        ("lease-renewed.v1", typeof(Events.LeaseRenewed), Json.LeaseRenewedEvent),
        ("task-completed.v1", typeof(TaskCompleted), Json.TaskCompleted),
        ("task-failed.v1", typeof(TaskFailed), Json.TaskFailed),
        ("lease-expired.v1", typeof(LeaseExpired), Json.LeaseExpired),
        ("retry-due.v1", typeof(RetryDue), Json.RetryDue),
        ("dependencies-met.v1", typeof(DependenciesMet), Json.DependenciesMet),
        ("task-killed.v1", typeof(TaskKilled), Json.TaskKilled),
        ("task-cancelled.v1", typeof(TaskCancelled), Json.TaskCancelled),
        ("task-requeued.v1", typeof(TaskRequeued), Json.TaskRequeued),
        ("agent-registered.v1", typeof(AgentRegistered), Json.AgentRegistered),
        ("agent-seen.v1", typeof(AgentSeen), Json.AgentSeen),
        ("get-cluster-status.v1", typeof(GetClusterStatus), Json.GetClusterStatus),
        ("cluster-status.v1", typeof(ClusterStatus), Json.ClusterStatus),
        ("get-local-shards.v1", typeof(GetLocalShards), Json.GetLocalShards),
        ("local-shards.v1", typeof(LocalShards), Json.LocalShards),
        ("define-tasks.v1", typeof(DefineTasks), Json.DefineTasks),
        ("tasks-defined.v1", typeof(TasksDefined), Json.TasksDefined),
        ("get-activity.v1", typeof(GetActivity), Json.GetActivity),
        ("activity-report.v1", typeof(ActivityReport), Json.ActivityReport),
        ("request-keyed.v1", typeof(RequestKeyed), Json.RequestKeyed),
        ("task-due.v1", typeof(TaskDue), Json.TaskDue),
        ("request-input.v1", typeof(RequestInput), Json.RequestInput),
        ("provide-input.v1", typeof(ProvideInput), Json.ProvideInput),
        ("input-requested.v1", typeof(InputRequested), Json.InputRequested),
        ("input-provided.v1", typeof(InputProvided), Json.InputProvided),
        ("input-timed-out.v1", typeof(InputTimedOut), Json.InputTimedOut),
        ("cancel-tasks.v1", typeof(CancelTasks), Json.CancelTasks),
        ("requeue-tasks.v1", typeof(RequeueTasks), Json.RequeueTasks),
        ("tasks-changed.v1", typeof(TasksChanged), Json.TasksChanged),
        ("tasks-cancelled.v1", typeof(TasksCancelled), Json.TasksCancelled),
        ("tasks-requeued.v1", typeof(TasksRequeued), Json.TasksRequeued),
        ("set-claim-limits.v1", typeof(SetClaimLimits), Json.SetClaimLimits),
        ("claim-limits-set.v1", typeof(ClaimLimitsSet), Json.ClaimLimitsSet),
        ("claim-limits-changed.v1", typeof(ClaimLimitsChanged), Json.ClaimLimitsChanged),
        ("define-schedule.v1", typeof(DefineSchedule), Json.DefineSchedule),
        ("remove-schedule.v1", typeof(RemoveSchedule), Json.RemoveSchedule),
        ("list-schedules.v1", typeof(ListSchedules), Json.ListSchedules),
        ("schedule-accepted.v1", typeof(ScheduleAccepted), Json.ScheduleAccepted),
        ("schedule-removal.v1", typeof(ScheduleRemoved), Json.ScheduleRemoved),
        ("schedule-not-found.v1", typeof(ScheduleNotFound), Json.ScheduleNotFound),
        ("schedule-list.v1", typeof(ScheduleList), Json.ScheduleList),
        ("schedule-defined.v1", typeof(ScheduleDefined), Json.ScheduleDefined),
        ("schedule-removed.v1", typeof(ScheduleRemovedEvent), Json.ScheduleRemovedEvent),
        ("schedule-fired.v1", typeof(ScheduleFired), Json.ScheduleFired),
        ("purge-tasks.v1", typeof(PurgeTasks), Json.PurgeTasks),
        ("set-retention.v1", typeof(SetRetention), Json.SetRetention),
        ("retention-set.v1", typeof(RetentionSet), Json.RetentionSet),
        ("tasks-purged.v1", typeof(TasksPurged), Json.TasksPurged),
        ("retention-changed.v1", typeof(RetentionChanged), Json.RetentionChanged),
        ("idempotency-key-reused.v1", typeof(IdempotencyKeyReused), Json.IdempotencyKeyReused),
        // Read only: snapshots written before the lifecycle, upcast when loaded.
        ("snapshot.v1", typeof(OrchestratorSnapshotV1), Json.OrchestratorSnapshotV1),
        (SnapshotManifest, typeof(OrchestratorSnapshotV2), Json.OrchestratorSnapshotV2),
    ];

    private const string SnapshotManifest = "snapshot.v2";

    /// <summary>
    /// Read only: the <c>snapshot.v2</c> JSON as one gzip stream, the manifest snapshots were written
    /// under before <see cref="ChunkedSnapshotManifest"/>.
    /// </summary>
    public const string CompressedSnapshotManifest = "snapshot.v3";

    /// <summary>
    /// The manifest snapshots are written under: the <c>snapshot.v2</c> JSON in gzip chunks that are
    /// read in parallel (<see cref="ChunkedSnapshots"/>). <c>snapshot.v3</c> and <c>snapshot.v2</c> rows still load.
    /// </summary>
    public const string ChunkedSnapshotManifest = "snapshot.v4";
    private const string BatchManifest = "event-batch.v1";

    private static readonly FrozenDictionary<Type, (string Manifest, JsonTypeInfo Info)> ByType =
        Registrations.ToFrozenDictionary(r => r.Type, r => (r.Manifest, r.Info));

    private static readonly FrozenDictionary<string, JsonTypeInfo> ByManifest =
        Registrations.ToFrozenDictionary(r => r.Manifest, r => r.Info);

    private static readonly FrozenDictionary<string, JsonTypeInfo> EventsByManifest =
        Registrations.Where(r => typeof(IOrchestratorEvent).IsAssignableFrom(r.Type)).ToFrozenDictionary(r => r.Manifest, r => r.Info);

    /// <summary>Every registered manifest and its type (for tests and documentation).</summary>
    public static IReadOnlyDictionary<string, Type> Manifests { get; } =
        Registrations.Append((BatchManifest, typeof(EventBatch), null!)).ToFrozenDictionary(r => r.Manifest, r => r.Type);

    /// <summary>Created by Akka from the <c>akka.actor.serializers</c> section.</summary>
    public OrchestratorSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        ISnapshotSource => ChunkedSnapshotManifest,
        EventBatch => BatchManifest,
        _ => Lookup(o).Manifest,
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj switch
    {
        ISnapshotSource source => Measured(ChunkedSnapshots.Write(source.ToSnapshot())),
        EventBatch batch => WriteBatch(batch),
        _ => JsonSerializer.SerializeToUtf8Bytes(obj, Lookup(obj).Info),
    };

    private static byte[] Measured(byte[] snapshot)
    {
        Telemetry.OrchestratorMeter.SnapshotSize.Record(snapshot.LongLength, new KeyValuePair<string, object?>("orchestrator.snapshot.format", ChunkedSnapshotManifest));
        return snapshot;
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest == BatchManifest) return ReadBatch(bytes);
        if (manifest == ChunkedSnapshotManifest) return ChunkedSnapshots.Read(bytes, manifest);
        if (manifest == CompressedSnapshotManifest) return ReadCompressedSnapshot(bytes);
        if (!ByManifest.TryGetValue(manifest, out var info))
        {
            if (IsSnapshotManifest(manifest))
                return new UnreadableSnapshot(manifest, $"unknown snapshot format '{manifest}'");
            throw new SerializationException(
                $"Unknown orchestrator manifest '{manifest}': written by a newer protocol than v{ProtocolVersion.Current}?");
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, info)
                   ?? throw new SerializationException($"'{manifest}' payload is JSON null");
        }
        catch (Exception ex) when (ex is JsonException or SerializationException && IsSnapshotManifest(manifest))
        {
            // A snapshot that cannot be read must not keep the state manager down: hand it over as
            // unreadable, so that recovery falls back to an older snapshot or to the events.
            return new UnreadableSnapshot(manifest, ex.Message);
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"Cannot read '{manifest}' payload: {ex.Message}", ex);
        }
    }

    private static object ReadCompressedSnapshot(byte[] bytes)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress);
            return JsonSerializer.Deserialize(gzip, Json.OrchestratorSnapshotV2)
                   ?? (object)new UnreadableSnapshot(CompressedSnapshotManifest, "the payload is JSON null");
        }
        catch (Exception ex) when (ChunkedSnapshots.IsDamage(ex))
        {
            return new UnreadableSnapshot(CompressedSnapshotManifest, ex.Message);
        }
    }

    // {"events":[{"m":"task-defined.v1","e":{...}}, ...]}: each event under its own manifest, so a
    // batch reads exactly as its events would one by one.
    private static byte[] WriteBatch(EventBatch batch)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * Math.Max(1, batch.Events.Count));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events");
            foreach (var e in batch.Events)
            {
                if (e is EventBatch) throw new SerializationException("an event batch cannot hold another batch");
                var (manifest, info) = Lookup(e);
                writer.WriteStartObject();
                writer.WriteString("m", manifest);
                writer.WritePropertyName("e");
                JsonSerializer.Serialize(writer, e, info);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static EventBatch ReadBatch(byte[] bytes)
    {
        var reader = new Utf8JsonReader(bytes);
        var events = new List<IOrchestratorEvent>();
        try
        {
            Expect(ref reader, JsonTokenType.StartObject);
            ExpectProperty(ref reader, "events");
            Expect(ref reader, JsonTokenType.StartArray);
            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject) throw Malformed($"an entry is {reader.TokenType}, not an object");
                ExpectProperty(ref reader, "m");
                Expect(ref reader, JsonTokenType.String);
                var manifest = reader.GetString()!;
                if (!EventsByManifest.TryGetValue(manifest, out var info))
                    throw Malformed($"entry {events.Count} has manifest '{manifest}', which is not an event this build knows");
                ExpectProperty(ref reader, "e");
                Next(ref reader);
                var e = JsonSerializer.Deserialize(ref reader, info) as IOrchestratorEvent
                        ?? throw Malformed($"entry {events.Count} ('{manifest}') is JSON null");
                events.Add(e);
                Expect(ref reader, JsonTokenType.EndObject);
            }
            Expect(ref reader, JsonTokenType.EndObject);
        }
        // A manifest or property name that is not UTF-8 cannot be read as a string: InvalidOperationException.
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw Malformed(ex.Message);
        }
        return new EventBatch(events);

        // The reader sees the whole payload, so a truncated one throws a JsonException (caught above).
        static JsonTokenType Next(ref Utf8JsonReader reader) =>
            reader.Read() ? reader.TokenType : throw Malformed("it ends too early");

        static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
        {
            if (Next(ref reader) != type) throw Malformed($"expected {type}, found {reader.TokenType}");
        }

        static void ExpectProperty(ref Utf8JsonReader reader, string name)
        {
            Expect(ref reader, JsonTokenType.PropertyName);
            if (!reader.ValueTextEquals(name)) throw Malformed($"expected property '{name}', found '{reader.GetString()}'");
        }

        static SerializationException Malformed(string why) => new($"Cannot read '{BatchManifest}' payload: {why}");
    }

    private static bool IsSnapshotManifest(string manifest) => manifest.StartsWith("snapshot.", StringComparison.Ordinal);

    private static (string Manifest, JsonTypeInfo Info) Lookup(object o) =>
        ByType.TryGetValue(o.GetType(), out var registration)
            ? registration
            : throw new SerializationException(
                $"{o.GetType().FullName} has no orchestrator manifest; register it in {nameof(OrchestratorSerializer)}");
}
