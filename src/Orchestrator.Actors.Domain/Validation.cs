using System.Text;
using System.Text.Json;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

/// <summary>Input rules. Each check returns null when the value is fine, or the rejection that names it.</summary>
public static class Validation
{
    /// <summary>The longest id (task, owner, key).</summary>
    public const int MaxIdLength = 200;

    /// <summary>The longest agent name or task file.</summary>
    public const int MaxTextLength = 1000;

    /// <summary>The most capabilities an agent may register.</summary>
    public const int MaxCapabilities = 100;

    private const int MaxEchoedValueLength = 100;

    /// <summary>Ids: 1-200 characters of ASCII letters, digits and <c>._:/-</c>.</summary>
    public static CommandRejected? Id(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
            return Reject(field, value, "must not be empty");
        if (value.Length > MaxIdLength)
            return Reject(field, value, $"is {value.Length} characters long; at most {MaxIdLength} are allowed");
        foreach (var c in value)
        {
            if (!IsIdChar(c))
                return Reject(field, value, $"contains '{Printable(c)}'; only ASCII letters, digits and . _ : / - are allowed");
        }
        return null;
    }

    /// <summary>Free text such as an agent name or a task file: non-blank, at most 1,000 characters, valid Unicode.</summary>
    public static CommandRejected? Text(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return Reject(field, value, "must not be empty");
        if (value.Length > MaxTextLength)
            return Reject(field, value, $"is {value.Length} characters long; at most {MaxTextLength} are allowed");
        return Utf8ByteCount(value) is null ? Reject(field, value, InvalidUnicode) : null;
    }

    /// <summary>
    /// A name (an agent, a task file, a capability, who caused a change): text as <see cref="Text"/>
    /// without control characters (escape codes, newlines, tabs), which would reach terminals and logs
    /// as they are.
    /// </summary>
    public static CommandRejected? Name(string field, string? value)
    {
        if (Text(field, value) is { } invalid) return invalid;
        foreach (var c in value!)
        {
            if (char.IsControl(c))
                return Reject(field, value, $"contains the control character {Printable(c)}; a name may not (it would reach terminals and logs as it is)");
        }
        return null;
    }

    /// <summary>
    /// An agent's name: a <see cref="Name"/>, not <c>*</c> (which only a definition may name, for any
    /// agent), and not a name the history uses for causes that are not agents (<c>orchestrator</c>, <c>operator</c>).
    /// </summary>
    public static CommandRejected? AgentName(string field, string? value) =>
        Name(field, value)
        ?? (value == ProtocolNames.AnyAgent
            ? Reject(field, value, "must name one agent; '*' (any agent) is only for task definitions")
            : null)
        ?? (value is Causes.Orchestrator or Causes.Operator
            ? Reject(field, value, "is reserved: the history uses it for transitions no agent caused")
            : null);

    /// <summary>
    /// A subscription's filter: no agent, <c>*</c> (the tasks defined for any agent) or an agent's
    /// name; no task or a task id. The gateway and the doors that filter a shared feed check it here.
    /// </summary>
    public static CommandRejected? SubscriptionFilter(string? agent, string? taskId) =>
        (agent is null or ProtocolNames.AnyAgent ? null : AgentName("agent", agent))
        ?? (taskId is null ? null : Id("taskId", taskId));

    /// <summary>Who caused a change, for the history: optional free text, not <c>orchestrator</c> (the state manager's own timers).</summary>
    public static CommandRejected? By(string field, string? value) =>
        (value is null ? null : Name(field, value))
        ?? (value == Causes.Orchestrator
            ? Reject(field, value, "is reserved for the state manager's own transitions (lease expiry, retries)")
            : null);

    /// <summary>The most tags a task may carry.</summary>
    public const int MaxTags = 20;

    /// <summary>The longest tag.</summary>
    public const int MaxTagLength = 64;

    /// <summary>A task's tags: at most 20, each 1-64 ASCII letters, digits and <c>._:/=-</c>.</summary>
    public static CommandRejected? Tags(string field, IReadOnlyList<string>? tags)
    {
        if (tags is null) return null;
        if (tags.Count > MaxTags) return Reject(field, $"{tags.Count} tags", $"lists too many; at most {MaxTags} are allowed");
        foreach (var tag in tags) if (Tag(field, tag) is { } invalid) return invalid;
        return null;
    }

