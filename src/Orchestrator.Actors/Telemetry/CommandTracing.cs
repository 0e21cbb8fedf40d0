using System.Diagnostics;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Telemetry;

namespace Orchestrator.Actors.Telemetry;

/// <summary>
/// The state manager's spans, where something listens: <c>orchestrator.command TYPE</c> from a
/// command's arrival to its answer, continuing the sender's <see cref="NamespacedRequest.TraceParent"/>,
/// and as its child <c>orchestrator.journal.write</c>, the write that holds its events (a group
/// commit's write is one child under each command it carries). Deadlines the state manager acts on
/// by itself are not traced. Used by the actor only.
/// </summary>
public sealed class CommandTracing(string @namespace)
{
    private readonly Dictionary<IStateManagerCommand, Activity> _commands = new(ReferenceEqualityComparer.Instance);
    private readonly List<Activity> _writes = [];

    /// <summary>A command arrived.</summary>
    public void Received(IStateManagerCommand command)
    {
        if (command is IOwnCommand || !OrchestratorActivities.Source.HasListeners()) return;
        ActivityContext.TryParse((command as NamespacedRequest)?.TraceParent, null, isRemote: true, out var parent);
        var span = OrchestratorActivities.StartDetached($"orchestrator.command {command.GetType().Name}", ActivityKind.Server, parent,
            [new("orchestrator.namespace", @namespace), new("orchestrator.command", command.GetType().Name)]);
        if (span is not null) _commands[command] = span;
    }

    /// <summary>A write of <paramref name="events"/> events for <paramref name="commands"/> went to the journal.</summary>
    public void WriteStarted(IEnumerable<IStateManagerCommand> commands, int events)
    {
        if (_commands.Count == 0) return;
        foreach (var command in commands)
        {
            if (!_commands.TryGetValue(command, out var span)) continue;
            var write = OrchestratorActivities.StartDetached("orchestrator.journal.write", ActivityKind.Internal, span.Context,
                [new("orchestrator.namespace", @namespace), new("orchestrator.journal.write.events", events)]);
            if (write is not null) _writes.Add(write);
        }
    }

    /// <summary>The journal answered the write in flight.</summary>
    public void WriteDone(bool written, long sequenceNr)
    {
        foreach (var write in _writes)
        {
            write.SetTag("orchestrator.journal.sequence_nr", sequenceNr);
            if (!written) write.SetStatus(ActivityStatusCode.Error, "the journal refused the write");
            OrchestratorActivities.StopDetached(write);
        }
        _writes.Clear();
    }

    /// <summary>A command was answered with <paramref name="reply"/>.</summary>
    public void Answered(IStateManagerCommand command, IOrchestratorReply reply)
    {
        if (!_commands.Remove(command, out var span)) return;
        span.SetTag("orchestrator.reply", reply.GetType().Name);
        if (reply is Protocol.Replies.OrchestratorUnavailable unavailable) span.SetStatus(ActivityStatusCode.Error, unavailable.Reason);
        OrchestratorActivities.StopDetached(span);
    }

    /// <summary>The state manager stopped: what is still open ends here, marked as not answered by it.</summary>
    public void Abandoned()
    {
        WriteDone(written: false, sequenceNr: -1);
        foreach (var span in _commands.Values)
        {
            span.SetStatus(ActivityStatusCode.Error, "the state manager stopped before answering");
            OrchestratorActivities.StopDetached(span);
        }
        _commands.Clear();
    }
}
