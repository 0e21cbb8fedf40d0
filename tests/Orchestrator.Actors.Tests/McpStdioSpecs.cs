using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// <c>orchestrator mcp</c> as an agent host runs it: a child process on stdio, driven by the SDK's
/// own client, talking to <c>orchestrator serve</c> over Akka.Remote. The node stopping is a tool
/// error, not the end of the MCP server, and the node coming back is answered again.
/// </summary>
public sealed class McpStdioSpecs : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    [Fact]
    public async Task Over_stdio_the_tools_work_a_stopped_node_is_a_tool_error_and_the_node_back_is_answered_again()
    {
        var port = HostProcess.FreePort();
        var server = $"127.0.0.1:{port}";
        var serve = await HostProcess.StartServeAsync(port, _dataDirectory, Patience);
        await using var client = await McpTestClients.OverStdio(server, "--namespace", "agents", "--timeout", "3s");
        try
        {
            var tools = await client.ListToolsAsync();
            Assert.Equal(McpToolSpecs.ToolNames.Order(), tools.Select(t => t.Name).Order());
            var defined = await Call(client, "define_task", new() { ["taskId"] = "t-1", ["agent"] = "w", ["taskFile"] = "tasks/t.md" });
            Assert.True(defined.StructuredContent!.Value.GetProperty("created").GetBoolean());
            var stats = await Call(client, "stats", []);
            Assert.Equal("agents", stats.StructuredContent!.Value.GetProperty("namespace").GetString());
            var bad = await Call(client, "define_task", new() { ["taskId"] = "t-2", ["agent"] = "w", ["taskFile"] = "f", ["priority"] = "urgent" });
            Assert.True(bad.IsError);
            Assert.Equal("priority", McpToolSpecs.Problem(bad).GetProperty("field").GetString());

            // The node stops: a call is a tool error saying so, and the MCP server goes on
            serve.Send(Signal.Terminate);
            Assert.Equal(0, await serve.WaitForExitAsync(Patience));
            serve.Dispose();
            var down = await Call(client, "get_task", new() { ["taskId"] = "t-1" });
            Assert.True(down.IsError);
            Assert.Equal(503, McpToolSpecs.Problem(down).GetProperty("status").GetInt32());
            Assert.Contains(server, string.Join(" ", down.Content.OfType<TextContentBlock>().Select(c => c.Text)));

            // The node is back on the same port and data: the next call is answered, with what it kept
            serve = await HostProcess.StartServeAsync(port, _dataDirectory, Patience);
            // (Until remoting has associated again, a call may still time out: each waits 3 s at most.)
            var deadline = DateTime.UtcNow + Patience;
            CallToolResult again;
            do again = await Call(client, "get_task", new() { ["taskId"] = "t-1" });
            while (again.IsError is true && McpToolSpecs.Problem(again).GetProperty("status").GetInt32() == 503 && DateTime.UtcNow < deadline);
            Assert.NotEqual(true, again.IsError);
            Assert.Equal("READY", again.StructuredContent!.Value.GetProperty("status").GetString());
        }
        finally
        {
            serve.Dispose();
        }
    }

    [Fact]
    public async Task Stdout_carries_MCP_frames_only_even_while_akka_logs_errors()
    {
        // Something that is not an Akka node answers on this port with bytes remoting cannot frame:
        // remoting logs errors ("Adjusted frame length exceeds ..."), which must go to stderr.
        using var impostor = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        impostor.Start();
        var impostorPort = ((System.Net.IPEndPoint)impostor.LocalEndpoint).Port;
        using var stopImpostor = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!stopImpostor.IsCancellationRequested)
            {
                using var socket = await impostor.AcceptSocketAsync(stopImpostor.Token);
                await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(new string('X', 4096)), System.Net.Sockets.SocketFlags.None, stopImpostor.Token);
            }
        });
        var info = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "orchestrator.dll"), "mcp", "--server", $"127.0.0.1:{impostorPort}", "--timeout", "1s" })
            info.ArgumentList.Add(arg);
        using var mcp = System.Diagnostics.Process.Start(info)!;
        var stderr = mcp.StandardError.ReadToEndAsync();
        foreach (var line in new[]
                 {
                     """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"spec","version":"1"}}}""",
                     """{"jsonrpc":"2.0","method":"notifications/initialized"}""",
                     """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stats","arguments":{}}}""",
                 })
            await mcp.StandardInput.WriteLineAsync(line);
        await mcp.StandardInput.FlushAsync();
        // Every line up to the call's answer (a tool error: nothing answers there), then stdin closes.
        using var patience = new CancellationTokenSource(Patience);
        var lines = new List<string>();
        while (lines.LastOrDefault()?.Contains("\"id\":2") != true)
            lines.Add(await mcp.StandardOutput.ReadLineAsync(patience.Token) ?? throw new InvalidOperationException($"stdout ended after {string.Join(" | ", lines)}"));
        mcp.StandardInput.Close();
        lines.AddRange((await mcp.StandardOutput.ReadToEndAsync(patience.Token)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await mcp.WaitForExitAsync(patience.Token);

        Assert.Equal(0, mcp.ExitCode);
        Assert.Equal(2, lines.Count);
        Assert.All(lines, line => Assert.Equal("2.0", JsonDocument.Parse(line).RootElement.GetProperty("jsonrpc").GetString()));
        var answer = JsonDocument.Parse(lines.Single(l => l.Contains("\"id\":2"))).RootElement.GetProperty("result");
        Assert.True(answer.GetProperty("isError").GetBoolean());
        Assert.Contains("no answer from the orchestrator", answer.GetProperty("content")[0].GetProperty("text").GetString());
        stopImpostor.Cancel();
        Assert.Contains("ERROR", await stderr);
    }

    private static async Task<CallToolResult> Call(McpClient client, string tool, Dictionary<string, object?> arguments) =>
        await client.CallToolAsync(tool, arguments).AsTask().WaitAsync(Patience);

    public void Dispose() => TestConfigs.DeleteDataDirectory(_dataDirectory);
}
