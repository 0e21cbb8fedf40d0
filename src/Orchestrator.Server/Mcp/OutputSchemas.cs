using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// A JSON value of any kind (a payload, a result, a document) is the schema <c>true</c> in the
/// schemas the SDK generates: valid JSON Schema, but the TypeScript SDK (1.32) accepts only an
/// object there and refuses the whole tool list. Written as <c>{}</c>, which means the same.
/// </summary>
public static class OutputSchemas
{
    private static readonly string[] SchemaMaps = ["properties", "$defs", "definitions"];
    private static readonly string[] SchemaSlots = ["items", "additionalProperties"];

    /// <summary><paramref name="schema"/> with every boolean subschema written as an object.</summary>
    public static JsonElement? Plain(JsonElement? schema)
    {
        if (schema is not { ValueKind: JsonValueKind.Object } value) return schema;
        var node = JsonNode.Parse(value.GetRawText())!;
        Rewrite(node);
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    private static void Rewrite(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToList())
                {
                    if (SchemaMaps.Contains(name) && child is JsonObject map)
                        foreach (var (key, sub) in map.ToList())
                            if (IsTrue(sub)) map[key] = new JsonObject();
                    if (SchemaSlots.Contains(name) && IsTrue(child)) obj[name] = new JsonObject();
                    Rewrite(obj[name]);
                }
                break;
            case JsonArray array:
                foreach (var item in array) Rewrite(item);
                break;
        }
    }

    private static bool IsTrue(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.True;
}
