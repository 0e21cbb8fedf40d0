using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Orchestrator.Actors.Client;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Http;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// Tasks and saved documents as MCP resources, read through the same client as the tools and
/// listed through their URI templates; a client may subscribe to them (see <see cref="ResourceSubscriptions"/>).
/// A refusal of the node is a protocol error here (a read has no tool result): not found is
/// <c>-32002</c>, bad input <c>-32602</c>, naming the value.
/// </summary>
[McpServerResourceType]
public sealed class OrchestratorResources(OrchestratorGateway gateway)
{
    /// <summary>The media type of every resource.</summary>
    public const string MediaType = "application/json";

    [McpServerResource(UriTemplate = ResourceUris.TaskTemplate, Name = "task", MimeType = MediaType)]
    [Description("A task: its status, claim, attempts, payload and (once COMPLETED) result, as get_task answers it.")]
    public async Task<ResourceContents> Task(string @namespace, string taskId, CancellationToken cancellation)
    {
        var found = await Read(() => gateway.For(@namespace).GetTaskAsync(taskId, cancellation));
        return Contents(ResourceUris.Task(@namespace, taskId), JsonSerializer.Serialize(Shapes.Detail(found), ServerJson.Default.TaskDetailShape));
    }

    [McpServerResource(UriTemplate = ResourceUris.StateTemplate, Name = "state", MimeType = MediaType)]
    [Description("A document saved with save_state, with its version, as get_state answers it.")]
    public async Task<ResourceContents> State(string @namespace, string ownerId, string key, CancellationToken cancellation)
    {
        var document = await Read(() => gateway.For(@namespace).GetStateAsync(ownerId, key, cancellation));
        return Contents(ResourceUris.State(@namespace, ownerId, key), JsonSerializer.Serialize(StateShape.Of(document), ServerJson.Default.StateShape));
    }

    private static TextResourceContents Contents(string uri, string json) => new() { Uri = uri, MimeType = MediaType, Text = json };

    private static async Task<T> Read<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (OrchestratorException ex)
        {
            throw ToolResults.ProtocolError(ex);
        }
    }
}
