using System.Diagnostics;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// The orchestrator over MCP, Streamable HTTP at <c>/mcp</c> of <c>orchestrator serve</c> (a child process, as
/// for <see cref="HttpRow"/>: see <see cref="ServeRow"/>). N sessions of the SDK's own client (<see cref="McpClient"/>
/// over <see cref="HttpClientTransport"/> in Streamable HTTP mode, each session on its own <see cref="HttpClient"/>,
/// with the standalone GET stream the SDK opens by default) are opened before the clock starts; then each calls
/// <c>define_task</c> for its share of distinct tasks, one call at a time, and every result must be no error,
/// <c>created</c> true and its own task. The sessions end (DELETE) before the server is stopped.
/// </summary>
internal static class McpRow
{
    public const string Name = "orchestrator over MCP (Streamable HTTP)";
    public const string Tool = "define_task";
    private const string TaskPrefix = "mcp-";

    /// <summary><paramref name="sessions"/> concurrent MCP sessions define <paramref name="tasks"/> tasks, one tool call each.</summary>
    public static Task<RowResult> RunAsync(string dataDirectory, int sessions, int tasks, int preexisting, TimeSpan limit, Action<string> progress, ServeSettings? serve = null) =>
        ServeRow.RunAsync(RowKind.Mcp, Name, dataDirectory, sessions, tasks, preexisting, limit, progress, url => new Sessions(url, sessions, tasks), serve);

    private sealed class Sessions(Uri url, int count, int tasks) : ServeClients
    {
        private readonly ConnectionCount _opened = new();
        private readonly McpClient?[] _clients = new McpClient?[count];

        /// <summary>GET .../stats on a connection of its own, not counted with the sessions'.</summary>
        public override HttpClient Http { get; } = ServeRow.Client(url, ServeRow.CountingHandler(1, new ConnectionCount()));

        public override string Connections => $"in {count} MCP session(s) over {_opened.Value} connection(s)";

        public override async Task PrepareAsync(CancellationToken cancellation) =>
            await Task.WhenAll(Enumerable.Range(0, count).Select(async session =>
            {
                await Task.Yield();
                try
                {
                    _clients[session] = await OpenAsync(session, cancellation);
                }
                catch (Exception ex) when (!cancellation.IsCancellationRequested && ex is McpException or HttpRequestException or IOException
                                               or OperationCanceledException or JsonException)
                {
                    throw new InvalidOperationException($"MCP session {session} could not be opened: {ex.GetType().Name}: {ex.Message}", ex);
                }
            }));

        private async Task<McpClient> OpenAsync(int session, CancellationToken cancellation)
        {
            // Per session, as an agent host would have it: its own connections (one for its POSTs, one for the GET stream).
            var http = new HttpClient(ServeRow.CountingHandler(int.MaxValue, _opened)) { Timeout = Timeout.InfiniteTimeSpan };
            var transport = new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(url, "/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
                Name = $"load-session-{session:D4}",
            }, http, loggerFactory: null, ownsHttpClient: true);
            try
            {
                return await McpClient.CreateAsync(transport, cancellationToken: cancellation);
            }
            catch
            {
                await transport.DisposeAsync();
                throw;
            }
        }

        public override Task<ClientRun> RunAsync(CancellationToken stop) =>
            ServeRow.DefineEachAsync(count, tasks, TaskPrefix, async (session, agent, taskId, cancel) =>
                {
                    var client = _clients[session] ?? throw new InvalidOperationException($"MCP session {session} was not opened");
                    var arguments = new Dictionary<string, object?>
                    {
                        ["taskId"] = taskId,
                        ["agent"] = agent,
                        ["taskFile"] = $"tasks/{taskId}.md",
                        ["by"] = agent,
                    };
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                    timeout.CancelAfter(ServeRow.RequestTimeout);
                    return Problem(await client.CallToolAsync(Tool, arguments, cancellationToken: timeout.Token), taskId);
                },
                ex => ex is McpException or HttpRequestException or IOException or OperationCanceledException or JsonException, stop);

        public override async ValueTask DisposeAsync()
        {
            await Task.WhenAll(_clients.OfType<McpClient>().Select(async client =>
            {
                try
                {
                    await client.DisposeAsync();
                }
                catch (Exception ex) when (ex is McpException or HttpRequestException or IOException or OperationCanceledException)
                {
                    // The session ends with the server anyway; its DELETE failing changes no figure.
                }
            }));
            Array.Clear(_clients);
            Http.Dispose();
        }
    }

    /// <summary>Why a result does not acknowledge <paramref name="taskId"/> as created, or null when it does.</summary>
    private static string? Problem(CallToolResult result, string taskId)
    {
        if (result.IsError is true) return $"isError: {Text(result)}";
        if (result.StructuredContent is not { ValueKind: JsonValueKind.Object } content) return $"no structured content: {Text(result)}";
        if (!content.TryGetProperty("created", out var created) || created.ValueKind != JsonValueKind.True)
            return $"not created: {ServeRow.Snippet(content.GetRawText())}";
        if (!content.TryGetProperty("task", out var task) || task.ValueKind != JsonValueKind.Object
            || !task.TryGetProperty("taskId", out var id) || id.ValueKind != JsonValueKind.String || id.GetString() != taskId)
            return $"another task: {ServeRow.Snippet(content.GetRawText())}";
        return null;
    }

    private static string Text(CallToolResult result) =>
        ServeRow.Snippet(string.Join(" ", result.Content.OfType<TextContentBlock>().Select(t => t.Text)));
}
