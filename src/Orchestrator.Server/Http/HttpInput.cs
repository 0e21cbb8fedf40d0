using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Domain;
using Orchestrator.Server.Hosting;

namespace Orchestrator.Server.Http;

/// <summary>An answer decided before the orchestrator was asked: what HTTP itself carried was unusable.</summary>
public sealed class ProblemException(ProblemDetails problem) : Exception(problem.Detail)
{
    /// <summary>The answer.</summary>
    public ProblemDetails Problem { get; } = problem;
}

/// <summary>
/// What HTTP itself carries, parsed and refused here (naming the value, as the protocol's
/// CommandRejected does): the JSON body, durations, numbers in the query, path segments and the
/// conditional headers. Everything else is the protocol's to check.
/// </summary>
public static class HttpInput
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The JSON body as <typeparamref name="T"/>; a missing one is refused unless <paramref name="optional"/>.</summary>
    public static async Task<T?> Body<T>(HttpRequest request, JsonTypeInfo<T> type, HttpSettings settings, bool optional, CancellationToken cancellation)
        where T : class
    {
        var bytes = await ReadAll(request, settings, cancellation);
        if (bytes.Length == 0)
            return optional ? null : throw Invalid("body", null, $"a JSON object is required ({Fields(type)})");
        // The reader checks the UTF-8 of the strings it reads, not of those a JSON value (a payload,
        // a result) keeps as they are, which would fail later, unanswered, when read as text.
        RequireUtf8(bytes);
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw Invalid("body", "null", $"must be a JSON object ({Fields(type)})");
        }
        catch (JsonException ex)
        {
            throw Malformed(ex, type);
        }
    }

    /// <summary>A JSON value another door carried (an MCP tool's argument), read as strictly as a body.</summary>
    public static T Parse<T>(JsonElement value, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return value.Deserialize(type) ?? throw Invalid("body", "null", $"must be a JSON object ({Fields(type)})");
        }
        catch (JsonException ex)
        {
            throw Malformed(ex, type);
        }
    }

    /// <summary>The JSON body of a required request, as <typeparamref name="T"/>.</summary>
    public static async Task<T> Body<T>(HttpRequest request, JsonTypeInfo<T> type, HttpSettings settings, CancellationToken cancellation) where T : class =>
        (await Body(request, type, settings, optional: false, cancellation))!;

    /// <summary>The body as UTF-8 text (a document to store as it is); a missing one is refused.</summary>
    public static async Task<string> Text(HttpRequest request, HttpSettings settings, CancellationToken cancellation)
    {
        var bytes = await ReadAll(request, settings, cancellation);
        if (bytes.Length == 0) throw Invalid("body", null, "a JSON document is required");
        RequireUtf8(bytes);
        return StrictUtf8.GetString(bytes);
    }

    private static void RequireUtf8(byte[] bytes)
    {
        try
        {
            StrictUtf8.GetCharCount(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw Invalid("body", null, $"is not UTF-8 (byte {ex.Index})");
        }
    }

    /// <summary>A duration such as 30s or 00:00:30, or null when absent.</summary>
    public static TimeSpan? OptionalDuration(string field, string? text) =>
        text is null ? null
        : Durations.TryParseOrClock(text, out var duration) ? duration
        : throw Invalid(field, text, Durations.ExpectedOrClock);

    /// <summary>A whole number from the query, or <paramref name="absent"/>.</summary>
    public static int Number(string field, string? text, int absent) =>
        text is null ? absent
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number
        : throw Invalid(field, text, "expected a whole number");

    /// <summary>
    /// A path segment as the id it names. Kestrel decodes every escape of a path but <c>%2F</c>, so
    /// an id with a slash (allowed in ids) arrives with it still escaped.
    /// </summary>
    public static string Segment(string value) =>
        value.Contains('%') ? value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : value;

    /// <summary>
    /// SaveState's expected version from the conditional headers: <c>If-Match: "N"</c> is N,
    /// <c>If-None-Match: *</c> is 0 (must not exist yet), neither is null (any version).
    /// </summary>
    public static long? ExpectedVersion(IHeaderDictionary headers)
    {
        var ifMatch = headers.IfMatch.ToString();
        var ifNoneMatch = headers.IfNoneMatch.ToString();
        if (ifMatch.Length > 0 && ifNoneMatch.Length > 0)
            throw Invalid("If-None-Match", ifNoneMatch, "cannot be sent with If-Match: send one of them");
        if (ifNoneMatch.Length > 0)
            return ifNoneMatch.Trim() == "*" ? 0 : throw Invalid("If-None-Match", ifNoneMatch, "only * is supported (save only if the document does not exist yet)");
        if (ifMatch.Length == 0) return null;
        return TryParseETag(ifMatch, out var version) && version > 0
            ? version
            : throw Invalid("If-Match", ifMatch, "expected one strong entity tag holding a version, such as \"3\" (the ETag of the document)");
    }

    /// <summary>The header a change's idempotency key comes in (draft-ietf-httpapi-idempotency-key-header).</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>
    /// The <c>Idempotency-Key</c> header's key: null when it is absent; the key as a structured-field
    /// string (<c>"KEY"</c>) or bare. Refused as the protocol refuses a key (1-200 visible ASCII characters).
    /// </summary>
    public static string? IdempotencyKey(string? header)
    {
        if (header is null) return null;
        var key = header.Trim();
        if (key.Length >= 2 && key[0] == '"' && key[^1] == '"') key = key[1..^1];
        return Validation.IdempotencyKey(IdempotencyKeyHeader, key) is { } invalid ? throw new ProblemException(Problems.Rejected(invalid)) : key;
    }

    /// <summary>The entity tag of a document's version: <c>"N"</c>.</summary>
    public static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>A 400 naming the field and the value, shaped as the protocol's rejections are.</summary>
    public static ProblemException Invalid(string field, string? value, string reason) =>
        new(Problems.Rejected(Validation.Reject(field, value, reason)));

    private static bool TryParseETag(string text, out long version)
    {
        version = 0;
        var tag = text.Trim();
        return tag.Length >= 3 && tag[0] == '"' && tag[^1] == '"'
               && long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }

    private static async Task<byte[]> ReadAll(HttpRequest request, HttpSettings settings, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(buffer, cancellation);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ProblemException(Problems.TooLarge(settings.MaxRequestBodySize));
        }
        return buffer.ToArray();
    }

    // A body that is not JSON, or JSON that does not fit the request: the path, line and position,
    // and for a field this request does not have, the field's name and the fields it does have.
    private static ProblemException Malformed(JsonException ex, JsonTypeInfo type)
    {
        var path = ex.Path ?? "$";
        var where = $"at {path}, line {(ex.LineNumber ?? 0) + 1}, position {(ex.BytePositionInLine ?? 0) + 1}";
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";
        var unknown = type.Properties.All(p => p.Name != field.Split('.', '[')[0]) && field != "body";
        var reason = unknown
            ? $"is not a field of this request ({Fields(type)}), {where}"
            : ex.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
                ? $"has the wrong JSON type for this field ({where})"
                : $"is not valid JSON ({where}): {FirstSentence(ex.Message)}";
        var problem = Problems.Rejected(Validation.Reject(field, unknown ? field : null, reason));
        problem.Extensions["path"] = path;
        problem.Extensions["line"] = (ex.LineNumber ?? 0) + 1;
        problem.Extensions["position"] = (ex.BytePositionInLine ?? 0) + 1;
        return new ProblemException(problem);
    }

    private static string Fields(JsonTypeInfo type) => "fields: " + string.Join(", ", type.Properties.Select(p => p.Name));

    // STJ's messages end with "Path: $.x | LineNumber: 0 | BytePositionInLine: 5.", said better above.
    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message).TrimEnd('.', ' ');
    }
}
