using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;

namespace Orchestrator.Actors.Domain;

// Recurring schedules: one task per occurrence, with a predictable id, and missed occurrences caught
// up by the schedule's policy. A schedule's next occurrence is a deadline like a lease's end.
public static partial class OrchestratorDomain
{
    /// <summary>The most schedules a namespace holds.</summary>
    public const int MaxSchedules = 1000;

    /// <summary>The longest schedule id (an occurrence's task id adds 17 characters).</summary>
    public const int MaxScheduleIdLength = 100;

    /// <summary>The most occurrences one schedule defines in one decision (catch-up <c>all</c>); the rest follow in the next.</summary>
    public const int MaxOccurrencesPerDecision = 100;

    /// <summary>The most missed occurrences one catch-up counts (a cron expression's are enumerated to be counted).</summary>
    public const int MaxMissedCounted = 100_000;

    /// <summary>How late an occurrence may be found and still count as on time (catch-up <c>none</c>).</summary>
    public static readonly TimeSpan ScheduleGrace = TimeSpan.FromMinutes(1);

    /// <summary>The catch-up policies, the default first.</summary>
    public static readonly IReadOnlyList<string> CatchUpPolicies = ["one", "all", "none"];

    /// <summary>The task id of a schedule's occurrence: the schedule's id and the time, UTC, to the second.</summary>
    public static string OccurrenceId(string scheduleId, DateTimeOffset at) => $"{scheduleId}:{at.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}";

    private static Decision DecideDefineSchedule(OrchestratorState state, DefineSchedule command, DecisionContext context)
    {
        var catchUp = string.IsNullOrEmpty(command.CatchUp) ? CatchUpPolicies[0] : command.CatchUp.ToLowerInvariant();
        var badId = Validation.Id("scheduleId", command.ScheduleId)
                    ?? (command.ScheduleId.Length > MaxScheduleIdLength
                        ? Validation.Reject("scheduleId", command.ScheduleId, $"is {command.ScheduleId.Length} characters long; at most {MaxScheduleIdLength} are allowed (each task's id adds the occurrence's time)")
                        : null);
        if (badId is not null) return Decision.Answer(badId);
        var invalid = Recurrence.Parse(command.Cron, command.TimeZone, command.Every, command.Start, context.Now, out var recurrence)
                      ?? (CatchUpPolicies.Contains(catchUp) ? null : Validation.Reject("catchUp", command.CatchUp, $"must be one of {string.Join(", ", CatchUpPolicies)}"))
                      ?? Invalid(Template(command.ScheduleId, command.Agent, command.TaskFile, command.Priority, command.MaxAttempts, command.Payload, command.Tags, command.By), context);
        if (invalid is not null) return Decision.Answer(invalid);
        Validation.Priority(command.Priority, out var priority);
        var tags = command.Tags is not { Count: > 0 } ? null : command.Tags.Distinct(StringComparer.Ordinal).ToList();

        state.Schedules.TryGetValue(command.ScheduleId, out var existing);
        if (existing is not null
            && existing.Agent == command.Agent && existing.TaskFile == command.TaskFile && existing.Priority == priority
            && existing.Cron == command.Cron?.Trim() && existing.TimeZone == command.TimeZone && existing.Every == command.Every
            && (command.Start is null || existing.Start == recurrence.Anchor) && existing.CatchUp == catchUp
            && existing.MaxAttempts == command.MaxAttempts && existing.Payload == command.Payload
            && (existing.Tags ?? []).SequenceEqual(tags ?? []))
            return Decision.Answer(new ScheduleAccepted(existing, Unchanged: true));
        if (existing is null && state.Schedules.Count >= MaxSchedules)
            return Decision.Answer(Validation.Reject("scheduleId", command.ScheduleId,
                $"would be schedule {state.Schedules.Count + 1:N0} of the namespace: it holds at most {MaxSchedules:N0}; remove one, or use another namespace"));

        // An interval's first occurrence is its anchor when that is still ahead (the first one after now otherwise).
        var next = recurrence.Anchor is { } anchor && anchor >= context.Now ? anchor : recurrence.NextAfter(context.Now);
        var defined = new ScheduleDefined(command.ScheduleId, command.Agent, command.TaskFile, priority, command.Cron?.Trim(), command.TimeZone,
            command.Every, recurrence.Anchor, catchUp, command.MaxAttempts, command.Payload, tags, command.By ?? Causes.Operator, context.Now, next);
        return Respond(state, [defined], after => new ScheduleAccepted(after.Schedules[command.ScheduleId], Unchanged: false));
    }

    private static Decision DecideRemoveSchedule(OrchestratorState state, RemoveSchedule command, DecisionContext context)
    {
        var invalid = Validation.Id("scheduleId", command.ScheduleId) ?? Validation.By("by", command.By);
        if (invalid is not null) return Decision.Answer(invalid);
        return state.Schedules.ContainsKey(command.ScheduleId)
            ? Respond(state, [new ScheduleRemovedEvent(command.ScheduleId, command.By ?? Causes.Operator, context.Now)], _ => new ScheduleRemoved(command.ScheduleId))
            : Decision.Answer(new ScheduleNotFound(command.ScheduleId));
    }

