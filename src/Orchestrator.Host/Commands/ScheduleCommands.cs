using System.CommandLine;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Host.Commands;

/// <summary>Recurring schedules: <c>schedule define|remove|list</c>.</summary>
internal static class ScheduleCommands
{
    public static IEnumerable<Command> Create() =>
    [
        new Command("schedule", "Recurring schedules: one task per occurrence, its id SCHEDULE_ID:yyyyMMddTHHmmssZ.") { Define(), Remove(), List() },
    ];

    private static Argument<string> ScheduleId() => CliOptions.Id("SCHEDULE_ID", "The schedule's id (1-100 letters, digits and . _ : / -).");

    private static Command Define()
    {
        var scheduleId = ScheduleId();
        var agent = CliOptions.Text("--agent", "AGENT", "The agent each task is for, or * for any agent.");
        var file = CliOptions.Text("--file", "PATH", "Where each task's instructions live.");
        var cron = new Option<string?>("--cron") { Description = "Five fields: minute hour day-of-month month day-of-week (such as '0 9 * * 1-5').", HelpName = "EXPR" };
        var timeZone = new Option<string?>("--time-zone") { Description = "The IANA time zone --cron is read in (such as Europe/Berlin); UTC when omitted.", HelpName = "ZONE" };
        var every = CliOptions.Duration("--every", "An interval instead of --cron (1s to 365 days, such as 15m).");
        var start = CliOptions.Time("--start", "With --every: the first occurrence (ISO 8601, or a duration from now); one interval from now when omitted.");
        var catchUp = new Option<string?>("--catch-up")
        {
            Description = "Occurrences missed while the orchestrator was down: one (the latest; the default), all, or none.",
            HelpName = "POLICY",
        };
        catchUp.AcceptOnlyFromAmong([.. OrchestratorDomain.CatchUpPolicies]);
        var priority = CliOptions.Priority("Each task's priority: CRITICAL, HIGH, MEDIUM (the default) or LOW.");
        var maxAttempts = CliOptions.Number("--max-attempts", "N", "Claims each task gets before it is DEAD.", 1);
        var payload = CliOptions.JsonDocument("--payload", "JSON handed to each task's claimer.");
        var tags = new Option<string[]>("--tag") { Description = "A tag for each task (repeat the option or list several).", HelpName = "TAG", AllowMultipleArgumentsPerToken = true };
        var command = new Command("define", "Define a recurring schedule, or replace the one of that id; the same definition again changes nothing.")
        {
            scheduleId, agent, file, cron, timeZone, every, start, catchUp, priority, maxAttempts, payload, tags,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetResult(cron) is null) == (result.GetResult(every) is null))
                result.AddError("schedule define takes '--cron' EXPR or '--every' DURATION, one of them");
        });
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var accepted = await client.DefineScheduleAsync(new DefineSchedule(parse.GetValue(scheduleId)!, parse.GetValue(agent)!, parse.GetValue(file)!,
                parse.GetValue(cron), parse.GetValue(timeZone), parse.GetValue(every), parse.GetValue(start), parse.GetValue(catchUp), parse.GetValue(priority),
                parse.GetValue(maxAttempts), parse.GetValue(payload), parse.GetValue(tags) is { Length: > 0 } given ? given : null), cancellation);
            if (parse.GetValue(CliOptions.Json)) Output.Json(accepted);
            else Console.Out.WriteLine($"schedule {accepted.Schedule.ScheduleId} {(accepted.Unchanged ? "unchanged" : "defined")}: {When(accepted.Schedule)}, next {Output.Time(accepted.Schedule.NextAt)}");
            return ExitCodes.Success;
        });
    }

    private static Command Remove()
    {
        var scheduleId = ScheduleId();
        var by = new Option<string?>("--by") { Description = "Who removes it, for the record.", HelpName = "NAME" };
        return new Command("remove", "Remove a schedule: no occurrence after this is defined; the tasks it defined stay.") { scheduleId, by }
            .WithClient(async (parse, client, cancellation) =>
            {
                var removed = await client.RemoveScheduleAsync(new RemoveSchedule(parse.GetValue(scheduleId)!, parse.GetValue(by)), cancellation);
                if (parse.GetValue(CliOptions.Json)) Output.Json(removed);
                else Console.Out.WriteLine($"schedule {removed.ScheduleId} removed");
                return ExitCodes.Success;
            });
    }

    private static Command List() =>
        new Command("list", "List the schedules by id, each with its next occurrence and what it has done (every page).").WithClient(async (parse, client, cancellation) =>
        {
            var schedules = new List<ScheduleView>();
            for (int? offset = 0; offset is { } next; )
            {
                var page = await client.ListSchedulesAsync(new ListSchedules(next), cancellation);
                schedules.AddRange(page.Schedules);
                offset = page.NextOffset;
            }
            if (parse.GetValue(CliOptions.Json))
                Output.Json(schedules);
            else if (schedules.Count == 0)
                Console.Out.WriteLine("no schedules");
            else
                Output.Table(["SCHEDULE", "WHEN", "CATCH-UP", "AGENT", "NEXT", "DEFINED", "MISSED", "LAST"], schedules.Select(s => (IReadOnlyList<string>)
                [
                    s.ScheduleId, When(s), s.CatchUp, s.Agent, Output.Time(s.NextAt), s.Occurrences.ToString(), s.Missed.ToString(), Output.Time(s.LastOccurrence),
                ]).ToList());
            return ExitCodes.Success;
        });

    private static string When(ScheduleView schedule) =>
        schedule.Every is { } every
            ? $"every {ProtocolNames.Of(every)} from {Output.Time(schedule.Start)}"
            : $"cron '{schedule.Cron}' {schedule.TimeZone ?? "UTC"}";
}
