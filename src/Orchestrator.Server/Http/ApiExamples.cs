using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Http;

/// <summary>
/// The examples of the OpenAPI document: typed instances of the bodies and answers, serialized as
/// the routes serialize them, so that an example cannot drift from the shape it illustrates.
/// </summary>
internal static class ApiExamples
{
    private static readonly DateTimeOffset DefinedAt = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ClaimedAt = DefinedAt.AddMinutes(2);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly JsonElement Payload = JsonDocument.Parse("""{"target":"linux"}""").RootElement;

    private static readonly TaskView Ready = new("build-1", "builder", "tasks/build.md", TaskPriority.High, TaskState.Ready, DefinedAt,
        DependsOn: ["plan-1"], MaxAttempts: 3, UpdatedAt: DefinedAt) { Tags = ["team:platform", "os=linux"] };

    private static readonly TaskAssigned Assigned = new(
        Ready with
        {
            Status = TaskState.Claimed,
            Attempts = 1,
            Claim = new ClaimInfo("claim-7", "builder", 1, ClaimedAt, Lease, ClaimedAt + Lease),
            UpdatedAt = ClaimedAt,
        },
        "claim-7", ClaimedAt + Lease, Payload.GetRawText());

    // The domain's own refusal, so the example's wording is the server's.
    private static readonly CommandRejected BadPriority = Validation.Priority("urgent", out _)!;

    private static readonly Dictionary<Type, JsonNode?> ByType = new()
    {
        [typeof(DefineTaskBody)] = Node(new DefineTaskBody("build-1", "builder", "tasks/build.md", "HIGH", ["plan-1"], 3, Payload, Tags: ["team:platform", "os=linux"]), ServerJson.Default.DefineTaskBody),
        [typeof(DefineTasksBody)] = Node(new DefineTasksBody([
            new DefineTaskBody("build-1", "builder", "tasks/build.md", "HIGH"),
            new DefineTaskBody("test-1", "*", "tasks/test.md", DependsOn: ["build-1"], NotBefore: DefinedAt.AddHours(12)),
        ]), ServerJson.Default.DefineTasksBody),
        [typeof(BatchShape)] = Node(Shapes.Batch(new TasksDefined([
            new TaskDefinitionResult(0, "build-1", DefinitionOutcome.Created, Task: Ready with { DependsOn = [] }),
            new TaskDefinitionResult(1, "test-1", DefinitionOutcome.Invalid, Error: BadPriority),
        ])), ServerJson.Default.BatchShape),
        [typeof(TaskShape)] = Node(Shapes.Task(Ready), ServerJson.Default.TaskShape),
        [typeof(ClaimedTaskShape)] = Node(Shapes.Claimed(Assigned), ServerJson.Default.ClaimedTaskShape),
        [typeof(ClaimBody)] = Node(new ClaimBody("builder", "30s"), ServerJson.Default.ClaimBody),
        [typeof(HeartbeatBody)] = Node(new HeartbeatBody("builder", "claim-7", "2m"), ServerJson.Default.HeartbeatBody),
        [typeof(CompleteBody)] = Node(new CompleteBody("builder", "claim-7", JsonDocument.Parse("""{"artifact":"build-1.tar.gz"}""").RootElement), ServerJson.Default.CompleteBody),
        [typeof(FailBody)] = Node(new FailBody("builder", "claim-7", "the compiler ran out of memory"), ServerJson.Default.FailBody),
        [typeof(ScheduleBody)] = Node(new ScheduleBody("*", "tasks/nightly-report.md", Cron: "0 2 * * *", TimeZone: "Europe/Berlin", CatchUp: "one",
            Priority: "HIGH", Tags: ["team:reports"]), ServerJson.Default.ScheduleBody),
        [typeof(PurgeBody)] = Node(new PurgeBody(Status: "COMPLETED", Tag: "team:reports", FinishedFor: "7d", By: "ops", Limit: 500), ServerJson.Default.PurgeBody),
        [typeof(RetentionBody)] = Node(new RetentionBody("30d", "ops"), ServerJson.Default.RetentionBody),
        [typeof(ClaimLimitsBody)] = Node(new ClaimLimitsBody(50, 4, new Dictionary<string, int> { ["tenant=acme"] = 10 }, "ops", "tenant=", new Dictionary<string, double> { ["model=gpt"] = 2.5 }), ServerJson.Default.ClaimLimitsBody),
        [typeof(BulkBody)] = Node(new BulkBody(Status: "READY", Tag: "team:platform", Reason: "the release was called off", By: "ops", Limit: 500), ServerJson.Default.BulkBody),
        [typeof(RequestInputBody)] = Node(new RequestInputBody("builder", "claim-7", "Build for arm64 as well?", "1h"), ServerJson.Default.RequestInputBody),
        [typeof(ProvideInputBody)] = Node(new ProvideInputBody(JsonDocument.Parse("""{"arm64":true}""").RootElement, "alice"), ServerJson.Default.ProvideInputBody),
        [typeof(CancelBody)] = Node(new CancelBody("superseded by build-2", "planner"), ServerJson.Default.CancelBody),
        [typeof(RequeueBody)] = Node(new RequeueBody("operator"), ServerJson.Default.RequeueBody),
        [typeof(RegisterAgentBody)] = Node(new RegisterAgentBody("builder", ["linux", "gpu"]), ServerJson.Default.RegisterAgentBody),
        [typeof(ProblemDetails)] = Node(Problems.Rejected(BadPriority), ProblemJson.Default.ProblemDetails),
    };

    /// <summary>The types that have an example (for the specs).</summary>
    public static IReadOnlyCollection<Type> Types => ByType.Keys;

    /// <summary>A schema transformer: sets the example of each schema that has one.</summary>
    public static Task Apply(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellation)
    {
        if (ByType.TryGetValue(context.JsonTypeInfo.Type, out var example) && example is not null) schema.Examples = [example.DeepClone()];
        return Task.CompletedTask;
    }

    // Optional fields left out, as a client would send them (and as the answers' nulls need no showing).
    private static JsonNode? Node<T>(T value, JsonTypeInfo<T> info) => WithoutNulls(JsonSerializer.SerializeToNode(value, info));

    private static JsonNode? WithoutNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Where(p => p.Value is null).Select(p => p.Key).ToList()) obj.Remove(name);
                foreach (var (_, value) in obj) WithoutNulls(value);
                break;
            case JsonArray array:
                foreach (var item in array) WithoutNulls(item);
                break;
        }
        return node;
    }
}
