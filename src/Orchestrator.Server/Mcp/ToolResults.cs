using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Mvc;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Orchestrator.Actors.Client;
using Orchestrator.Server.Http;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// A tool's answer: the reply's shape as structured content with one line of text beside it; or,
/// for every refusal, <c>isError</c> with the problem's title and detail (naming the field and the
/// value) as the text, and the same problem the HTTP door answers as an embedded
/// <c>application/problem+json</c> resource. A refusal carries no structured content: that is
/// the success's shape, which clients check it against (the TypeScript SDK even on errors).
/// </summary>
public static partial class ToolResults
{
    /// <summary>The media type of the problem a refusal embeds.</summary>
    public const string ProblemMediaType = Problems.MediaType;

    /// <summary>The URI of the problem a refusal embeds.</summary>
    public const string ProblemUri = "orchestrator://problem";

    // A problem's extensions hold the doors' shapes (a conflict's existing task): both resolvers.
    private static readonly JsonSerializerOptions ProblemOptions = new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ProblemJson.Default, Json.ServerJson.Default),
    };

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
        Content =
        [
            new TextContentBlock { Text = $"{problem.Title}: {problem.Detail}" },
            new EmbeddedResourceBlock
            {
                Resource = new TextResourceContents
                {
                    Uri = ProblemUri,
                    MimeType = ProblemMediaType,
                    Text = JsonSerializer.Serialize(problem, ProblemOptions),
                },
            },
        ],
    };

    /// <summary>
    /// A refusal where MCP has no tool result to carry it (reading or following a resource): a
    /// protocol error, not found <c>-32002</c>, bad input <c>-32602</c>, anything else internal, with
    /// the problem's title and detail.
    /// </summary>
    public static McpProtocolException ProtocolError(OrchestratorException failure)
    {
        var problem = ReplyResults.Problem(failure);
        var code = problem.Status switch
        {
            404 => McpErrorCode.ResourceNotFound,
            400 => McpErrorCode.InvalidParams,
            _ => McpErrorCode.InternalError,
        };
        return new McpProtocolException($"{problem.Title}: {problem.Detail}", code);
    }

    /// <summary>
    /// The call-tool filter: arguments the SDK could not bind to a tool's parameters (a required one
    /// missing, a value of the wrong JSON type) are refused as every other bad input is, naming the
    /// argument, rather than answered with the SDK's bare "An error occurred invoking".
    /// </summary>
    public static async ValueTask<CallToolResult> BindingFailures(
        Func<ValueTask<CallToolResult>> next, string? tool)
    {
        try
        {
            return await next();
        }
        catch (ArgumentException ex) when (MissingArgument().Match(ex.Message) is { Success: true } missing)
        {
            return Refused(Problems.Rejected(Actors.Domain.Validation.Reject(missing.Groups[1].Value, null,
                $"is required by the tool '{tool}'")));
        }
        catch (JsonException ex)
        {
            return Refused(Problems.Rejected(Actors.Domain.Validation.Reject("arguments", null,
                $"of the tool '{tool}' hold a value of the wrong JSON type: {ex.Message.Split(" Path:")[0]}")));
        }
    }

    // Microsoft.Extensions.AI's binding error: "The arguments dictionary is missing a value for the required parameter 'json'."
    [System.Text.RegularExpressions.GeneratedRegex("required parameter '([^']+)'")]
    private static partial System.Text.RegularExpressions.Regex MissingArgument();

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
