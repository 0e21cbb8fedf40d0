using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Spectre.Console;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// The side-by-side load table: one process run on one disk measures the orchestrator in-process and
/// over Akka.Remote, the raw SQLite ceiling and the old JSON-file design, each at 0 and P tasks
/// already in the state, and prints one table with ratios, then the recovery, memory and snapshot
/// figures against their targets. Progress goes to stderr; the report to stdout.
/// </summary>
public static class LoadTable
{
    public static async Task<int> RunAsync(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var smoke = new Option<bool>("--smoke") { Description = "Seconds, small N (CI): checks every acknowledgment, prints the targets without asserting them." };
        var agents = new Option<string?>("--agents") { Description = "Agent counts, comma-separated (default 25,200).", HelpName = "N,N" };
        var tasks = new Option<int?>("--tasks") { Description = "Definitions per row, for every row (default: 50,000 / 100,000 in-process at 25 / 200 agents, 25,000 / 50,000 remote, 100,000 ceiling).", HelpName = "N" };
        var preexisting = new Option<int?>("--preexisting") { Description = "Tasks already in the state for the P rows (default 1,000,000; smoke 2,000).", HelpName = "N" };
        var workDir = new Option<string?>("--work-dir") { Description = "Where the run's data lives (a fresh subdirectory, deleted at the end; default the temp folder).", HelpName = "DIR" };
        var markdown = new Option<bool>("--markdown") { Description = "Also print the table and the targets as Markdown." };
        var template = new Option<string?>("--template")
        {
            Description = "Start the rows at P from this data directory of P tasks and their snapshot (copied, never changed) instead of seeding one; when it does not exist yet, seed it there and keep it for the next run.",
            HelpName = "DIR",
        };
        var batchRequests = new Option<int?>("--batch-requests")
        {
            Description = $"Concurrent requests of the tasks:batch row, {HttpRow.BatchSize:N0} definitions each (default {HttpRow.BatchRequests}).",
            HelpName = "N",
        };
        var rows = new Option<string?>("--rows")
        {
            Description = $"The rows to run, comma-separated, of {string.Join(", ", TableRowNames.ByName.Keys)} (default: all; measurements = recovery, memory and snapshot figures at P).",
            HelpName = "ROW,ROW",
        };
        var serveConfig = new Option<string?>("--serve-config")
        {
            Description = "HOCON laid over the configuration of orchestrator serve in the HTTP, HTTP batch and MCP rows (for a side-by-side run: \"orchestrator.http.metrics = off\").",
            HelpName = "HOCON",
        };
        var dashboard = new Option<bool>("--dashboard")
        {
            Description = $"Keep the dashboard open in headless Chromium ({DashboardWatcher.Chromium}, a process of its own; Playwright checks the page is live, then detaches) on the HTTP, HTTP batch and MCP rows while their clients run.",
        };
        var inProcessMetrics = new Option<bool>("--in-process-metrics")
        {
            Description = "Collect the orchestrator's meter in this process (an OpenTelemetry meter provider, read every second) during the in-process rows.",
        };
        var root = new RootCommand("The side-by-side load table (issue 5).") { smoke, agents, tasks, preexisting, workDir, markdown, template, rows, batchRequests, serveConfig, dashboard, inProcessMetrics };
        root.SetAction(async (parse, _) =>
        {
            var options = LoadOptions.Defaults(parse.GetValue(smoke), parse.GetValue(workDir)) with
            {
                Markdown = parse.GetValue(markdown),
                Template = parse.GetValue(template),
                ServeConfig = parse.GetValue(serveConfig) ?? "",
                Dashboard = parse.GetValue(dashboard),
                InProcessMetrics = parse.GetValue(inProcessMetrics),
            };
            if (parse.GetValue(agents) is { } list)
            {
                var counts = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(a => int.TryParse(a, out var n) && n > 0 ? n : 0)
                    .Distinct().ToList();
                if (counts.Count == 0 || counts.Contains(0)) return Invalid($"--agents '{list}': expected positive numbers separated by commas");
                options = options with { Agents = counts };
            }
            if (parse.GetValue(tasks) is { } count)
            {
                if (count < 1) return Invalid($"--tasks {count}: expected at least 1");
                options = options.WithTasks(count);
            }
            if (parse.GetValue(rows) is { } names)
            {
                var parts = names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var unknown = parts.FirstOrDefault(n => !TableRowNames.ByName.ContainsKey(n));
                if (parts.Length == 0 || unknown is not null)
                    return Invalid($"--rows '{names}': expected some of {string.Join(", ", TableRowNames.ByName.Keys)}, separated by commas");
                options = options with { Rows = parts.Select(n => TableRowNames.ByName[n]).ToHashSet() };
            }
            if (parse.GetValue(batchRequests) is { } requests)
            {
                if (requests < 1) return Invalid($"--batch-requests {requests}: expected at least 1");
                options = options with { BatchRequests = requests };
            }
            if (parse.GetValue(preexisting) is { } p)
            {
                if (p < 0) return Invalid($"--preexisting {p}: expected 0 or more");
                options = options with { Preexisting = p };
            }
            return await new LoadTableRun(options, args).RunAsync();
        });
        return await root.Parse(args).InvokeAsync();

        static int Invalid(string message)
        {
            Console.Error.WriteLine($"load table: {message}");
            return 2;
        }
    }
}

