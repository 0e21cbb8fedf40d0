using ModelContextProtocol.Client;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>The MCP SDK's own client, over Streamable HTTP to a test server or over stdio to <c>orchestrator mcp</c>.</summary>
public static class McpTestClients
{
    /// <summary>A client of <paramref name="server"/>'s <c>/mcp</c>, with an API key when given.</summary>
    public static Task<McpClient> OverHttp(HttpServer server, string? apiKey = null) => OverHttp(server.Client.BaseAddress!, apiKey);

    /// <summary>A client of the <c>/mcp</c> of the HTTP door at <paramref name="door"/>, with an API key when given.</summary>
    public static async Task<McpClient> OverHttp(Uri door, string? apiKey = null) =>
        await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(door, "/mcp"),
            AdditionalHeaders = apiKey is null ? null : new Dictionary<string, string> { ["Authorization"] = $"Bearer {apiKey}" },
        })).WaitAsync(HttpServer.Patience);

    /// <summary>A client of <c>orchestrator mcp --server SERVER ARGS</c>, started from this build's orchestrator.dll.</summary>
    public static async Task<McpClient> OverStdio(string server, params string[] arguments) =>
        await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "orchestrator",
            Command = "dotnet",
            Arguments = [Path.Combine(AppContext.BaseDirectory, "orchestrator.dll"), "mcp", "--server", server, .. arguments],
        })).WaitAsync(HttpServer.Patience);
}
