using System.Text.Json.Serialization;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Snapshots;

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
public sealed partial class OrchestratorJsonContext : JsonSerializerContext;
