using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Generated tool calls at the MCP door (Streamable HTTP at /mcp of a real Kestrel, through the SDK's
/// own client): every tool, and names that are none, with arguments left out, of the wrong JSON type,
/// nasty strings and unknown extra ones. Each answer is a result, a tool error whose text says what is
/// wrong (never the SDK's bare "An error occurred invoking"), or a protocol error with a message that
/// is not an internal error; the server keeps serving and what it acknowledged is unchanged.
/// </summary>
public sealed class McpFuzzSpecs(McpFuzzSpecs.Fixture fixture, ITestOutputHelper output) : IClassFixture<McpFuzzSpecs.Fixture>
{
    public sealed class Fixture : HttpServerFixture
    {
        // No claim may wait, so no case blocks.
        protected override string Overlay => "orchestrator.http.max-claim-wait = 0s\n";
    }

    private readonly HttpServer _server = fixture.Server;

    // The acknowledged tasks and document live in a namespace no generator names.
    private static readonly string Acked = "acked-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Any_generated_tool_call_is_a_result_or_an_error_that_says_what_is_wrong_and_nothing_acknowledged_changes()
    {
        // Given tasks and a document, acknowledged
        await _server.Define(Acked, """{"taskId":"t-1","agent":"acked-agent","taskFile":"tasks/a.md","payload":{"n":1}}""");
        await _server.Define(Acked, """{"taskId":"t-2","agent":"acked-agent","taskFile":"tasks/b.md","dependsOn":["t-1"]}""");
        using (var saved = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{Acked}/state/owner/doc", """{"step":1}"""))
            Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        var before = await AcknowledgedAsync();
        await using var client = await McpTestClients.OverHttp(_server);
        var tools = await client.ListToolsAsync();
        var outcomes = new ConcurrentDictionary<string, int>();
        var watch = Stopwatch.StartNew();

        // When generated calls are made
        await Calls(tools).SampleAsync(async call =>
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            CallToolResult result;
            try
            {
                result = await client.CallToolAsync(call.Tool, call.Arguments, cancellationToken: patience.Token);
            }
            catch (McpProtocolException refused)
            {
                // Then a protocol error names what is wrong, and is not the server failing
                Assert.False(string.IsNullOrWhiteSpace(refused.Message));
                Assert.NotEqual(McpErrorCode.InternalError, refused.ErrorCode);
                outcomes.AddOrUpdate($"protocol error {refused.ErrorCode}", 1, (_, n) => n + 1);
                return;
            }
            // And a tool error says what is wrong, as a refusal of the door, not an exception the SDK caught
            var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
            if (result.IsError == true)
            {
                Assert.False(string.IsNullOrWhiteSpace(text), "a tool error with no text");
                Assert.DoesNotContain("An error occurred invoking", text);
            }
            outcomes.AddOrUpdate(result.IsError == true ? "tool error" : "result", 1, (_, n) => n + 1);
        }, iter: NastyInput.Cases, print: c => c.ToString());

        // And the server still serves, with what it acknowledged unchanged
        var stats = await client.CallToolAsync("stats", new Dictionary<string, object?> { ["namespace"] = Acked });
        Assert.NotEqual(true, stats.IsError);
        Assert.Equal(before, await AcknowledgedAsync());
        output.WriteLine($"{NastyInput.Cases:N0} calls in {watch.Elapsed.TotalSeconds:F1} s: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}");
    }

    private async Task<string> AcknowledgedAsync()
    {
        var read = new StringBuilder();
        foreach (var path in new[] { "tasks/t-1", "tasks/t-1/history", "tasks/t-2", "tasks/t-2/history", "state/owner/doc" })
        {
            using var response = await _server.Get($"/v1/namespaces/{Acked}/{path}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            read.Append(path).Append(' ').Append(response.Headers.ETag).Append(' ').AppendLine(await response.Content.ReadAsStringAsync());
        }
        return read.ToString();
    }

    /// <summary>A generated call: a tool's name and its arguments as JSON values.</summary>
    public sealed record ToolCall(string Tool, Dictionary<string, object?> Arguments)
    {
        public override string ToString() =>
            $"{Tool}({string.Join(", ", Arguments.Select(a => $"{a.Key}: {Shorten(a.Value is JsonElement e ? e.GetRawText() : a.Value?.ToString() ?? "null")}"))})";

        private static string Shorten(string text) => text.Length > 300 ? text[..300] + $"... ({text.Length:N0} characters)" : text;
    }

    private static readonly Dictionary<string, Gen<string>> Good = new()
    {
        ["taskId"] = Gen.OneOf("\"t-1\"", "\"t-2\"", "\"t-3\""),
        ["agent"] = Gen.OneOf("\"agent-a\"", "\"*\""),
        ["taskFile"] = Gen.Const("\"tasks/t.md\""),
        ["priority"] = Gen.Const("\"HIGH\""),
        ["status"] = Gen.Const("\"READY\""),
        ["dependsOn"] = Gen.Const("[\"t-1\"]"),
        ["tasks"] = Gen.Const("[{\"taskId\":\"t-3\",\"agent\":\"agent-a\",\"taskFile\":\"f\"}]"),
        ["payload"] = Gen.OneOf("{\"n\":1}", "\"{\\\"n\\\":1}\""),
        ["json"] = Gen.OneOf("{\"n\":1}", "\"{\\\"n\\\":1}\""),
        ["reason"] = Gen.Const("\"why\""),
        ["lease"] = Gen.Const("\"30s\""),
        ["wait"] = Gen.Const("\"0s\""),
        ["ownerId"] = Gen.Const("\"owner\""),
        ["key"] = Gen.Const("\"doc\""),
        ["limit"] = Gen.Const("10"),
        ["namespace"] = Gen.OneOf("\"fuzz\"", "\"default\"", "\"\"", "null"),
    };

    // A call to a listed tool with arguments of its schema (some left out, unknown ones added), or to a name that is no tool.
    private static Gen<ToolCall> Calls(IList<McpClientTool> tools)
    {
        var byTool = tools.Select(t => Gen.Const(t.Name).SelectMany(name =>
        {
            var fields = t.JsonSchema.TryGetProperty("properties", out var properties)
                ? properties.EnumerateObject().Select(p => p.Name).ToArray()
                : [];
            return NastyInput.JsonObject(fields, Good).Select(json => new ToolCall(name, Arguments(json)));
        })).ToArray();
        return Gen.Frequency(
            (19, Gen.OneOf(byTool)),
            (1, Gen.Select(Gen.Frequency((1, Gen.OneOf("", "define-task", "DEFINE_TASK", "tools/call", "stats ")), (2, AsciiName)), NastyInput.JsonObject(["taskId"]))
                .Select((name, json) => new ToolCall(name, Arguments(json)))));
    }

    // The SDK's client sends the tool's name in a header too, which only takes ASCII.
    private static readonly Gen<string> AsciiName = NastyInput.Text.Select(t => new string([.. t.Where(c => c is >= ' ' and <= '~')]));

    // The arguments of a call: the members of a JSON object, or none when the JSON is not an object
    // (MCP's arguments are an object; the SDK's client sends what it is given as its members).
    private static Dictionary<string, object?> Arguments(string json)
    {
        var arguments = new Dictionary<string, object?>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return arguments; // JSON nested past the reader's depth: no arguments
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) return arguments;
            foreach (var member in document.RootElement.EnumerateObject())
            {
                if (Sendable(member)) arguments[member.Name] = member.Value.Clone();
            }
        }
        return arguments;
    }

    // The SDK's client cannot write a name or a string holding a lone surrogate (the JSON writer
    // refuses it), so such an argument is left out; the HTTP and domain fuzz specs send those.
    private static bool Sendable(JsonProperty member)
    {
        try
        {
            JsonSerializer.Serialize(new Dictionary<string, JsonElement> { [member.Name] = member.Value });
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }
}