/// <summary>One run of the table: the parts in order, their timings, and the report.</summary>
internal sealed class LoadTableRun(LoadOptions options, string[] args)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(string Part, TimeSpan Took)> _timings = [];
    private readonly List<RowResult> _rows = [];
    private readonly List<Measurement> _measurements = [];
    private readonly string _work = options.CreateWorkDirectory();
    private int _directories;

    private int P => options.Preexisting;

    public async Task<int> RunAsync()
    {
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 220;
        PrintHeader();
        try
        {
            StateTemplate? template = null;
            // The template of P tasks serves the orchestrator's rows at P and the measurements; the ceiling and the old design fill their own.
            var needsTemplate = options.Selected.Overlaps([TableRows.InProcess, TableRows.InProcessBatch, TableRows.Remote, TableRows.Http, TableRows.HttpBatch, TableRows.Mcp, TableRows.Measurements]);
            if (P > 0 && needsTemplate)
            {
                template = await SeedAsync();
                if (template is { SeedTime.Ticks: > 0 })
                    Console.Out.WriteLine($"seeding: {P:N0} tasks through the in-process orchestrator ({Math.Min(options.SeedAgents, P)} agents) " +
                                      $"and its snapshot took {template.SeedTime.TotalSeconds:0.0} s; snapshot {Measurements.Mib(template.SnapshotBytes)} at sequence {template.SnapshotSequenceNr:N0}");
            }
            int[] levels = template is not null ? [0, P] : [0];

            // The ceiling's P rows fill their own table, so they run at P without the template.
            int[] ceilingLevels = P > 0 ? [0, P] : [0];

            if (options.Runs(TableRows.InProcess))
                using (var metrics = options.InProcessMetrics ? new InProcessMetrics() : null)
                {
                    foreach (var level in levels)
                        foreach (var agents in options.Agents)
                            await RowAsync(RowKind.InProcess, InProcessRow.Name, agents, level, dir =>
                                InProcessRow.RunAsync(dir, agents, options.InProcessTasksFor(agents), level, options.RowLimit, Progress), template);
                    if (metrics is not null) Progress($"  in-process metrics: {metrics.Points:N0} points collected during the in-process rows");
                }
            // Akka.Remote, HTTP and MCP at the same agent count run one after the other, so that they compare on the same machine load.
            foreach (var level in levels)
                foreach (var agents in options.Agents)
                {
                    if (options.Runs(TableRows.Remote))
                        await RowAsync(RowKind.Remote, RemoteRow.Name, agents, level, dir =>
                            RemoteRow.RunAsync(dir, agents, options.RemoteTasksFor(agents), level, options.RowLimit, Progress), template);
                    if (options.Runs(TableRows.Http))
                        await RowAsync(RowKind.Http, HttpRow.Name, agents, level, dir =>
                            HttpRow.RunAsync(dir, agents, options.HttpTasksFor(agents), level, options.RowLimit, Progress, options.Serve), template);
                    if (options.Runs(TableRows.Mcp))
                        await RowAsync(RowKind.Mcp, McpRow.Name, agents, level, dir =>
                            McpRow.RunAsync(dir, agents, options.McpTasksFor(agents), level, options.RowLimit, Progress, options.Serve), template);
                }
            if (options.Runs(TableRows.InProcessBatch))
                using (var metrics = options.InProcessMetrics ? new InProcessMetrics() : null)
                {
                    foreach (var level in levels)
                        await RowAsync(RowKind.InProcessBatch, InProcessBatchRow.Name, options.BatchRequests, level, dir =>
                            InProcessBatchRow.RunAsync(dir, options.HttpBatchTasks, options.BatchRequests, level, options.RowLimit, Progress), template);
                    if (metrics is not null) Progress($"  in-process metrics: {metrics.Points:N0} points collected during the in-process batch rows");
                }
            if (options.Runs(TableRows.HttpBatch))
                foreach (var level in levels)
                    await RowAsync(RowKind.HttpBatch, HttpRow.BatchName, HttpRow.BatchConcurrency(options.HttpBatchTasks, options.BatchRequests), level, dir =>
                        HttpRow.RunBatchAsync(dir, options.HttpBatchTasks, options.BatchRequests, level, options.RowLimit, Progress, options.Serve), template);
            if (options.Runs(TableRows.Ceiling))
                foreach (var level in needsTemplate ? levels : ceilingLevels)
                    await RowAsync(RowKind.Ceiling, CeilingRow.Name, 1, level, dir =>
                        CeilingRow.RunAsync(dir, options.CeilingTasks, level), template: null);
            if (options.Runs(TableRows.GroupCeiling))
                foreach (var level in needsTemplate ? levels : ceilingLevels)
                    foreach (var agents in options.Agents)
                        await RowAsync(RowKind.GroupCeiling, GroupCeilingRow.Name, agents, level, dir =>
                            GroupCeilingRow.RunAsync(dir, agents, options.CeilingTasks, level, Progress), template: null);
            if (options.Runs(TableRows.OldDesign))
            {
                foreach (var level in new[] { 0, options.OldDesignPreexisting }.Distinct())
                    foreach (var agents in options.Agents)
                        await RowAsync(RowKind.OldDesign, OldDesignRow.Name, agents, level, dir =>
                            OldDesignRow.RunAsync(dir, agents, level, options.OldDesignSeconds, Progress), template: null);
                if (P > options.OldDesignPreexisting)
                    foreach (var agents in options.Agents)
                        _rows.Add(RowResult.Skipped(RowKind.OldDesign, OldDesignRow.Name, agents, P, WhyOldDesignNotRun()));
            }

            if (template is not null && options.Runs(TableRows.Measurements))
            {
                await MeasureAsync("recovery from the snapshot, memory per task, snapshot write", () =>
                    Measurements.RecoveryFromSnapshotAsync(template, NewDirectory()));
                await MeasureAsync("recovery after a kill", async () =>
                    [await Measurements.RecoveryAfterKillAsync(template, NewDirectory(), Math.Max(1, P / 10))]);
                await MeasureAsync("recovery from events alone", async () =>
                    [await Measurements.RecoveryFromEventsAsync(template, NewDirectory())]);
                await MeasureAsync("reply delays during a snapshot", async () =>
                    [await Measurements.ReplyDelayDuringSnapshotAsync(template, NewDirectory(), options.SnapshotEvery)]);
            }
        }
        finally
        {
            Nodes.Delete(_work);
        }

        return PrintReport();
    }

    private async Task RowAsync(RowKind kind, string name, int agents, int preexisting, Func<string, Task<RowResult>> run, StateTemplate? template)
    {
        var directory = NewDirectory();
        try
        {
            var label = kind == RowKind.Ceiling ? $"{name}, {preexisting:N0} preexisting" : $"{name}, {agents} agents, {preexisting:N0} preexisting";
            var result = await TimedAsync(label, async () =>
            {
                // The previous row's garbage would count in this row's heap peak; what it left reachable still does.
                var heapAtStart = ProcessMemory.SettledHeap();
                if (preexisting > 0 && template is not null) template.CopyTo(directory);
                else Directory.CreateDirectory(directory);
                var row = await run(directory);
                return row.Peak is { What: HeapSampler.What } heap ? row with { Peak = heap with { StartBytes = heapAtStart } } : row;
            });
            _rows.Add(result);
            Progress($"  {result.Definitions:N0} definitions" +
                     (result.HasFigure ? $", {result.PerSecond:N0}/s, p99 {result.Latency?.P99:0.0} ms" : ", no figure") +
                     (result.Failures.Count == 0 ? "" : $"; FAILED: {string.Join("; ", result.Failures)}"));
        }
        catch (Exception ex)
        {
            Progress($"  FAILED: {ex}");
            _rows.Add(new RowResult(kind, name, agents, preexisting, 0, TimeSpan.Zero, null, null, [$"{ex.GetType().Name}: {ex.Message}"]));
        }
        finally
        {
            Nodes.Delete(directory);
        }
    }

    private async Task<StateTemplate?> SeedAsync()
    {
        try
        {
            if (options.Template is { } existing && Directory.Exists(existing))
            {
                Progress($"template: {existing}, taken to hold {P:N0} tasks (the rows check it)");
                return StateTemplate.Open(existing, P);
            }
            // A --template that does not exist yet is seeded there and kept; otherwise the run's own directory holds it.
            return await TimedAsync($"seed the template with {P:N0} tasks", () =>
                StateTemplate.SeedAsync(options.Template ?? Path.Combine(_work, "template"), P, options.SeedAgents, Progress));
        }
        catch (Exception ex)
        {
            // Without the template the rows at P cannot run: the run still prints the rest, and fails.
            Progress($"  FAILED: {ex}");
            _measurements.Add(new Measurement($"seeding {P:N0} tasks", "no template", "—", null, Failure: $"{ex.GetType().Name}: {ex.Message}"));
            return null;
        }
    }

    private async Task MeasureAsync(string part, Func<Task<IReadOnlyList<Measurement>>> measure)
    {
        try
        {
            _measurements.AddRange(await TimedAsync(part, measure));
        }
        catch (Exception ex)
        {
            Progress($"  FAILED: {ex}");
            _measurements.Add(new Measurement(part, "no figure", "—", null, Failure: $"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    private string WhyOldDesignNotRun()
    {
        var measured = _rows.Where(r => r.Kind == RowKind.OldDesign && r.HasFigure && r.Preexisting == options.OldDesignPreexisting)
            .MaxBy(r => r.PerSecond);
        if (measured is null) return $"it rewrites the whole file of every task on each definition, so at {P:N0} tasks each definition rewrites the whole {P:N0}-task file";
        // The lock serializes definitions, and each one reads, parses, serializes and writes the whole file.
        var secondsPerDefinition = 1 / measured.PerSecond;
        var atP = secondsPerDefinition * P / Math.Max(1, options.OldDesignPreexisting);
        return $"each definition re-reads and rewrites the whole file under the lock: at {options.OldDesignPreexisting:N0} tasks that took " +
               $"{secondsPerDefinition * 1000:0.0} ms per definition, so at {P:N0} tasks about {(atP >= 1 ? $"{atP:0.0} s" : $"{atP * 1000:0} ms")} " +
               $"per definition (≈{3600 / atP:N0} definitions an hour), and a file of {P:N0} tasks to rewrite each time";
    }

    private int PrintReport()
    {
        // Grouped by design for the table (the Akka.Remote and HTTP rows ran interleaved); within a design, in run order.
        var report = new TableReport(_rows.OrderBy(r => r.Kind).ToList(), _measurements, P, options.Selected);
        var table = report.Table();
        var targets = TableReport.TargetTable(report.Targets());
        Console.Out.WriteLine();
        TablePrinter.Write(table);
        foreach (var note in report.Notes()) Console.Out.WriteLine(note);
        Console.Out.WriteLine();
        Console.Out.WriteLine("Targets (printed, not asserted) and the measurements beside the table:");
        TablePrinter.Write(targets);

        if (options.Markdown)
        {
            Console.Out.WriteLine();
            Console.Out.WriteLine(TablePrinter.Markdown(table));
            foreach (var note in report.Notes()) Console.Out.WriteLine(note + "  ");
            Console.Out.WriteLine();
            Console.Out.WriteLine(TablePrinter.Markdown(targets));
        }

        Console.Out.WriteLine();
        Console.Out.WriteLine("Time per part:");
        foreach (var (part, took) in _timings) Console.Out.WriteLine($"  {took.TotalSeconds,7:0.0} s  {part}");
        Console.Out.WriteLine($"  {_clock.Elapsed.TotalSeconds,7:0.0} s  in all");
        Console.Out.WriteLine($"load average at the end: {LoadAverage()}");

        var failures = _rows.SelectMany(r => r.Failures.Select(f => $"{r.Row}, {r.Agents} agents, {r.Preexisting:N0} preexisting: {f}"))
            .Concat(_rows.Where(r => r.NotRun is null && !r.HasFigure && r.Failures.Count == 0)
                .Select(r => $"{r.Row}, {r.Agents} agents, {r.Preexisting:N0} preexisting: no figure ({r.PerSecond} definitions/s)"))
            .Concat(_measurements.Where(m => m.Failure is not null).Select(m => $"{m.Name}: {m.Failure}"))
            .ToList();
        Console.Out.WriteLine();
        if (failures.Count == 0)
        {
            Console.Out.WriteLine($"Acknowledgments: every row acknowledged each task exactly once ({_rows.Count(r => r.NotRun is null)} rows).");
            return 0;
        }
        Console.Out.WriteLine($"FAILED: {failures.Count} check(s):");
        foreach (var failure in failures) Console.Out.WriteLine($"  {failure}");
        return 1;
    }

    private void PrintHeader()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var output = Console.Out;
        output.WriteLine("Orchestrator.Actors load table" + (options.Smoke ? " (smoke)" : ""));
        output.WriteLine($"machine: {Environment.ProcessorCount} cores; {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}); {RuntimeInformation.FrameworkDescription}");
        output.WriteLine($"build: {configuration}" + (configuration == "Debug" ? "  WARNING: a Debug build; measure with -c Release" : ""));
        output.WriteLine($"disk: {_work} ({MountOf(_work)})");
        output.WriteLine($"load average at the start: {LoadAverage()} (other processes share these cores)");
        output.WriteLine($"command: dotnet run -c {configuration} --project tests/Orchestrator.Actors.Benchmarks -- table {string.Join(' ', args)}".TrimEnd());
        output.WriteLine($"process: {Environment.CommandLine}");
        if (options.Template is not null)
            output.WriteLine($"template: {options.Template} ({(Directory.Exists(options.Template) ? "seeded earlier, not by this run" : "seeded by this run and kept")})");
        output.WriteLine($"rows: {(options.Rows is null ? "all" : string.Join(", ", options.Selected.Order().Select(TableRowNames.NameOf)))}; " +
                         $"agents {string.Join(", ", options.Agents)}; preexisting {(P > 0 ? $"0 and {P:N0}" : "0")}; definitions per row: in-process " +
                         string.Join(" / ", options.Agents.Select(a => $"{options.InProcessTasksFor(a):N0}")) + ", remote, HTTP and MCP " +
                         string.Join(" / ", options.Agents.Select(a => $"{options.RemoteTasksFor(a):N0}")) +
                         $", HTTP tasks:batch {options.HttpBatchTasks:N0} ({HttpRow.BatchSize:N0} a request, {HttpRow.BatchConcurrency(options.HttpBatchTasks, options.BatchRequests)} concurrent requests)" +
                         $", ceiling {options.CeilingTasks:N0}; old design {options.OldDesignSeconds.TotalSeconds:0} s per row at 0 and {options.OldDesignPreexisting:N0}");
        output.WriteLine();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) + " (1, 5, 15 min)" : "unknown";

    private static string MountOf(string path)
    {
        const string mounts = "/proc/mounts";
        if (!File.Exists(mounts)) return "mount unknown";
        var best = File.ReadLines(mounts)
            .Select(line => line.Split(' '))
            .Where(f => f.Length >= 3 && path.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal))
            .MaxBy(f => f[1].Length);
        return best is null ? "mount unknown" : $"{best[0]} mounted at {best[1]}, {best[2]}";
    }

    private async Task<T> TimedAsync<T>(string part, Func<Task<T>> run)
    {
        Progress(part + " ...");
        var stopwatch = Stopwatch.StartNew();
        try
        {
            return await run();
        }
        finally
        {
            _timings.Add((part, stopwatch.Elapsed));
            Progress($"  took {stopwatch.Elapsed.TotalSeconds:0.0} s");
        }
    }

    private string NewDirectory() => Path.Combine(_work, $"part-{++_directories:D2}");

    private void Progress(string line) => Console.Error.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0} s] {line}");
}
