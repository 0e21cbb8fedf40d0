using System.Text.Json.Serialization;

namespace Orchestrator.Actors.Protocol;

/// <summary>How urgent a task is. Higher priorities are handed out first.</summary>
[JsonConverter(typeof(StrictEnumConverter<TaskPriority>))]
public enum TaskPriority
{
    /// <summary>Most urgent.</summary>
    [JsonStringEnumMemberName("CRITICAL")] Critical = 0,
    /// <summary>Urgent.</summary>
    [JsonStringEnumMemberName("HIGH")] High = 1,
    /// <summary>The default.</summary>
    [JsonStringEnumMemberName("MEDIUM")] Medium = 2,
    /// <summary>Least urgent.</summary>
    [JsonStringEnumMemberName("LOW")] Low = 3,
}

/// <summary>Where a task is in its lifecycle.</summary>
[JsonConverter(typeof(StrictEnumConverter<TaskState>))]
public enum TaskState
{
    /// <summary>Defined and waiting for the tasks it depends on.</summary>
    [JsonStringEnumMemberName("PENDING")] Pending = 0,
    /// <summary>Defined and ready to be claimed.</summary>
    [JsonStringEnumMemberName("READY")] Ready = 1,
    /// <summary>Held by an agent under a lease.</summary>
    [JsonStringEnumMemberName("CLAIMED")] Claimed = 2,
    /// <summary>Done.</summary>
    [JsonStringEnumMemberName("COMPLETED")] Completed = 3,
    /// <summary>Failed; will be retried.</summary>
    [JsonStringEnumMemberName("FAILED")] Failed = 4,
    /// <summary>Failed and out of retries.</summary>
    [JsonStringEnumMemberName("DEAD")] Dead = 5,
    /// <summary>Cancelled by an operator.</summary>
    [JsonStringEnumMemberName("CANCELLED")] Cancelled = 6,
    /// <summary>Its holder asked for input (a human's or another agent's); READY again once it is given.</summary>
    [JsonStringEnumMemberName("WAITING")] Waiting = 7,
}

/// <summary>How a claim ended: kept on the task to tell an idempotent repeat from a stale message.</summary>
[JsonConverter(typeof(StrictEnumConverter<ClaimOutcome>))]
public enum ClaimOutcome
{
    /// <summary>Its holder completed the task.</summary>
    [JsonStringEnumMemberName("COMPLETED")] Completed = 0,
    /// <summary>Its holder reported a failure.</summary>
    [JsonStringEnumMemberName("FAILED")] Failed = 1,
    /// <summary>Its lease ran out without a heartbeat.</summary>
    [JsonStringEnumMemberName("EXPIRED")] Expired = 2,
    /// <summary>The task was cancelled while claimed.</summary>
    [JsonStringEnumMemberName("CANCELLED")] Cancelled = 3,
    /// <summary>Its holder asked for input: the task is WAITING.</summary>
    [JsonStringEnumMemberName("WAITING")] Waiting = 4,
}

/// <summary>What became of one definition of a batch (<see cref="Commands.DefineTasks"/>).</summary>
[JsonConverter(typeof(StrictEnumConverter<DefinitionOutcome>))]
public enum DefinitionOutcome
{
    /// <summary>Defined now; its event is journaled.</summary>
    [JsonStringEnumMemberName("created")] Created = 0,
    /// <summary>The identical definition existed already (or came earlier in the batch); nothing written for it.</summary>
    [JsonStringEnumMemberName("unchanged")] Unchanged = 1,
    /// <summary>The id exists with a different definition; nothing written for it.</summary>
    [JsonStringEnumMemberName("conflict")] Conflict = 2,
    /// <summary>The definition breaks an input rule; nothing written for it.</summary>
    [JsonStringEnumMemberName("invalid")] Invalid = 3,
}

/// <summary>Wire names of the enums, shared by parsing and error messages.</summary>
public static class ProtocolNames
{
    /// <summary>The agent name that means "any agent".</summary>
    public const string AnyAgent = "*";

    /// <summary>The wire name of a priority (upper case).</summary>
    public static string Of(TaskPriority priority) => priority.ToString().ToUpperInvariant();

    /// <summary>The wire name of a status (upper case).</summary>
    public static string Of(TaskState status) => status.ToString().ToUpperInvariant();

    /// <summary>The wire name of a definition's outcome (lower case).</summary>
    public static string Of(DefinitionOutcome outcome) => outcome.ToString().ToLowerInvariant();

    /// <summary>Parses a priority, case-insensitively. Numbers are not accepted.</summary>
    public static bool TryParsePriority(string? text, out TaskPriority priority) => TryParseName(text, out priority);

    /// <summary>Parses a status, case-insensitively. Numbers are not accepted.</summary>
    public static bool TryParseStatus(string? text, out TaskState status) => TryParseName(text, out status);

    /// <summary>A duration as clients write it (<c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>): the largest unit that divides it.</summary>
    public static string Of(TimeSpan duration) => duration.TotalMilliseconds switch
    {
        var ms when ms % 3_600_000 == 0 && ms > 0 => $"{ms / 3_600_000:0}h",
        var ms when ms % 60_000 == 0 && ms > 0 => $"{ms / 60_000:0}m",
        var ms when ms % 1_000 == 0 => $"{ms / 1_000:0}s",
        var ms => $"{ms:0}ms",
    };

    /// <summary>"CRITICAL, HIGH, MEDIUM, LOW": the accepted names, for error messages.</summary>
    public static string AllNames<TEnum>() where TEnum : struct, Enum =>
        string.Join(", ", Enum.GetValues<TEnum>().Select(v => v.ToString().ToUpperInvariant()));

    private static bool TryParseName<TEnum>(string? text, out TEnum value) where TEnum : struct, Enum
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        // Enum.TryParse would also take "2" or "HIGH,LOW" (flags); only one name is part of the protocol.
        var trimmed = text.AsSpan().Trim();
        foreach (var (name, named) in Names<TEnum>.All)
        {
            if (!trimmed.Equals(name, StringComparison.OrdinalIgnoreCase)) continue;
            value = named;
            return true;
        }
        return false;
    }

    // Each enum's names and values, read once (this is on the path of every definition).
    private static class Names<TEnum> where TEnum : struct, Enum
    {
        public static readonly (string Name, TEnum Value)[] All =
            Enum.GetValues<TEnum>().Select(v => (v.ToString(), v)).ToArray();
    }
}

/// <summary>Enums travel as their names only (upper case, or lower case for <see cref="DefinitionOutcome"/>): a number in a payload is an error, not a value.</summary>
public sealed class StrictEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false)
    where TEnum : struct, Enum;
