using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// The MCP server's parts, the same for both transports: the tools, the resources (tasks and saved
/// documents, tasks followed by subscription) and the work-loop prompt, over the gateway's client
/// (in the node's process for Streamable HTTP at <c>/mcp</c>, over Akka.Remote for
/// <c>orchestrator mcp</c> on stdio).
/// </summary>
public static class OrchestratorMcp
{
    /// <summary>The server's name in its MCP implementation info.</summary>
    public const string ServerName = "orchestrator";

    /// <summary>
    /// JSON for the tools' arguments and results: the doors' shapes (camelCase, upper-case enums,
    /// documents as JSON values) over the SDK's own types.
    /// </summary>
    public static readonly JsonSerializerOptions Json = CreateJson();

    /// <summary>Adds the MCP server with every tool; the caller adds its transport.</summary>
    public static IMcpServerBuilder AddServer(IServiceCollection services, McpDoor door)
    {
        services.AddSingleton(door);
        services.AddSingleton<ResourceSubscriptions>();
        var builder = services
            .AddMcpServer(options =>
            {
                options.ServerInfo = new() { Name = ServerName, Version = typeof(OrchestratorMcp).Assembly.GetName().Version?.ToString(3) ?? "1.0.0" };
                options.ServerInstructions =
                    "Task state for multi-agent systems. Claim work with claim_task, keep its lease with heartbeat while you work, " +
                    "then complete_task or fail_task with the claimId. Define work with define_task or define_tasks. " +
                    "Keep notes with save_state and get_state. Refusals come back as tool errors naming the field and the value.";
            })
            .WithTools<OrchestratorTools>(Json)
            .WithResources<OrchestratorResources>()
            .WithPrompts([typeof(WorkLoopPrompt)], Json)
            .WithSubscribeToResourcesHandler((request, cancellation) =>
                request.Services!.GetRequiredService<ResourceSubscriptions>().SubscribeAsync(request, cancellation))
            .WithUnsubscribeFromResourcesHandler((request, cancellation) =>
                request.Services!.GetRequiredService<ResourceSubscriptions>().UnsubscribeAsync(request, cancellation))
            .WithSubscriptionsListenHandler((request, cancellation) =>
                request.Services!.GetRequiredService<ResourceSubscriptions>().ListenAsync(request, cancellation))
            .WithRequestFilters(filters => filters.AddCallToolFilter(next => async (context, cancellation) =>
            {
                CallToolResult? result = null;
                try
                {
                    return result = await ToolResults.BindingFailures(() => next(context, cancellation), context.Params?.Name);
                }
                finally
                {
                    ToolMetrics.Called(context.Params?.Name, result);
                }
            }));
        // Output schemas as every client reads them (see OutputSchemas).
        services.PostConfigure<McpServerOptions>(options =>
        {
            foreach (var tool in options.ToolCollection ?? []) tool.ProtocolTool.OutputSchema = OutputSchemas.Plain(tool.ProtocolTool.OutputSchema);
        });
        return builder;
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(McpJsonUtilities.DefaultOptions);
        options.TypeInfoResolverChain.Insert(0, ServerJson.Default);
        options.MakeReadOnly();
        return options;
    }
}
