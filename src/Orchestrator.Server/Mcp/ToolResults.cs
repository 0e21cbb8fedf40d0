using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Mvc;
using ModelContextProtocol.Protocol;
using Orchestrator.Actors.Client;
using Orchestrator.Server.Http;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// A tool's answer: the reply's shape as structured content with one line of text beside it; or,
/// for every refusal, <c>isError</c> with the same problem the HTTP door answers (status, title,
/// detail naming the field and the value) as structured content and its detail as the text.
/// </summary>
public static class ToolResults
{
    /// <summary>A success: <paramref name="value"/> as structured content, <paramref name="text"/> for people and models.</summary>
    public static CallToolResult Ok<T>(T value, JsonTypeInfo<T> type, string text) => new()
    {
        Content = [new TextContentBlock { Text = text }],
        StructuredContent = JsonSerializer.SerializeToElement(value, type),
    };

    /// <summary>A refusal, as a tool error.</summary>
    public static CallToolResult Refused(ProblemDetails problem) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = $"{problem.Title}: {problem.Detail}" }],
        StructuredContent = JsonSerializer.SerializeToElement(problem, ProblemJson.Default.ProblemDetails),
    };

    /// <summary>Runs a tool's call; the client's refusals and what the door itself refused become tool errors.</summary>
    public static async Task<CallToolResult> Run(Func<Task<CallToolResult>> call)
    {
        try
        {
            return await call();
        }
        catch (OrchestratorException ex)
        {
            return Refused(ReplyResults.Problem(ex));
        }
        catch (ProblemException ex)
        {
            return Refused(ex.Problem);
        }
    }
}
