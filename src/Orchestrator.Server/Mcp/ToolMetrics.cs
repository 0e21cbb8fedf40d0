using System.Diagnostics.Metrics;
using System.Reflection;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Orchestrator.Actors.Protocol.Telemetry;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// Tool calls by tool and outcome, on <see cref="OrchestratorMeter"/>: the MCP SDK's own
/// <c>mcp.server.operation.duration</c> counts <c>tools/call</c> requests but not which tool. A name
/// that is not one of the server's tools is counted as <c>unknown</c>, so a client cannot grow the
/// labels without bound.
/// </summary>
internal static class ToolMetrics
{
    private static readonly Counter<long> Calls = OrchestratorMeter.Instance.CreateCounter<long>(
        "orchestrator.mcp.tool.calls", "{call}", "MCP tool calls, by tool and whether the answer was a tool error");

    private static readonly HashSet<string> Tools = typeof(OrchestratorTools).GetMethods()
        .Select(m => m.GetCustomAttribute<McpServerToolAttribute>()?.Name)
        .OfType<string>()
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Counts one call of <paramref name="tool"/> answered with <paramref name="result"/> (null: it threw).</summary>
    public static void Called(string? tool, CallToolResult? result)
    {
        var name = tool is not null && Tools.Contains(tool) ? tool : "unknown";
        if (result is { IsError: not true })
            Calls.Add(1, new KeyValuePair<string, object?>("gen_ai.tool.name", name));
        else
            Calls.Add(1, new KeyValuePair<string, object?>("gen_ai.tool.name", name), new("error.type", result is null ? "exception" : "tool_error"));
    }
}
