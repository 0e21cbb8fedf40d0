using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Server.Http;

/// <summary>
/// Every error of the HTTP door is <c>application/problem+json</c> (RFC 9457): <c>status</c>,
/// <c>title</c>, <c>detail</c>, and for bad input <c>field</c> and <c>value</c>. Built here only.
/// </summary>
public static class Problems
{
    /// <summary>The media type of an error.</summary>
    public const string MediaType = "application/problem+json";

    /// <summary>A problem with a status, a short title, a detail naming the value and extensions.</summary>
    public static ProblemDetails Of(int status, string title, string detail, IEnumerable<KeyValuePair<string, object?>>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = TypeOf(status) };
        foreach (var (name, value) in extensions ?? []) problem.Extensions[name] = value;
        return problem;
    }

    /// <summary>401: no key, or not a key of this server (the same answer for both).</summary>
    public static ProblemDetails Unauthorized() =>
        Of(StatusCodes.Status401Unauthorized, "Unauthorized", "this server needs an API key: send Authorization: Bearer KEY");

    /// <summary>403: the key may not do this.</summary>
    public static ProblemDetails Forbidden(string detail) => Of(StatusCodes.Status403Forbidden, "Forbidden", detail);

    /// <summary>400: the protocol's CommandRejected (or a value HTTP carried, refused in the same shape): field, value, and the reason in the detail.</summary>
    public static ProblemDetails Rejected(CommandRejected rejected) =>
        Of(StatusCodes.Status400BadRequest, "Invalid input", rejected.Message, [new("field", rejected.Field), new("value", rejected.Value)]);

    /// <summary>413: the body is over <c>orchestrator.http.max-request-body-size</c>.</summary>
    public static ProblemDetails TooLarge(long limit) =>
        Of(StatusCodes.Status413PayloadTooLarge, "Request body too large",
            $"the request body is larger than orchestrator.http.max-request-body-size ({Size(limit)})",
            [new("setting", "orchestrator.http.max-request-body-size"), new("limit", limit)]);

    /// <summary>A size as a deployer writes it in hocon.conf: 16 MiB, 512 KiB, 1000 bytes.</summary>
    public static string Size(long bytes) =>
        bytes % (1L << 20) == 0 ? $"{bytes >> 20} MiB" : bytes % 1024 == 0 ? $"{bytes >> 10} KiB" : $"{bytes} bytes";

    /// <summary>Writes <paramref name="problem"/> as the response.</summary>
    public static Task Write(HttpContext context, ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return context.Response.WriteAsJsonAsync(problem, ProblemJson.Default.ProblemDetails, MediaType);
    }

    /// <summary>The result of <paramref name="problem"/>, for a route handler.</summary>
    public static IResult Result(ProblemDetails problem) => TypedResults.Problem(problem);

    private static string TypeOf(int status) => $"https://www.rfc-editor.org/rfc/rfc9110#status.{status}";
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ProblemDetails))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
internal sealed partial class ProblemJson : System.Text.Json.Serialization.JsonSerializerContext;
