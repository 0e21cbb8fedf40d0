using Orchestrator.Actors.Protocol.Events;
using static Orchestrator.Actors.Protocol.Serialization.JsonTextSizes;

namespace Orchestrator.Actors.Protocol.Serialization;

/// <summary>
/// An upper bound of what an event takes in the journal (<see cref="OrchestratorSerializer"/>'s
/// JSON, UTF-8), found without writing it: each character of its text counts what its JSON form may
/// take (<see cref="JsonTextSizes"/>), plus an allowance per event for its property names, numbers
/// and dates. The state manager caps each journal write by it.
/// </summary>
public static class EventSizes
{
    /// <summary>What an event takes beyond its text, at most.</summary>
    public const int Allowance = 512;

    /// <summary>The most <paramref name="event"/> can take in the journal.</summary>
    public static long UpperBound(IOrchestratorEvent @event) => Allowance + @event switch
    {
        TaskDefined d => Text(d.TaskId) + Text(d.Agent) + Text(d.TaskFile) + Text(d.Payload) + Text(d.By) + Texts(d.DependsOn) + Texts(d.Tags),
        StateSavedEvent s => Text(s.OwnerId) + Text(s.Key) + Text(s.Json),
        TaskClaimed c => Text(c.TaskId) + Text(c.Agent) + Text(c.ClaimId),
        LeaseRenewed r => Text(r.TaskId) + Text(r.Agent) + Text(r.ClaimId),
        TaskCompleted c => Text(c.TaskId) + Text(c.Agent) + Text(c.ClaimId) + Text(c.Result),
        TaskFailed f => Text(f.TaskId) + Text(f.Agent) + Text(f.ClaimId) + Text(f.Reason),
        LeaseExpired e => Text(e.TaskId) + Text(e.Agent) + Text(e.ClaimId),
        RetryDue r => Text(r.TaskId),
        TaskDue d => Text(d.TaskId),
        InputRequested r => Text(r.TaskId) + Text(r.Agent) + Text(r.ClaimId) + Text(r.Question),
        InputProvided p => Text(p.TaskId) + Text(p.Input) + Text(p.By),
        InputTimedOut t => Text(t.TaskId),
        TasksCancelled c => Texts(c.TaskIds) + Text(c.Reason) + Text(c.By),
        TasksRequeued r => Texts(r.TaskIds) + Text(r.By),
        ScheduleDefined d => Text(d.ScheduleId) + Text(d.Agent) + Text(d.TaskFile) + Text(d.Cron) + Text(d.TimeZone) + Text(d.CatchUp) + Text(d.Payload) + Texts(d.Tags) + Text(d.By),
        TasksPurged p => Texts(p.TaskIds) + Text(p.By),
        RetentionChanged r => Text(r.By),
        ScheduleRemovedEvent r => Text(r.ScheduleId) + Text(r.By),
        ScheduleFired f => Text(f.ScheduleId) + 40L * f.Defined.Count + Text(f.Note),
        ClaimLimitsChanged l => Text(l.By) + Text(l.FairBy) + (l.MaxClaimsPerTag is null ? 0 : Texts([.. l.MaxClaimsPerTag.Keys]) + 16L * l.MaxClaimsPerTag.Count),
        DependenciesMet m => Text(m.TaskId) + Text(m.CompletedDependency) + Text(m.By),
        TaskKilled k => Text(k.TaskId) + Text(k.Dependency) + Text(k.Reason) + Text(k.By),
        TaskCancelled c => Text(c.TaskId) + Text(c.Reason) + Text(c.By),
        TaskRequeued r => Text(r.TaskId) + Text(r.By) + Text(r.Because),
        AgentRegistered a => Text(a.Agent) + Texts(a.Capabilities),
        AgentSeen s => Text(s.Agent),
        RequestKeyed k => Text(k.Key) + Text(k.Fingerprint) + Text(k.TaskId) + Text(k.ClaimId),
        EventBatch b => b.Events.Sum(UpperBound),
        // An event of another kind holds ids and dates only, each bounded by the input rules.
        _ => 4 * 1024,
    };
}
