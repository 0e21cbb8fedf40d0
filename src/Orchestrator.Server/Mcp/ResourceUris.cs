namespace Orchestrator.Server.Mcp;

/// <summary>What a resource URI names: a task, or a saved document, in a namespace.</summary>
/// <param name="Namespace">The namespace.</param>
/// <param name="TaskId">The task's id, for a task.</param>
/// <param name="OwnerId">The document's owner, for a document.</param>
/// <param name="Key">The document's key, for a document.</param>
public sealed record ResourceAddress(string Namespace, string? TaskId = null, string? OwnerId = null, string? Key = null);

/// <summary>
/// The resources' URIs: <c>orchestrator://{namespace}/tasks/{taskId}</c> and
/// <c>orchestrator://{namespace}/state/{ownerId}/{key}</c>, each part percent-encoded (a task id
/// with a <c>/</c> has it as <c>%2F</c>).
/// </summary>
public static class ResourceUris
{
    /// <summary>The scheme of every resource of this server.</summary>
    public const string Scheme = "orchestrator";

    /// <summary>The template of a task's URI.</summary>
    public const string TaskTemplate = Scheme + "://{namespace}/tasks/{taskId}";

    /// <summary>The template of a document's URI.</summary>
    public const string StateTemplate = Scheme + "://{namespace}/state/{ownerId}/{key}";

    /// <summary>What a refusal of a URI says is expected.</summary>
    public const string Expected = "expected " + TaskTemplate + " or " + StateTemplate;

    /// <summary>The URI of a task.</summary>
    public static string Task(string @namespace, string taskId) => $"{Scheme}://{E(@namespace)}/tasks/{E(taskId)}";

    /// <summary>The URI of a saved document.</summary>
    public static string State(string @namespace, string ownerId, string key) => $"{Scheme}://{E(@namespace)}/state/{E(ownerId)}/{E(key)}";

    /// <summary>What <paramref name="uri"/> names, or null when it is not one of this server's resources.</summary>
    public static ResourceAddress? Parse(string? uri)
    {
        const string prefix = Scheme + "://";
        if (uri is null || !uri.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var parts = uri[prefix.Length..].Split('/');
        if (parts.Any(p => p.Length == 0)) return null;
        var decoded = parts.Select(Uri.UnescapeDataString).ToArray();
        return decoded switch
        {
            [var ns, "tasks", var taskId] => new ResourceAddress(ns, TaskId: taskId),
            [var ns, "state", var owner, var key] => new ResourceAddress(ns, OwnerId: owner, Key: key),
            _ => null,
        };
    }

    private static string E(string part) => Uri.EscapeDataString(part);
}