    /// <summary>One tag: 1-64 ASCII letters, digits and <c>._:/=-</c>.</summary>
    public static CommandRejected? Tag(string field, string? tag)
    {
        if (string.IsNullOrEmpty(tag)) return Reject(field, tag, "must not hold an empty tag");
        if (tag.Length > MaxTagLength) return Reject(field, tag, $"holds a tag {tag.Length} characters long; at most {MaxTagLength} are allowed");
        foreach (var c in tag)
        {
            if (!IsIdChar(c) && c != '=')
                return Reject(field, tag, $"holds a tag with '{Printable(c)}'; only ASCII letters, digits and . _ : / = - are allowed");
        }
        return null;
    }

    /// <summary>An idempotency key: 1-200 visible ASCII characters (no spaces, no control characters).</summary>
    public static CommandRejected? IdempotencyKey(string field, string value)
    {
        if (value.Length == 0) return Reject(field, value, "must not be empty; leave the key out for a request without one");
        if (value.Length > MaxIdLength) return Reject(field, value, $"is {value.Length} characters long; at most {MaxIdLength} are allowed");
        foreach (var c in value)
        {
            if (c is < '!' or > '~')
                return Reject(field, value, $"contains '{Printable(c)}'; only visible ASCII characters are allowed (a UUID serves)");
        }
        return null;
    }

    /// <summary>An optional lease duration within the policy's bounds.</summary>
    public static CommandRejected? Lease(string field, TimeSpan? lease, LifecyclePolicy policy) =>
        lease is { } l && (l < policy.ShortestLease || l > policy.LongestLease)
            ? Reject(field, ProtocolNames.Of(l), $"must be between {ProtocolNames.Of(policy.ShortestLease)} and {ProtocolNames.Of(policy.LongestLease)}")
            : null;

    /// <summary>A priority name, case-insensitive; null or empty means MEDIUM.</summary>
    public static CommandRejected? Priority(string? value, out TaskPriority priority)
    {
        priority = TaskPriority.Medium;
        if (string.IsNullOrWhiteSpace(value)) return null;
        return ProtocolNames.TryParsePriority(value, out priority)
            ? null
            : Reject("priority", value, $"unknown priority; expected one of {ProtocolNames.AllNames<TaskPriority>()}");
    }

    /// <summary>A JSON document: well-formed, at most <paramref name="maxBytes"/> UTF-8 bytes.</summary>
    public static CommandRejected? JsonDocumentText(string field, string? json, int maxBytes)
    {
        if (json is null)
            return Reject(field, null, "must be a JSON document");
        if (Utf8ByteCount(json) is not { } bytes)
            return Reject(field, json, InvalidUnicode);
        if (bytes > maxBytes)
            return Reject(field, null, $"is {bytes:N0} bytes; at most {maxBytes:N0} bytes are allowed");
        try
        {
            using var _ = JsonDocument.Parse(json);
            return null;
        }
        catch (JsonException ex)
        {
            return Reject(field, json, $"is not valid JSON ({ex.Message})");
        }
    }

    /// <summary>
    /// The rejection naming <paramref name="field"/> and echoing its value, shortened so that a huge
    /// value never floods a log or a reply, and with any control character escaped.
    /// </summary>
    public static CommandRejected Reject(string field, string? value, string reason) =>
        new(field, Shorten(Escaped(value)), reason);

    // A value echoed in an answer (and so in a CLI's error line or a log) shows control characters as \uXXXX.
    private static string? Escaped(string? value)
    {
        if (value is null || !value.Any(char.IsControl)) return value;
        var escaped = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (char.IsControl(c)) escaped.Append(Printable(c));
            else escaped.Append(c);
        }
        return escaped.ToString();
    }

    private const string InvalidUnicode = "is not valid Unicode text (it contains a lone surrogate)";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // A lone surrogate would be stored as U+FFFD (so an identical retry would later conflict) and
    // makes JsonDocument.Parse throw ArgumentException instead of JsonException.
    private static int? Utf8ByteCount(string value)
    {
        try
        {
            return StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException)
        {
            return null;
        }
    }

    private static bool IsIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '/' or '-';

    private static string Printable(char c) => char.IsControl(c) || char.IsWhiteSpace(c) ? $"\\u{(int)c:x4}" : c.ToString();

    private static string? Shorten(string? value) =>
        value is { Length: > MaxEchoedValueLength } ? value[..MaxEchoedValueLength] + "…" : value;
}
