using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// The idempotency keys a namespace remembers (<see cref="NamespacedRequest.IdempotencyKey"/>): each
/// for <see cref="Kept"/> after its change, and at most the newest <see cref="MaxKept"/>, the oldest
/// forgotten first. Immutable, kept by <see cref="OrchestratorDomain.Apply"/> from the journaled
/// <see cref="RequestKeyed"/> events, so a replay remembers what the live state did.
/// </summary>
public sealed class RequestKeys
{
    /// <summary>How long a key is remembered after its change: a retry comes within it.</summary>
    public static readonly TimeSpan Kept = TimeSpan.FromHours(24);

    /// <summary>The most keys remembered per namespace (about 300 bytes each).</summary>
    public const int MaxKept = 100_000;

    /// <summary>Remembers nothing.</summary>
    public static RequestKeys Empty { get; } = new(ImmutableDictionary.Create<string, RequestKeyed>(StringComparer.Ordinal), ImmutableQueue<RequestKeyed>.Empty);

    private readonly ImmutableDictionary<string, RequestKeyed> _byKey;
    private readonly ImmutableQueue<RequestKeyed> _oldestFirst;

    private RequestKeys(ImmutableDictionary<string, RequestKeyed> byKey, ImmutableQueue<RequestKeyed> oldestFirst) =>
        (_byKey, _oldestFirst) = (byKey, oldestFirst);

    /// <summary>The keys remembered.</summary>
    public int Count => _byKey.Count;

    /// <summary>What was done under <paramref name="key"/>, if it is remembered.</summary>
    public bool TryGet(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out RequestKeyed done) => _byKey.TryGetValue(key, out done);

    /// <summary>The keys remembered, oldest first (for a snapshot).</summary>
    public IReadOnlyList<RequestKeyed> OldestFirst() => [.. _oldestFirst];

    /// <summary>
    /// These keys and <paramref name="keyed"/>, less those it makes too old (decided more than
    /// <see cref="Kept"/> before it) or too many. A key already remembered is replaced.
    /// </summary>
    public RequestKeys Add(RequestKeyed keyed)
    {
        var byKey = _byKey;
        var queue = _oldestFirst;
        if (byKey.TryGetValue(keyed.Key, out var replaced)) queue = ImmutableQueue.CreateRange(queue.Where(k => !ReferenceEquals(k, replaced)));
        byKey = byKey.SetItem(keyed.Key, keyed);
        queue = queue.Enqueue(keyed);
        while (!queue.IsEmpty && (byKey.Count > MaxKept || queue.Peek().At < keyed.At - Kept))
        {
            queue = queue.Dequeue(out var oldest);
            byKey = byKey.Remove(oldest.Key);
        }
        return new RequestKeys(byKey, queue);
    }

    /// <summary>The keys of a snapshot, oldest first, as <see cref="Add"/> one by one would leave them.</summary>
    public static RequestKeys Of(IEnumerable<RequestKeyed>? oldestFirst)
    {
        var keys = Empty;
        foreach (var keyed in oldestFirst ?? []) keys = keys.Add(keyed);
        return keys;
    }

    /// <summary>
    /// True for the changes a key is remembered for: those that would do something again if sent
    /// again (a claim, a save, a completion, a failure, a cancel, a requeue, a question, an answer). A definition, a
    /// registration and a heartbeat are idempotent by themselves: their key is checked, not kept.
    /// </summary>
    public static bool Remembers(IStateManagerCommand command) =>
        command is ClaimTask or SaveState or CompleteTask or FailTask or CancelTask or RequeueDeadTask or RequestInput or ProvideInput;

    /// <summary>
    /// The request's digest: SHA-256 of its JSON (as <see cref="OrchestratorSerializer"/> writes it)
    /// without its namespace, trace context, deadline and key, the first 16 bytes in hex. Null when
    /// it cannot be written as JSON (text that is not valid Unicode, a required field null: what the input rules refuse).
    /// </summary>
    public static string? Fingerprint(NamespacedRequest request)
    {
        var bare = request with { Namespace = Namespaces.Default, TraceParent = null, Within = null, IdempotencyKey = null };
        var contract = OrchestratorJsonContext.Default.GetTypeInfo(bare.GetType())
                       ?? throw new ArgumentException($"{bare.GetType().Name} has no JSON contract", nameof(request));
        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(bare, contract)).AsSpan(0, 16));
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException)
        {
            // A lone surrogate (the writer refuses invalid UTF-16), or null where the contract has none.
            return null;
        }
    }

    /// <summary>
    /// What to remember of a change under <paramref name="key"/>, from its first answer; null when the
    /// answer is not one that did something (a refusal, no task ready).
    /// </summary>
    public static RequestKeyed? Record(string key, string fingerprint, IOrchestratorReply reply, DateTimeOffset now) => reply switch
    {
        TaskAssigned a => new RequestKeyed(key, fingerprint, a.Task.TaskId, a.ClaimId, a.LeaseUntil, null, now),
        StateSaved s => new RequestKeyed(key, fingerprint, null, null, null, s.Version, now),
        TaskUpdated u => new RequestKeyed(key, fingerprint, u.Task.TaskId, null, null, null, now),
        _ => null,
    };

    /// <summary>
    /// The answer to <paramref name="command"/> sent again under a key it was done under: the first
    /// answer, with the task as it is now (a claim's lease as renewed since, while the claim lasts).
    /// </summary>
    public static IOrchestratorReply Repeat(OrchestratorState state, IStateManagerCommand command, RequestKeyed done)
    {
        if (command is SaveState save) return new StateSaved(save.OwnerId, save.Key, done.Version ?? 0);
        if (done.TaskId is null || !state.Tasks.TryGetValue(done.TaskId, out var task)) return new TaskNotFound(done.TaskId ?? "");
        if (command is not ClaimTask) return new TaskUpdated(task.ToView());
        var lease = task.Claim is { } current && current.ClaimId == done.ClaimId ? current.LeaseUntil : done.LeaseUntil ?? done.At;
        return new TaskAssigned(task.ToView(), done.ClaimId ?? "", lease, task.Payload) { Input = task.Input };
    }
}