    // The definition of one occurrence's task (its id aside, the sample's).
    private static DefineTask Template(string scheduleId, string agent, string taskFile, string? priority, int? maxAttempts, string? payload, IReadOnlyList<string>? tags, string? by) =>
        new(OccurrenceId(scheduleId, DateTimeOffset.UnixEpoch), agent, taskFile, priority, null, maxAttempts, payload, by, tags);

    /// <summary>
    /// The schedules whose next occurrence has come by now: each defines its occurrences' tasks as its
    /// catch-up policy says (<c>all</c>: every one, at most <see cref="MaxOccurrencesPerDecision"/> at a
    /// time; <c>one</c>: the latest; <c>none</c>: the latest only when it is no more than
    /// <see cref="ScheduleGrace"/> late), and journals what it did and its next occurrence.
    /// </summary>
    private static OrchestratorState DecideSchedules(OrchestratorState state, DecisionContext context, List<IOrchestratorEvent> events, ref int acted)
    {
        foreach (var due in state.ScheduleTimes)
        {
            if (due.At > context.Now || acted++ >= context.Policy.MaxDeadlinesPerDecision) break;
            var schedule = state.Schedules[due.TaskId];
            var recurrence = Recurrence.Of(schedule);
            List<DateTimeOffset> occurrences;
            int missed;
            DateTimeOffset? next;
            // The time due is an occurrence as this node reads the schedule; were it not (time zone data
            // that changed), none is defined and the next one counts from now.
            if (schedule.CatchUp == "all")
            {
                occurrences = [.. recurrence.Between(due.At, context.Now).Take(MaxOccurrencesPerDecision)];
                missed = 0;
                next = occurrences.Count == 0 ? recurrence.NextAfter(context.Now) : recurrence.NextAfter(occurrences[^1]);
            }
            else
            {
                var latest = recurrence.Latest(due.At, context.Now);
                var onTime = latest is { } at && (schedule.CatchUp == "one" || context.Now - at <= ScheduleGrace);
                occurrences = onTime ? [latest!.Value] : [];
                missed = recurrence.Count(due.At, context.Now, MaxMissedCounted) - occurrences.Count;
                next = recurrence.NextAfter(context.Now);
            }

            // Each task is decided as a definition is: one that exists already, or that the namespace has no room for, is passed over.
            var builder = state.ToBuilder();
            var defined = new List<DateTimeOffset>();
            string? note = recurrence.ZoneUnknown ? $"time zone '{schedule.TimeZone}' is unknown on this node: read as UTC" : null;
            foreach (var at in occurrences)
            {
                var define = Template(schedule.ScheduleId, schedule.Agent, schedule.TaskFile, ProtocolNames.Of(schedule.Priority), schedule.MaxAttempts,
                    schedule.Payload, schedule.Tags, $"schedule:{schedule.ScheduleId}") with { TaskId = OccurrenceId(schedule.ScheduleId, at) };
                var (reply, taskDefined) = DecideDefine(builder, define, context);
                if (taskDefined is not null)
                {
                    events.Add(taskDefined);
                    defined.Add(at);
                    continue;
                }
                missed++;
                note = reply switch
                {
                    CommandRejected r => $"{define.TaskId} was not defined: {r.Field} '{r.Value}' {r.Reason}",
                    _ => $"{define.TaskId} was not defined: a task of that id exists already",
                };
            }
            var fired = new ScheduleFired(schedule.ScheduleId, defined, missed, next, note, context.Now);
            events.Add(fired);
            state = Apply(builder.ToState(), fired);
        }
        return state;
    }

    private static OrchestratorState ApplySchedule(OrchestratorState state, IOrchestratorEvent @event) => @event switch
    {
        ScheduleDefined e => state.WithSchedule(new ScheduleView(e.ScheduleId, e.Agent, e.TaskFile, e.Priority, e.Cron, e.TimeZone, e.Every, e.Start,
            e.CatchUp, e.NextAt, e.At, e.By) { MaxAttempts = e.MaxAttempts, Payload = e.Payload, Tags = e.Tags is { Count: > 0 } ? e.Tags : null }),
        ScheduleRemovedEvent e => state.WithoutSchedule(e.ScheduleId),
        ScheduleFired e when state.Schedules.TryGetValue(e.ScheduleId, out var schedule) => state.WithSchedule(schedule with
        {
            NextAt = e.NextAt,
            Occurrences = schedule.Occurrences + e.Defined.Count,
            Missed = schedule.Missed + e.Missed,
            LastOccurrence = e.Defined.Count > 0 ? e.Defined[^1] : schedule.LastOccurrence,
            Note = e.Note ?? schedule.Note,
        }),
        _ => state,
    };

    // Schedules by id, a page at a time, within the reply's budget as tasks are.
    private static IOrchestratorReply Schedules(OrchestratorState state, ListSchedules query, DomainLimits limits)
    {
        if (Page(query.Offset, query.Limit, limits) is { } badPage) return badPage;
        var page = new List<ScheduleView>();
        var bytes = new ReplyBytes(limits.MaxReplyBytes);
        foreach (var schedule in state.Schedules.Values.Skip(query.Offset).Take(query.Limit))
        {
            if (!bytes.Take(ViewSizes.UpperBound(schedule))) break;
            page.Add(schedule);
        }
        return new ScheduleList(page, state.Schedules.Count, query.Offset, query.Limit);
    }
}
