using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Server.Http;

namespace Orchestrator.Server.Json;

/// <summary>
/// Source-generated JSON metadata for what the doors read and write. Request bodies are read
/// strictly with these options: names as written (camelCase), no unknown or repeated fields, no
/// numbers in strings.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNameCaseInsensitive = false,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(TaskShape))]
[JsonSerializable(typeof(TaskDetailShape))]
[JsonSerializable(typeof(ClaimedTaskShape))]
[JsonSerializable(typeof(TaskListShape))]
[JsonSerializable(typeof(ResetShape))]
[JsonSerializable(typeof(SubscriptionEndedShape))]
[JsonSerializable(typeof(DigestShape))]
[JsonSerializable(typeof(TaskHistory))]
[JsonSerializable(typeof(LeaseRenewed))]
[JsonSerializable(typeof(StateSaved))]
[JsonSerializable(typeof(StatsReport))]
[JsonSerializable(typeof(ActivityReport))]
[JsonSerializable(typeof(AgentListShape))]
[JsonSerializable(typeof(AgentView))]
[JsonSerializable(typeof(ClusterStatus))]
[JsonSerializable(typeof(TaskTransitioned))]
[JsonSerializable(typeof(TaskState))]
[JsonSerializable(typeof(TaskPriority))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(DefineTaskBody))]
[JsonSerializable(typeof(DefineTasksBody))]
[JsonSerializable(typeof(BatchShape))]
[JsonSerializable(typeof(DefinedShape))]
[JsonSerializable(typeof(ClaimShape))]
[JsonSerializable(typeof(StateShape))]
[JsonSerializable(typeof(ClaimBody))]
[JsonSerializable(typeof(HeartbeatBody))]
[JsonSerializable(typeof(CompleteBody))]
[JsonSerializable(typeof(FailBody))]
[JsonSerializable(typeof(RequestInputBody))]
[JsonSerializable(typeof(ProvideInputBody))]
[JsonSerializable(typeof(BulkBody))]
[JsonSerializable(typeof(ClaimLimitsBody))]
[JsonSerializable(typeof(ScheduleBody))]
[JsonSerializable(typeof(PurgeBody))]
[JsonSerializable(typeof(RetentionBody))]
[JsonSerializable(typeof(RetentionSet))]
[JsonSerializable(typeof(ScheduleAcceptedShape))]
[JsonSerializable(typeof(ScheduleListShape))]
[JsonSerializable(typeof(ScheduleRemoved))]
[JsonSerializable(typeof(ClaimLimits))]
[JsonSerializable(typeof(TasksChanged))]
[JsonSerializable(typeof(CancelBody))]
[JsonSerializable(typeof(RequeueBody))]
[JsonSerializable(typeof(RegisterAgentBody))]
public sealed partial class ServerJson : JsonSerializerContext;
