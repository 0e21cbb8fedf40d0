using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol.Commands;

namespace Orchestrator.Actors.Benchmarks.Soak;

/// <summary>
/// How an operation ended, as its caller knows it: acknowledged (a success answer), refused (a
/// definite no: nothing was written) or unknown (no answer, a timeout, "unavailable": it may or may
/// not have been written, so the checker asks nothing of it).
/// </summary>
internal enum Outcome
{
    Acknowledged,
    Refused,
    Unknown,
}

/// <summary>An operation's outcome with what a success carried: the claimed task and claim, the lease, the document's version.</summary>
internal sealed record DoorResult(Outcome Outcome, string? TaskId = null, string? ClaimId = null, DateTimeOffset LeaseUntil = default, long Version = 0)
{
    public static readonly DoorResult Refused = new(Outcome.Refused);
    public static readonly DoorResult Unknown = new(Outcome.Unknown);
}

/// <summary>One way in to the orchestrator for the soak's agents: the whole lifecycle, each call's outcome classified.</summary>
internal interface ISoakDoor
{
    string Name { get; }
    Task<DoorResult> DefineAsync(string taskId, IReadOnlyList<string> dependsOn);
    /// <summary>Refused when no task is ready.</summary>
    Task<DoorResult> ClaimAsync(string agent, TimeSpan lease);
    Task<DoorResult> HeartbeatAsync(string taskId, string agent, string claimId);
    Task<DoorResult> CompleteAsync(string taskId, string agent, string claimId);
    Task<DoorResult> FailAsync(string taskId, string agent, string claimId);
    /// <summary>Saves at <paramref name="expectedVersion"/> (0: must not exist yet); refused on a version conflict.</summary>
    Task<DoorResult> SaveAsync(string owner, string key, string json, long expectedVersion);
    /// <summary>The document's current version (0 when it does not exist); unknown when it could not be read.</summary>
    Task<DoorResult> VersionAsync(string owner, string key);
}

/// <summary>Akka.Remote, through the client library.</summary>
internal sealed class RemotingDoor(OrchestratorClient client) : ISoakDoor
{
    public string Name => "remoting";

    public Task<DoorResult> DefineAsync(string taskId, IReadOnlyList<string> dependsOn) =>
        Classify(async () =>
        {
            await client.DefineTaskAsync(new DefineTask(taskId, "*", "tasks/soak.md", DependsOn: dependsOn.Count == 0 ? null : dependsOn));
            return new DoorResult(Outcome.Acknowledged, taskId);
        });

    public Task<DoorResult> ClaimAsync(string agent, TimeSpan lease) =>
        Classify(async () => await client.ClaimTaskAsync(new ClaimTask(agent, lease)) is { } assigned
            ? new DoorResult(Outcome.Acknowledged, assigned.Task.TaskId, assigned.ClaimId, assigned.LeaseUntil)
            : DoorResult.Refused);

    public Task<DoorResult> HeartbeatAsync(string taskId, string agent, string claimId) =>
        Classify(async () =>
        {
            var renewed = await client.HeartbeatAsync(new Heartbeat(taskId, agent, claimId));
            return new DoorResult(Outcome.Acknowledged, taskId, claimId, renewed.LeaseUntil);
        });

    public Task<DoorResult> CompleteAsync(string taskId, string agent, string claimId) =>
        Classify(async () =>
        {
            await client.CompleteTaskAsync(new CompleteTask(taskId, agent, claimId, """{"ok":true}"""));
            return new DoorResult(Outcome.Acknowledged, taskId, claimId);
        });

    public Task<DoorResult> FailAsync(string taskId, string agent, string claimId) =>
        Classify(async () =>
        {
            await client.FailTaskAsync(new FailTask(taskId, agent, claimId, "soak: failed on purpose"));
            return new DoorResult(Outcome.Acknowledged, taskId, claimId);
        });

    public Task<DoorResult> SaveAsync(string owner, string key, string json, long expectedVersion) =>
        Classify(async () => new DoorResult(Outcome.Acknowledged, Version: (await client.SaveStateAsync(new SaveState(owner, key, json, expectedVersion))).Version));

    public Task<DoorResult> VersionAsync(string owner, string key) =>
        Classify(async () =>
        {
            try
            {
                return new DoorResult(Outcome.Acknowledged, Version: (await client.GetStateAsync(owner, key)).Version);
            }
            catch (OrchestratorNotFoundException)
            {
                return new DoorResult(Outcome.Acknowledged, Version: 0);
            }
        });

