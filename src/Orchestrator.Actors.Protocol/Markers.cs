namespace Orchestrator.Actors.Protocol;

/// <summary>
/// Every type that crosses a process boundary or reaches the journal implements this marker.
/// It is bound to <see cref="Serialization.OrchestratorSerializer"/> in <c>hocon.conf</c>.
/// </summary>
public interface IOrchestratorMessage;

/// <summary>
/// A message for the state manager of one namespace. Each namespace has its own state manager,
/// journal (persistence id <c>state-manager-NAMESPACE</c>) and subscriptions, so unrelated teams or
/// workflows never contend.
/// </summary>
public interface INamespaced : IOrchestratorMessage
{
    /// <summary>The namespace (see <see cref="Namespaces"/>); <see cref="Namespaces.Default"/> unless set.</summary>
    string Namespace { get; }
}

/// <summary>A request addressed to the state manager: a command that may change state, or a query.</summary>
public interface IStateManagerRequest : INamespaced;

/// <summary>A request that may change state. Its reply goes out only after the journal confirmed the write.</summary>
public interface IStateManagerCommand : IStateManagerRequest;

/// <summary>A read-only request, answered from the state the journal has confirmed.</summary>
public interface IStateManagerQuery : IStateManagerRequest;

/// <summary>A reply from the state manager.</summary>
public interface IOrchestratorReply : IOrchestratorMessage;

/// <summary>A journaled event. Events are facts: they are never rejected when replayed.</summary>
public interface IOrchestratorEvent : IOrchestratorMessage;

/// <summary>A snapshot of the whole state of one state manager.</summary>
public interface IOrchestratorSnapshot : IOrchestratorMessage;

/// <summary>
/// The base of every request: it carries its namespace, <see cref="Namespaces.Default"/> unless set
/// (<c>new GetStats { Namespace = "team-a" }</c>, or <c>request with { Namespace = "team-a" }</c>).
/// On the wire it is the optional field <c>namespace</c>: a request written before namespaces
/// existed reads as one for the default namespace.
/// </summary>
public abstract record NamespacedRequest : INamespaced
{
    // The source-generated JSON reader sets init-only properties even when the field is absent
    // (to null): null reads as the default namespace, so old and new senders compare equal.
    private readonly string _namespace = Namespaces.Default;

    /// <inheritdoc />
    public string Namespace
    {
        get => _namespace;
        init => _namespace = value ?? Namespaces.Default;
    }

    /// <summary>
    /// The sender's W3C trace context (<c>traceparent</c>, <c>00-TRACEID-SPANID-FLAGS</c>), which the
    /// state manager's spans continue; null when the sender traces nothing. On the wire the optional
    /// field <c>traceParent</c>, left out when null. It is not part of the request's identity: two
    /// requests that differ only in it are equal.
    /// </summary>
    [System.Text.Json.Serialization.JsonPropertyName("traceParent")]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; }

    /// <summary>
    /// How long the sender waits for the answer (its timeout). A change still undecided that long after
    /// it reached the node that decides it (held while the state manager restarted, or queued) is
    /// dropped, answered <c>OrchestratorUnavailable</c> "expired … nothing was done", instead of done
    /// after its sender gave up (a claim nobody holds, a save that lands after the sender retried).
    /// Null: no deadline. On the wire the optional field <c>within</c>, left out when null; not part
    /// of the request's identity.
    /// </summary>
    [System.Text.Json.Serialization.JsonPropertyName("within")]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public TimeSpan? Within { get; init; }

    /// <summary>
    /// The sender's name for this change, so that sending it again (after an answer that was lost, a
    /// timeout, or "unavailable") does it at most once: a change that was done under this key is
    /// answered as it was the first time, and nothing is done again; the same key on a different
    /// request is refused. 1-200 visible ASCII characters (a UUID serves); kept per namespace for 24
    /// hours or the newest 100,000 keys (see <c>RequestKeys</c> in the domain). Null: no key. On the
    /// wire the optional field <c>idempotencyKey</c>, left out when null; not part of the request's identity.
    /// </summary>
    [System.Text.Json.Serialization.JsonPropertyName("idempotencyKey")]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// When the request reached the node that decides it, on that node's monotonic clock (set there,
    /// never sent): <see cref="Within"/> counts from it.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan? ArrivedAt { get; init; }

    /// <summary>Equal when of the same type, in the same namespace, with equal fields; <see cref="TraceParent"/>, <see cref="Within"/>, <see cref="IdempotencyKey"/> and <see cref="ArrivedAt"/> aside.</summary>
    public virtual bool Equals(NamespacedRequest? other) =>
        ReferenceEquals(this, other) || (other is not null && EqualityContract == other.EqualityContract && _namespace == other._namespace);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(EqualityContract, _namespace);
}

/// <summary>Namespace names.</summary>
public static class Namespaces
{
    /// <summary>The namespace of a request that names none.</summary>
    public const string Default = "default";

    /// <summary>The longest namespace name.</summary>
    public const int MaxLength = 64;

    /// <summary>
    /// Null when <paramref name="name"/> is a valid namespace: 1-64 ASCII letters, digits, '.', '_'
    /// or '-', starting with a letter or digit (it becomes a persistence id, an actor name and a
    /// shard entity id as it is); otherwise why not.
    /// </summary>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "must not be empty";
        if (name.Length > MaxLength) return $"is {name.Length} characters long; at most {MaxLength} are allowed";
        if (!char.IsAsciiLetterOrDigit(name[0])) return "must start with an ASCII letter or digit";
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
                return $"contains '{c}'; only ASCII letters, digits, '.', '_' and '-' are allowed";
        }
        return null;
    }
}

/// <summary>Version of the message protocol. Manifests carry it as their <c>.vN</c> suffix.</summary>
public static class ProtocolVersion
{
    /// <summary>The protocol version this build speaks.</summary>
    public const int Current = 1;
}
