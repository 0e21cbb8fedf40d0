using System.Text.Json.Serialization;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Snapshots;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.Protocol.Serialization;

/// <summary>Source-generated System.Text.Json metadata for every protocol type (no reflection at run time).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(DefineTask))]
[JsonSerializable(typeof(SaveState))]
[JsonSerializable(typeof(Shutdown))]
[JsonSerializable(typeof(GetTask))]
[JsonSerializable(typeof(ListTasks))]
[JsonSerializable(typeof(GetStats))]
[JsonSerializable(typeof(GetState))]
[JsonSerializable(typeof(TaskDefinitionAccepted))]
[JsonSerializable(typeof(TaskDefinitionConflict))]
[JsonSerializable(typeof(CommandRejected))]
[JsonSerializable(typeof(StateSaved))]
[JsonSerializable(typeof(StateVersionConflict))]
[JsonSerializable(typeof(StateDocument))]
[JsonSerializable(typeof(StateNotFound))]
[JsonSerializable(typeof(TaskFound))]
[JsonSerializable(typeof(TaskNotFound))]
[JsonSerializable(typeof(TaskPage))]
[JsonSerializable(typeof(StatsReport))]
[JsonSerializable(typeof(OrchestratorUnavailable))]
[JsonSerializable(typeof(ShutdownComplete))]
[JsonSerializable(typeof(TaskDefined))]
[JsonSerializable(typeof(StateSavedEvent))]
[JsonSerializable(typeof(EventsDeleted))]
[JsonSerializable(typeof(OrchestratorSnapshotV1))]
[JsonSerializable(typeof(ClaimTask))]
[JsonSerializable(typeof(Heartbeat))]
[JsonSerializable(typeof(CompleteTask))]
[JsonSerializable(typeof(FailTask))]
[JsonSerializable(typeof(CancelTask))]
[JsonSerializable(typeof(RequeueDeadTask))]
[JsonSerializable(typeof(RegisterAgent))]
[JsonSerializable(typeof(GetTaskHistory))]
[JsonSerializable(typeof(ListAgents))]
[JsonSerializable(typeof(TaskAssigned))]
[JsonSerializable(typeof(NoTaskReady))]
[JsonSerializable(typeof(Replies.LeaseRenewed), TypeInfoPropertyName = "LeaseRenewedReply")]
[JsonSerializable(typeof(TaskUpdated))]
[JsonSerializable(typeof(TransitionRejected))]
[JsonSerializable(typeof(StaleClaim))]
[JsonSerializable(typeof(AgentRegistrationAccepted))]
[JsonSerializable(typeof(TaskHistory))]
[JsonSerializable(typeof(AgentList))]
[JsonSerializable(typeof(SubscribeToTasks))]
[JsonSerializable(typeof(UnsubscribeFromTasks))]
[JsonSerializable(typeof(SubscribedToTasks))]
[JsonSerializable(typeof(UnsubscribedFromTasks))]
[JsonSerializable(typeof(TaskTransitioned))]
[JsonSerializable(typeof(SubscribeToDocuments))]
[JsonSerializable(typeof(SubscribedToDocuments))]
[JsonSerializable(typeof(StateChanged))]
[JsonSerializable(typeof(TaskClaimed))]
[JsonSerializable(typeof(Events.LeaseRenewed), TypeInfoPropertyName = "LeaseRenewedEvent")]
[JsonSerializable(typeof(TaskCompleted))]
[JsonSerializable(typeof(TaskFailed))]
[JsonSerializable(typeof(LeaseExpired))]
[JsonSerializable(typeof(RetryDue))]
[JsonSerializable(typeof(DependenciesMet))]
[JsonSerializable(typeof(TaskKilled))]
[JsonSerializable(typeof(TaskCancelled))]
[JsonSerializable(typeof(TaskRequeued))]
[JsonSerializable(typeof(AgentRegistered))]
[JsonSerializable(typeof(AgentSeen))]
[JsonSerializable(typeof(OrchestratorSnapshotV2))]
[JsonSerializable(typeof(IReadOnlyList<TaskSnapshotV2>))]
[JsonSerializable(typeof(SnapshotChunkIndex))]
[JsonSerializable(typeof(GetClusterStatus))]
[JsonSerializable(typeof(ClusterStatus))]
[JsonSerializable(typeof(GetLocalShards))]
[JsonSerializable(typeof(LocalShards))]
[JsonSerializable(typeof(DefineTasks))]
[JsonSerializable(typeof(TasksDefined))]
public sealed partial class OrchestratorJsonContext : JsonSerializerContext;
