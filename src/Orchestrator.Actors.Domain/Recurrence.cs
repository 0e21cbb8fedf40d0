using Cronos;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// When a recurring schedule's occurrences fall: a five-field cron expression read in a time zone
/// (Cronos: daylight-saving gaps and overlaps as cron does them), or every fixed interval from an
/// anchor. Every time is UTC, to the second. Pure: the same schedule gives the same times.
/// </summary>
public sealed class Recurrence
{
    /// <summary>The shortest interval.</summary>
    public static readonly TimeSpan ShortestInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest interval.</summary>
    public static readonly TimeSpan LongestInterval = TimeSpan.FromDays(365);

    // How far back Latest looks at a time, widening until it finds an occurrence (a year's worth of
    // minutes is never enumerated to find the last one).
    private static readonly TimeSpan[] Windows =
        [TimeSpan.FromMinutes(2), TimeSpan.FromHours(2), TimeSpan.FromDays(2), TimeSpan.FromDays(40), TimeSpan.FromDays(400), TimeSpan.FromDays(3000), TimeSpan.MaxValue];

    private readonly CronExpression? _cron;
    private readonly TimeZoneInfo _zone = TimeZoneInfo.Utc;
    private readonly long _every;
    private readonly DateTimeOffset _anchor;

    private Recurrence(CronExpression cron, TimeZoneInfo zone) => (_cron, _zone) = (cron, zone);

    private Recurrence(TimeSpan every, DateTimeOffset anchor) => (_every, _anchor) = (every.Ticks, anchor);

