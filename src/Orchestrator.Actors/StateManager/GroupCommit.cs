using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.StateManager;

/// <summary>
/// The group commit of one state manager, without the actor: commands are decided against the
/// confirmed state plus what is pending (<see cref="Projected"/>), wait while one write is in flight,
/// and go to the journal together in the next write, at most <c>maxBatchEvents</c> events at a time
/// (a lone larger request goes alone). A write the journal refused is answered as not written and
/// what waited behind it is decided again against the confirmed state. Replies leave only through
/// <see cref="Confirm"/>, after the journal confirmed. <typeparamref name="TAsker"/> is whoever gets
/// the reply; this class never sends anything. A write also holds at most <c>maxBatchBytes</c> by
/// <see cref="EventSizes.UpperBound"/> (one journal row: SQLite's blob, PostgreSQL's bytea and .NET's
/// arrays have limits), a lone larger request again going alone.
/// </summary>
public sealed class GroupCommit<TAsker>(OrchestratorState confirmed, int maxBatchEvents, long maxBatchBytes = long.MaxValue)
{
    private List<Request> _pending = [];
    private List<Request> _inFlight = [];

    /// <summary>The state the journal confirmed: queries read this.</summary>
    public OrchestratorState Confirmed { get; private set; } = confirmed;

    /// <summary>The confirmed state plus every decided request not yet confirmed: commands are decided against this.</summary>
    public OrchestratorState Projected { get; private set; } = confirmed;

    /// <summary>True while a write is in flight.</summary>
    public bool IsWriting => _inFlight.Count > 0;

    /// <summary>True when nothing is in flight or waiting.</summary>
    public bool IsIdle => _inFlight.Count == 0 && _pending.Count == 0;

    /// <summary>Requests decided and waiting for the next write.</summary>
    public int Pending => _pending.Count;

    /// <summary>
    /// Decides <paramref name="command"/> against <see cref="Projected"/>. A read-only decision with
    /// nothing before it is answered at once (the returned reply); anything else waits for a write
    /// (null is returned), since a reply that depends on pending writes must not overtake them.
    /// </summary>
    /// <exception cref="Exception">Deciding threw (a bug, not bad input): nothing changed here.</exception>
    public IOrchestratorReply? Submit(IStateManagerCommand command, TAsker asker, DecisionContext context)
    {
        var decision = OrchestratorDomain.Decide(Projected, command, context);
        if (decision.IsReadOnly && IsIdle) return decision.Reply;
        var before = Projected;
        Projected = decision.StateAfter(before);
        // Measured only under a byte cap: it reads every character of the events' text.
        var bytes = maxBatchBytes == long.MaxValue ? 0 : decision.Events.Sum(EventSizes.UpperBound);
        _pending.Add(new Request(command, asker, decision, before, Projected, bytes));
        return null;
    }

    /// <summary>
    /// The next write, when none is in flight and something waits: the oldest requests whose events
    /// fit in one write. A write without events (only read-only requests waited) is done at once: its
    /// requests are answered from <see cref="Write.Answered"/> and nothing goes to the journal.
    /// </summary>
    public Write? TakeWrite()
    {
        if (IsWriting || _pending.Count == 0) return null;
        var count = 0;
        var eventCount = 0;
        long bytes = 0;
        while (count < _pending.Count && (count == 0 || (eventCount + _pending[count].Decision.Events.Count <= maxBatchEvents &&
                                                         bytes + _pending[count].Bytes <= maxBatchBytes)))
        {
            eventCount += _pending[count].Decision.Events.Count;
            bytes += _pending[count].Bytes;
            count++;
        }
        var batch = _pending.GetRange(0, count);
        _pending.RemoveRange(0, count);
        var events = new List<IOrchestratorEvent>(eventCount);
        foreach (var request in batch) events.AddRange(request.Decision.Events);
        if (events.Count == 0) return new Write([], Replies(batch), []);
        _inFlight = batch;
        return new Write(events, [], batch.Select(r => r.Command).ToList());
    }