    private static async Task<DoorResult> Classify(Func<Task<DoorResult>> call)
    {
        try
        {
            return await call();
        }
        catch (OrchestratorException ex) when (ex is OrchestratorRejectedException or OrchestratorConflictException or OrchestratorNotFoundException)
        {
            return DoorResult.Refused;
        }
        catch (Exception ex) when (ex is OrchestratorException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            return DoorResult.Unknown;
        }
    }
}

/// <summary>The HTTP/JSON door, as any HTTP client speaks it, in <paramref name="namespace"/> (the cluster soak spreads agents over several).</summary>
internal sealed class HttpDoor(HttpClient http, string @namespace = "default") : ISoakDoor
{
    private string Base { get; } = $"/v1/namespaces/{@namespace}";

    public string Name => "http";

    public Task<DoorResult> DefineAsync(string taskId, IReadOnlyList<string> dependsOn) =>
        Send(HttpMethod.Post, $"{Base}/tasks", JsonSerializer.Serialize(new { taskId, agent = "*", taskFile = "tasks/soak.md", dependsOn }),
            _ => new DoorResult(Outcome.Acknowledged, taskId));

    public Task<DoorResult> ClaimAsync(string agent, TimeSpan lease) =>
        Send(HttpMethod.Post, $"{Base}/claims", JsonSerializer.Serialize(new { agent, lease = $"{(int)lease.TotalMilliseconds}ms" }),
            reply => new DoorResult(Outcome.Acknowledged, reply.GetProperty("taskId").GetString(), reply.GetProperty("claimId").GetString(),
                reply.GetProperty("leaseUntil").GetDateTimeOffset()));

    public Task<DoorResult> HeartbeatAsync(string taskId, string agent, string claimId) =>
        Send(HttpMethod.Post, $"{Base}/tasks/{taskId}/heartbeat", JsonSerializer.Serialize(new { agent, claimId }),
            reply => new DoorResult(Outcome.Acknowledged, taskId, claimId, reply.GetProperty("leaseUntil").GetDateTimeOffset()));

    public Task<DoorResult> CompleteAsync(string taskId, string agent, string claimId) =>
        Send(HttpMethod.Post, $"{Base}/tasks/{taskId}/complete", JsonSerializer.Serialize(new { agent, claimId, result = new { ok = true } }),
            _ => new DoorResult(Outcome.Acknowledged, taskId, claimId));

    public Task<DoorResult> FailAsync(string taskId, string agent, string claimId) =>
        Send(HttpMethod.Post, $"{Base}/tasks/{taskId}/fail", JsonSerializer.Serialize(new { agent, claimId, reason = "soak: failed on purpose" }),
            _ => new DoorResult(Outcome.Acknowledged, taskId, claimId));

    public Task<DoorResult> SaveAsync(string owner, string key, string json, long expectedVersion) =>
        Send(HttpMethod.Put, $"{Base}/state/{owner}/{key}", json,
            reply => new DoorResult(Outcome.Acknowledged, Version: reply.GetProperty("version").GetInt64()),
            request =>
            {
                if (expectedVersion == 0) request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any);
                else request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{expectedVersion.ToString(CultureInfo.InvariantCulture)}\""));
            });

    public async Task<DoorResult> VersionAsync(string owner, string key)
    {
        try
        {
            using var response = await http.GetAsync($"{Base}/state/{owner}/{key}");
            if (response.StatusCode == HttpStatusCode.NotFound) return new DoorResult(Outcome.Acknowledged, Version: 0);
            if (!response.IsSuccessStatusCode || response.Headers.ETag is not { } etag) return DoorResult.Unknown;
            return new DoorResult(Outcome.Acknowledged, Version: long.Parse(etag.Tag.Trim('"'), CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return DoorResult.Unknown;
        }
    }

    // 2xx is acknowledged (204, no task ready, is refused); 4xx is a definite no; 5xx and no answer are unknown.
    private async Task<DoorResult> Send(HttpMethod method, string path, string body, Func<JsonElement, DoorResult> acknowledged,
        Action<HttpRequestMessage>? prepare = null)
    {
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            prepare?.Invoke(request);
            using var response = await http.SendAsync(request);
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.NoContent) return DoorResult.Refused;
            if (status is >= 400 and < 500) return DoorResult.Refused;
            if (!response.IsSuccessStatusCode) return DoorResult.Unknown;
            using var reply = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            return acknowledged(reply.RootElement);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return DoorResult.Unknown;
        }
    }
}