    /// <summary>
    /// The recurrence of a definition at <paramref name="now"/>, or why it is refused. An interval's
    /// anchor is <paramref name="start"/>, or one interval after now (<see cref="Anchor"/> gives it back).
    /// </summary>
    public static CommandRejected? Parse(string? cron, string? timeZone, TimeSpan? every, DateTimeOffset? start, DateTimeOffset now, out Recurrence recurrence)
    {
        recurrence = null!;
        if ((cron is null) == (every is null))
            return Validation.Reject(cron is null ? "cron" : "every", every is { } given ? ProtocolNames.Of(given) : null,
                cron is null ? "is missing: give a cron expression or an interval (every)" : "cannot go with every: give a cron expression or an interval, not both");
        if (every is { } interval)
        {
            if (timeZone is not null) return Validation.Reject("timeZone", timeZone, "applies to a cron expression only; an interval counts in UTC");
            if (interval < ShortestInterval || interval > LongestInterval || interval.Ticks % TimeSpan.TicksPerSecond != 0)
                return Validation.Reject("every", ProtocolNames.Of(interval), $"must be whole seconds between {ProtocolNames.Of(ShortestInterval)} and {ProtocolNames.Of(LongestInterval)}");
            var anchor = Truncate(start ?? now + interval);
            recurrence = new Recurrence(interval, anchor);
            return null;
        }
        if (start is not null) return Validation.Reject("start", start.Value.ToString("O"), "applies to an interval only; a cron expression says its own times");
        if (string.IsNullOrWhiteSpace(cron) || cron.Length > 200) return Validation.Reject("cron", cron, "must be a cron expression of at most 200 characters");
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(cron.Trim(), CronFormat.Standard);
        }
        // Cronos refuses what it cannot read with a format error, and a hashed field (H) with a missing seed.
        catch (Exception ex) when (ex is CronFormatException or MissingSeedException or ArgumentException)
        {
            return Validation.Reject("cron", cron, $"is not a five-field cron expression (minute hour day-of-month month day-of-week): {ex.Message}");
        }
        var zone = TimeZoneInfo.Utc;
        if (timeZone is not null)
        {
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var found))
                return Validation.Reject("timeZone", timeZone, "is not a time zone this node knows; give an IANA id such as Europe/Berlin or America/New_York");
            zone = found;
        }
        recurrence = new Recurrence(expression, zone);
        return recurrence.NextAfter(now) is null
            ? Validation.Reject("cron", cron, "never occurs after now (a date that does not exist, such as February 30?)")
            : null;
    }

    /// <summary>
    /// The recurrence of a schedule the state holds (checked when it was defined). A time zone this
    /// node does not know (a node without its time zone data) is read as UTC, and <see cref="ZoneUnknown"/> says so.
    /// </summary>
    public static Recurrence Of(ScheduleView schedule)
    {
        if (schedule.Every is { } every) return new Recurrence(every, schedule.Start!.Value);
        var cron = CronExpression.Parse(schedule.Cron!, CronFormat.Standard);
        if (schedule.TimeZone is null) return new Recurrence(cron, TimeZoneInfo.Utc);
        return TimeZoneInfo.TryFindSystemTimeZoneById(schedule.TimeZone, out var zone)
            ? new Recurrence(cron, zone)
            : new Recurrence(cron, TimeZoneInfo.Utc) { ZoneUnknown = true };
    }

    /// <summary>True when the schedule's time zone is unknown on this node and UTC stands in for it.</summary>
    public bool ZoneUnknown { get; private init; }

    /// <summary>An interval's anchor (its first occurrence); null for a cron expression.</summary>
    public DateTimeOffset? Anchor => _cron is null ? _anchor : null;

    /// <summary>The first occurrence strictly after <paramref name="time"/>, if any.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset time)
    {
        if (_cron is not null)
            return _cron.GetNextOccurrence(time.UtcDateTime, _zone, inclusive: false) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;
        if (time < _anchor) return _anchor;
        var steps = (time - _anchor).Ticks / _every + 1;
        return Step(steps);
    }

    /// <summary>The occurrences from <paramref name="from"/> to <paramref name="to"/>, both included, in order.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset from, DateTimeOffset to)
    {
        if (from > to) yield break;
        if (_cron is not null)
        {
            foreach (var at in _cron.GetOccurrences(from.UtcDateTime, to.UtcDateTime, _zone, fromInclusive: true, toInclusive: true))
                yield return new DateTimeOffset(at, TimeSpan.Zero);
            yield break;
        }
        for (var at = from <= _anchor ? _anchor : NextAfter(from - TimeSpan.FromTicks(1)); at is { } t && t <= to; at = NextAfter(t))
            yield return t;
    }

    /// <summary>The last occurrence from <paramref name="from"/> to <paramref name="to"/>, both included, if any.</summary>
    public DateTimeOffset? Latest(DateTimeOffset from, DateTimeOffset to)
    {
        if (from > to) return null;
        if (_cron is null)
        {
            if (to < _anchor) return null;
            var last = Step((to - _anchor).Ticks / _every);
            return last >= from ? last : null;
        }
        foreach (var window in Windows)
        {
            var start = window == TimeSpan.MaxValue || to - from <= window ? from : to - window;
            DateTimeOffset? found = null;
            foreach (var at in Between(start, to)) found = at;
            if (found is not null || start == from) return found;
        }
        return null;
    }

    /// <summary>How many occurrences fall from <paramref name="from"/> to <paramref name="to"/>, both included, counting no further than <paramref name="most"/>.</summary>
    public int Count(DateTimeOffset from, DateTimeOffset to, int most)
    {
        if (from > to) return 0;
        if (_cron is null)
        {
            if (to < _anchor) return 0;
            var first = from <= _anchor ? 0 : ((from - _anchor).Ticks + _every - 1) / _every;
            var last = (to - _anchor).Ticks / _every;
            return (int)Math.Clamp(last - first + 1, 0, most);
        }
        var count = 0;
        foreach (var _ in Between(from, to))
            if (++count == most) break;
        return count;
    }

    private DateTimeOffset? Step(long steps)
    {
        // An interval's occurrences run out only at the end of the calendar.
        var ticks = _anchor.UtcTicks + (decimal)steps * _every;
        return ticks > DateTimeOffset.MaxValue.UtcTicks ? null : new DateTimeOffset((long)ticks, TimeSpan.Zero);
    }

    private static DateTimeOffset Truncate(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
