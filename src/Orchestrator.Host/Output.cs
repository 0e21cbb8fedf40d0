using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Host;

/// <summary>
/// What the command line prints. With --json: one line of camelCase JSON on stdout, enums as their
/// upper-case names, documents (payload, result, state) embedded as JSON rather than as strings.
/// Without: short aligned lines. Errors: one line on stderr starting <c>orchestrator: </c>.
/// </summary>
internal static class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        // Read by people and scripts, never embedded in HTML: keep quotes and non-ASCII text as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Error(string message) => Console.Error.WriteLine($"orchestrator: {message.ReplaceLineEndings(" ")}");

    public static void Json(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, value.GetType(), JsonOptions));

    /// <summary>A task view as a JSON object, to which a command adds what it knows beside it.</summary>
    public static JsonObject TaskObject(TaskView task) => Object(task);

    /// <summary>A record as a JSON object, to which a command adds what it knows beside it.</summary>
    public static JsonObject Object<T>(T value) => JsonSerializer.SerializeToNode(value, JsonOptions)!.AsObject();

    /// <summary>A JSON document kept as text by the protocol, as a JSON value.</summary>
    public static JsonNode? Document(string? json) => json is null ? null : JsonNode.Parse(json);

    public static string Time(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? time) => time is { } t ? Time(t) : "-";

    /// <summary>Label and value lines, the values aligned; null values are left out.</summary>
    public static void Lines(IEnumerable<(string Label, string? Value)> lines)
    {
        var present = lines.Where(l => l.Value is not null).ToList();
        var width = present.Count == 0 ? 0 : present.Max(l => l.Label.Length);
        foreach (var (label, value) in present)
            Console.Out.WriteLine($"{label.PadRight(width)}  {value}");
    }

    /// <summary>Rows under upper-case headers, each column as wide as its widest cell.</summary>
    public static void Table(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var widths = headers.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        foreach (var row in rows.Prepend(headers))
            Console.Out.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
    }

    public static IEnumerable<(string, string?)> TaskLines(TaskView task)
    {
        yield return ("task", task.TaskId);
        yield return ("status", ProtocolNames.Of(task.Status));
        yield return ("agent", task.Agent);
        yield return ("file", task.TaskFile);
        yield return ("priority", ProtocolNames.Of(task.Priority));
        yield return ("attempts", $"{task.Attempts} of {task.MaxAttempts}");
        yield return ("depends on", task.DependsOn is { Count: > 0 } dependsOn ? string.Join(", ", dependsOn) : "-");
        if (task.Tags is { Count: > 0 } tags) yield return ("tags", string.Join(", ", tags));
        if (task.NotBefore is { } notBefore) yield return ("not before", Time(notBefore));
        if (task.Question is { } question) yield return ("question", question);
        if (task.AnswerBy is { } answerBy) yield return ("answer by", Time(answerBy));
        if (task.Claim is { } claim)
            yield return ("claim", $"{claim.ClaimId} by {claim.Agent}, attempt {claim.Attempt}, lease {Durations.Format(claim.LeaseDuration)} until {Time(claim.LeaseUntil)}");
        if (task.RetryAt is { } retryAt) yield return ("retry at", Time(retryAt));
        yield return ("reason", task.Reason);
        yield return ("defined", Time(task.DefinedAt));
        yield return ("updated", Time(task.UpdatedAt));
    }

    /// <summary>One line for a task after a transition: its status, and when it retries or why it ended.</summary>
    public static string Transitioned(TaskView task) =>
        $"task '{task.TaskId}' is {ProtocolNames.Of(task.Status)}"
        + (task.RetryAt is { } retryAt ? $", retry at {Time(retryAt)} (attempt {task.Attempts} of {task.MaxAttempts} failed)" : "")
        + (task.Reason is { } reason && task.Status is not TaskState.Failed ? $": {reason}" : "");
}
