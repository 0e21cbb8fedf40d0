using System.Text;
using System.Text.Json;
using Orchestrator.Actors.Protocol.Commands;

namespace Orchestrator.Host;

/// <summary>
/// The file of <c>define --from-file</c>: JSON Lines, one definition per non-blank line,
/// <c>{"taskId", "agent", "taskFile", "priority"?, "dependsOn"?, "maxAttempts"?, "payload"?, "by"?, "tags"?, "notBefore"?}</c>.
/// Only the shape is checked here, so that a malformed file sends nothing; the rules on the values
/// are the orchestrator's, which answers a definition that breaks one as invalid.
/// </summary>
internal static class DefinitionFile
{
    /// <summary>A definition, the line (from 1) it was read from, and that line's length in UTF-8 bytes.</summary>
    public sealed record Line(int Number, DefineTask Definition, int Bytes);

    private static readonly string[] Fields = ["taskId", "agent", "taskFile", "priority", "dependsOn", "maxAttempts", "payload", "by", "tags", "notBefore"];

    /// <exception cref="CommandLineException">The file cannot be read, holds no definition, or a line is not one (naming the line and why).</exception>
    public static async Task<IReadOnlyList<Line>> ReadAsync(string path, CancellationToken cancellation)
    {
        string[] lines;
        try
        {
            lines = await File.ReadAllLinesAsync(path, cancellation);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CommandLineException($"cannot read --from-file '{path}': {ex.Message}");
        }

        var definitions = new List<Line>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var problem = TryParse(lines[i], out var definition);
            if (problem is not null) throw new CommandLineException($"invalid --from-file '{path}' line {i + 1}: {problem}");
            definitions.Add(new Line(i + 1, definition!, Encoding.UTF8.GetByteCount(lines[i])));
        }
        return definitions.Count > 0
            ? definitions
            : throw new CommandLineException($"invalid --from-file '{path}': it holds no definition (one JSON object per line)");
    }

    /// <summary>
    /// The lines in file order, in messages of at most <paramref name="maxDefinitions"/> lines and
    /// <paramref name="maxBytes"/> bytes of them (a longer line goes alone), so that each message
    /// fits in a remoting frame.
    /// </summary>
    public static IEnumerable<IReadOnlyList<Line>> Messages(IReadOnlyList<Line> lines, int maxDefinitions, long maxBytes)
    {
        var message = new List<Line>();
        long bytes = 0;
        foreach (var line in lines)
        {
            if (message.Count > 0 && (message.Count == maxDefinitions || bytes + line.Bytes > maxBytes))
            {
                yield return message;
                (message, bytes) = ([], 0);
            }
            message.Add(line);
            bytes += line.Bytes;
        }
        if (message.Count > 0) yield return message;
    }

    // Null when the line is a definition, otherwise what is wrong with it.
    private static string? TryParse(string text, out DefineTask? definition)
    {
        definition = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            return $"not JSON ({ex.Message})";
        }

        using (document)
        {
            var line = document.RootElement;
            if (line.ValueKind != JsonValueKind.Object) return $"expected a JSON object, found {Kind(line)}";
            foreach (var field in line.EnumerateObject())
            {
                if (!Fields.Contains(field.Name, StringComparer.Ordinal))
                    return $"unknown field '{field.Name}'; the fields are {string.Join(", ", Fields)}";
            }

            string? problem = null;
            var taskId = Text(line, "taskId", required: true, ref problem);
            var agent = Text(line, "agent", required: true, ref problem);
            var taskFile = Text(line, "taskFile", required: true, ref problem);
            var priority = Text(line, "priority", required: false, ref problem);
            var dependsOn = Ids(line, "dependsOn", ref problem);
            var tags = Ids(line, "tags", ref problem, "tags");
            var notBefore = Time(line, "notBefore", ref problem);
            var maxAttempts = Number(line, "maxAttempts", ref problem);
            var by = Text(line, "by", required: false, ref problem);
            // Any JSON value, kept as written (as --payload is).
            var payload = line.TryGetProperty("payload", out var p) && p.ValueKind != JsonValueKind.Null ? p.GetRawText() : null;
            if (problem is not null) return problem;
            definition = new DefineTask(taskId!, agent!, taskFile!, priority, dependsOn, maxAttempts, payload, by, tags, notBefore);
            return null;
        }
    }

    private static string? Text(JsonElement line, string field, bool required, ref string? problem)
    {
        if (!line.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) problem ??= $"'{field}' is missing";
            return null;
        }
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        problem ??= $"'{field}' must be a string, not {Kind(value)}";
        return null;
    }

    private static IReadOnlyList<string>? Ids(JsonElement line, string field, ref string? problem, string what = "task ids")
    {
        if (!line.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(id => id.ValueKind == JsonValueKind.String))
            return value.EnumerateArray().Select(id => id.GetString()!).ToList();
        problem ??= $"'{field}' must be an array of {what} (strings)";
        return null;
    }

    private static DateTimeOffset? Time(JsonElement line, string field, ref string? problem)
    {
        if (!line.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time)) return time;
        problem ??= $"'{field}' must be a time in ISO 8601 with an offset (2026-12-24T09:00:00Z), not {(value.ValueKind == JsonValueKind.String ? $"'{value.GetString()}'" : Kind(value))}";
        return null;
    }

    private static int? Number(JsonElement line, string field, ref string? problem)
    {
        if (!line.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)) return number;
        problem ??= $"'{field}' must be a whole number, not {(value.ValueKind == JsonValueKind.Number ? value.GetRawText() : Kind(value))}";
        return null;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
