namespace Orchestrator.Actors.Protocol.Commands;

/// <summary>
/// Defines a recurring schedule, or replaces the one of that id: at each occurrence (a <c>cron</c>
/// expression in a time zone, or every <c>every</c>) the state manager defines one task from the
/// schedule's template, whose id is the schedule's and the occurrence's UTC time
/// (<c>nightly-report:20261207T090000Z</c>), so that it can be predicted and is never defined twice.
/// Occurrences missed while no node ran the namespace are caught up by <paramref name="CatchUp"/>.
/// Journaled (<c>schedule-defined.v1</c>); repeating an identical definition writes nothing. Replies
/// <see cref="Replies.ScheduleAccepted"/>.
/// </summary>
/// <param name="ScheduleId">1-100 ASCII letters, digits and <c>._:/-</c>.</param>
/// <param name="Agent">The agent each occurrence's task is for, or <c>*</c>.</param>
/// <param name="TaskFile">Each occurrence's task file.</param>
/// <param name="Cron">Five fields (minute hour day-of-month month day-of-week), as in crontab; or leave it out and give <paramref name="Every"/>.</param>
/// <param name="TimeZone">The time zone <paramref name="Cron"/> is read in (an IANA id such as <c>Europe/Berlin</c>); UTC when null.</param>
/// <param name="Every">An interval instead of <paramref name="Cron"/> (1 s to 365 days).</param>
/// <param name="Start">With <paramref name="Every"/>: the first occurrence (and the anchor of the ones after it); one interval after the definition when null.</param>
/// <param name="CatchUp">
/// What to do with occurrences missed while the namespace was not running: <c>one</c> (the default)
/// defines the latest of them, <c>all</c> defines every one, <c>none</c> defines none (an occurrence
/// found more than a minute late counts as missed).
/// </param>
/// <param name="Priority">Each task's priority (MEDIUM when null).</param>
/// <param name="MaxAttempts">Each task's attempts, as in <see cref="DefineTask"/>.</param>
/// <param name="Payload">JSON handed to each task's claimer.</param>
/// <param name="Tags">Each task's tags, as in <see cref="DefineTask"/>.</param>
/// <param name="By">Who defines it, for the record.</param>
public sealed record DefineSchedule(
    string ScheduleId,
    string Agent,
    string TaskFile,
    string? Cron = null,
    string? TimeZone = null,
    TimeSpan? Every = null,
    DateTimeOffset? Start = null,
    string? CatchUp = null,
    string? Priority = null,
    int? MaxAttempts = null,
    string? Payload = null,
    IReadOnlyList<string>? Tags = null,
    string? By = null) : NamespacedRequest, IStateManagerCommand;

/// <summary>
/// Removes a schedule: no occurrence after this is defined (the tasks defined already stay).
/// Journaled (<c>schedule-removed.v1</c>). Replies <see cref="Replies.ScheduleRemoved"/> or
/// <see cref="Replies.ScheduleNotFound"/>.
/// </summary>
public sealed record RemoveSchedule(string ScheduleId, string? By = null) : NamespacedRequest, IStateManagerCommand;
