using System.Text.Json;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// A JSON-valued tool argument (payload, result, json): a JSON value as it is, or a string holding
/// JSON as the value it holds. Models often send a document as a string of JSON; a string that holds
/// no JSON (<c>"3 files changed"</c>) is kept as that string, a JSON string value.
/// </summary>
public static class JsonArgument
{
    /// <summary>The value <paramref name="argument"/> stands for; null when it was left out or is JSON null.</summary>
    public static JsonElement? Value(JsonElement? argument)
    {
        if (argument is not { } value || value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) return value;
        try
        {
            using var document = JsonDocument.Parse(value.GetString()!);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return value;
        }
    }
}
