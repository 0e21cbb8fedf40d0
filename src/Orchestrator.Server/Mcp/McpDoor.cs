namespace Orchestrator.Server.Mcp;

/// <summary>What the MCP tools of one server take when a call leaves it out.</summary>
/// <param name="Namespace">The namespace of calls that name none (<c>orchestrator mcp --namespace</c>; <c>default</c> over HTTP).</param>
public sealed record McpDoor(string Namespace);
