using Akka.Actor;
using Akka.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Configuration;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;

namespace Orchestrator.Server.Mcp;

/// <summary>What <c>orchestrator mcp</c> was given.</summary>
/// <param name="Servers">The node (HOST:PORT), or several nodes of a cluster.</param>
/// <param name="Namespace">The namespace of tool calls that name none.</param>
/// <param name="RequestTimeout">How long a request waits for the node's answer.</param>
/// <param name="Tls">The client's TLS, for a node with TLS on; null for none.</param>
public sealed record McpStdioOptions(IReadOnlyList<string> Servers, string Namespace, TimeSpan RequestTimeout, RemoteTls? Tls = null);

/// <summary>
/// <c>orchestrator mcp</c>: the MCP tools over stdio, the way agent hosts start MCP servers (a
/// command and its arguments), talking to a running node over Akka.Remote. stdout carries MCP
/// frames only; every log line goes to stderr. The node may be down when it starts or go down
/// later: a tool call then answers a tool error saying the orchestrator is not reachable, and the
/// next call after the node is back is answered (one node: the state manager is looked up by path
/// for every request; several: Akka's ClusterClient moves between them).
/// </summary>
public static class McpStdioServer
{
    // Akka's own logging must stay off stdout, where only MCP frames may go: stderr instead.
    private const string ClientSystemConfig = """
        akka {
          loglevel = WARNING
          stdout-loglevel = OFF
          loggers = ["Orchestrator.Server.Mcp.StandardErrorLogger, Orchestrator.Server"]
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          remote.log-remote-lifecycle-events = off
          coordinated-shutdown.run-by-clr-shutdown-hook = off
        }
        """;

    /// <summary>Serves MCP on stdin/stdout until stdin closes or the process is stopped; 0 when it ends cleanly.</summary>
    public static async Task<int> RunAsync(McpStdioOptions options, CancellationToken cancellation)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        var http = HttpSettings.FromConfig(OrchestratorConfig.Load());
        var system = OrchestratorClient.CreateSystem("orchestrator-mcp", options.Tls, ConfigurationFactory.ParseString(ClientSystemConfig));
        try
        {
            var clientOptions = new OrchestratorClientOptions(options.RequestTimeout, Namespace: options.Namespace);
            var client = options.Servers.Count > 1
                ? await OrchestratorClient.ConnectClusterAsync(system, options.Servers, clientOptions, cancellation: cancellation)
                : OrchestratorClient.ConnectLazily(system, options.Servers[0], clientOptions);
            var gateway = new OrchestratorGateway(options.RequestTimeout);
            gateway.Attach(system, client);

            builder.Services.AddSingleton(gateway);
            builder.Services.AddSingleton(http);
            builder.Services.AddSingleton<TaskFeeds>();
            builder.Services.AddSingleton<ClaimWaiter>();
            builder.Services.TryAddSingleton(TimeProvider.System);
            OrchestratorMcp.AddServer(builder.Services, new McpDoor(options.Namespace)).WithStdioServerTransport();
            using var host = builder.Build();
            await host.RunAsync(cancellation);
            return 0;
        }
        finally
        {
            await system.Terminate();
        }
    }
}