    /// <summary>
    /// The journal confirmed the write in flight: the confirmed state is what deciding its last
    /// request left (nothing is applied a second time). Gives the replies and the notices for
    /// subscribers, each transition described against the state its event met.
    /// </summary>
    /// <exception cref="InvalidOperationException">No write is in flight.</exception>
    public Confirmation Confirm()
    {
        var batch = TakeInFlight();
        var notices = new List<IOrchestratorNotification>();
        foreach (var request in batch)
        {
            var state = request.Before;
            var decided = request.Decision.Events;
            // A definition's notice reads only whether its dependencies are COMPLETED, which no
            // definition changes: the definitions that end a decision (all of a DefineTasks) are
            // described against the state before them, without folding each in a second time.
            var definitionsFrom = decided.Count;
            while (definitionsFrom > 0 && decided[definitionsFrom - 1] is TaskDefined) definitionsFrom--;
            var applyBefore = Math.Min(definitionsFrom, decided.Count - 1);
            for (var i = 0; i < decided.Count; i++)
            {
                if (OrchestratorDomain.IsBulk(decided[i]))
                {
                    // One expansion gives the notices and the state after them.
                    var described = new List<TaskTransitioned>();
                    var after = OrchestratorDomain.Expand(state, decided[i], described).After;
                    notices.AddRange(described);
                    if (i < applyBefore) state = after;
                    continue;
                }
                if (OrchestratorDomain.Describe(state, decided[i]) is { } notice) notices.Add(notice);
                else if (decided[i] is StateSavedEvent saved) notices.Add(new StateChanged(saved.OwnerId, saved.Key, saved.Version, saved.SavedAt));
                if (i < applyBefore) state = OrchestratorDomain.Apply(state, decided[i]);
            }
        }
        Confirmed = batch[^1].After;
        return new Confirmation(Replies(batch), notices);
    }

    /// <summary>
    /// The journal refused the write in flight (nothing was written): its requests are answered as
    /// not written, and what waited behind it is decided again, in order, against the confirmed state.
    /// If deciding one again throws, its asker is answered with <see cref="InternalError"/>, the
    /// exception is returned, and the rest stay pending (see <see cref="Abandon"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">No write is in flight.</exception>
    public (IReadOnlyList<Answer> Answers, Exception? Failure) Reject(DecisionContext context)
    {
        var answers = TakeInFlight()
            .Select(r => new Answer(r.Asker, new OrchestratorUnavailable($"the journal rejected the write of {r.Command.GetType().Name}"), r.Command))
            .ToList();
        var redo = new Queue<Request>(_pending);
        _pending = [];
        Projected = Confirmed;
        while (redo.TryDequeue(out var request))
        {
            try
            {
                if (Submit(request.Command, request.Asker, context) is { } reply) answers.Add(new Answer(request.Asker, reply, request.Command));
            }
            catch (Exception ex)
            {
                answers.Add(new Answer(request.Asker, InternalError(request.Command, ex), request.Command));
                _pending.AddRange(redo);
                return (answers, ex);
            }
        }
        return (answers, null);
    }

    /// <summary>The answer to a request whose deciding threw (a bug, not bad input).</summary>
    public static OrchestratorUnavailable InternalError(IStateManagerCommand command, Exception ex) =>
        new($"internal error while handling {command.GetType().Name}: {ex.Message}");

    /// <summary>
    /// Everything taken and not confirmed, for a state manager that stops: what was in flight (not
    /// acknowledged, and perhaps written) and what was only decided (never written). Leaves this idle.
    /// </summary>
    public (IReadOnlyList<(IStateManagerCommand Command, TAsker Asker)> InFlight, IReadOnlyList<(IStateManagerCommand Command, TAsker Asker)> Decided) Abandon()
    {
        var abandoned = (_inFlight.Select(r => (r.Command, r.Asker)).ToList(), _pending.Select(r => (r.Command, r.Asker)).ToList());
        _inFlight = [];
        _pending = [];
        Projected = Confirmed;
        return abandoned;
    }

    private List<Request> TakeInFlight()
    {
        if (_inFlight.Count == 0) throw new InvalidOperationException("no write is in flight");
        var batch = _inFlight;
        _inFlight = [];
        return batch;
    }

    private static List<Answer> Replies(List<Request> batch) => batch.Select(r => new Answer(r.Asker, r.Decision.Reply, r.Command)).ToList();

    /// <summary>One write: its events (one journal entry) and the commands they answer, or none and the answers of the read-only requests it held.</summary>
    public sealed record Write(IReadOnlyList<IOrchestratorEvent> Events, IReadOnlyList<Answer> Answered, IReadOnlyList<IStateManagerCommand> Commands);

    /// <summary>What a confirmed write gives: the replies and the notices for subscribers, in order.</summary>
    public sealed record Confirmation(IReadOnlyList<Answer> Replies, IReadOnlyList<IOrchestratorNotification> Notices);

    /// <summary>A reply and whom it goes to.</summary>
    public readonly record struct Answer(TAsker Asker, IOrchestratorReply Reply, IStateManagerCommand Command);

    // Before and After: the projected state this request was decided on, and what it left.
    // Bytes: what its events may take in the journal (EventSizes), when writes are capped in bytes.
    private sealed record Request(IStateManagerCommand Command, TAsker Asker, Decision Decision, OrchestratorState Before, OrchestratorState After, long Bytes);
}
