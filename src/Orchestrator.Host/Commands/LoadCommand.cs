using System.CommandLine;
using System.Globalization;
using Orchestrator.Host.Load;
using Spectre.Console;

namespace Orchestrator.Host.Commands;

/// <summary><c>orchestrator load</c>: concurrent agents define tasks over Akka.Remote, and what that measured.</summary>
internal static class LoadCommand
{
    private const double DefaultRepeatFraction = 0.1;

    public static Command Create()
    {
        var agents = CliOptions.Number("--agents", "N", "How many agents define concurrently.", 1);
        var tasks = CliOptions.Number("--tasks", "M", "How many distinct tasks they define in all.", 1);
        var repeatFraction = CliOptions.Number("--repeat-fraction", "F",
            $"The share of the tasks whose definition is sent again, identically (default {DefaultRepeatFraction}).", 0.0, 1.0);
        agents.Required = tasks.Required = true;

        var command = new Command("load", "Measure definitions over Akka.Remote: concurrent agents define distinct tasks, and repeat some.")
        {
            agents, tasks, repeatFraction,
        };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var json = parse.GetValue(CliOptions.Json);
            var plan = new LoadPlan(parse.GetValue(agents)!.Value, parse.GetValue(tasks)!.Value, parse.GetValue(repeatFraction) ?? DefaultRepeatFraction);
            var run = new LoadRun(client, plan);
            var terminal = !Console.IsOutputRedirected && !json;

            LoadReport report;
            if (terminal)
                report = await WithProgressBarAsync(run, plan.Requests, cancellation);
            else if (json)
                report = await run.RunAsync(cancellation);
            else
                report = await WithProgressLinesAsync(run, plan.Requests, cancellation);

            if (json) Output.Json(report);
            else if (terminal) AnsiConsole.Write(Table(report));
            else Output.Lines(Rows(report));

            if (report.Errors > 0)
            {
                Output.Error($"{report.Errors} of {report.Requests} definitions failed; the first: {report.FirstError}");
                return ExitCodes.Failure;
            }
            return report.Conflicts > 0 ? ExitCodes.Conflict : ExitCodes.Success;
        });
    }

    private static async Task<LoadReport> WithProgressBarAsync(LoadRun run, int requests, CancellationToken cancellation)
    {
        LoadReport? report = null;
        await AnsiConsole.Progress().StartAsync(async context =>
        {
            var bar = context.AddTask("defining", maxValue: requests);
            var running = run.RunAsync(cancellation);
            // The bar is redrawn from the counter a few times a second; the agents never wait for it.
            while (await Task.WhenAny(running, Task.Delay(100, CancellationToken.None)) != running)
                bar.Value = run.Answered;
            bar.Value = run.Answered;
            report = await running;
        });
        return report!;
    }

    private static async Task<LoadReport> WithProgressLinesAsync(LoadRun run, int requests, CancellationToken cancellation)
    {
        var running = run.RunAsync(cancellation);
        var printed = 0;
        while (await Task.WhenAny(running, Task.Delay(500, CancellationToken.None)) != running)
        {
            var answered = run.Answered;
            if (answered == printed) continue;
            Console.Out.WriteLine($"load: {answered} of {requests} definitions answered");
            printed = answered;
        }
        return await running;
    }

    private static IEnumerable<(string, string?)> Rows(LoadReport report) =>
    [
        ("task prefix", report.TaskPrefix),
        ("agents", report.Agents.ToString()),
        ("tasks", report.Tasks.ToString()),
        ("requests", report.Requests.ToString()),
        ("defined", report.Defined.ToString()),
        ("idempotent repeats", report.IdempotentRepeats.ToString()),
        ("conflicts", report.Conflicts.ToString()),
        ("errors", report.Errors.ToString()),
        ("elapsed", $"{report.ElapsedMs.ToString("0.0", CultureInfo.InvariantCulture)} ms"),
        ("throughput", $"{report.DefinitionsPerSecond.ToString("0.0", CultureInfo.InvariantCulture)} definitions/s"),
        ("latency p50", $"{report.LatencyMs.P50.ToString("0.00", CultureInfo.InvariantCulture)} ms"),
        ("latency p95", $"{report.LatencyMs.P95.ToString("0.00", CultureInfo.InvariantCulture)} ms"),
        ("latency p99", $"{report.LatencyMs.P99.ToString("0.00", CultureInfo.InvariantCulture)} ms"),
    ];

    private static Table Table(LoadReport report)
    {
        var table = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (label, value) in Rows(report)) table.AddRow(Markup.Escape(label), Markup.Escape(value!));
        return table;
    }
}
