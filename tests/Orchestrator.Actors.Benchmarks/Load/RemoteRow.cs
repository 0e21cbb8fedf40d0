using System.Diagnostics;
using System.Text.Json;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// Row 2: the orchestrator over Akka.Remote. <c>orchestrator serve</c> runs as one child process,
/// <c>orchestrator load --json</c> as another (its agents share one client and one association);
/// the figures are the load report's, the peak memory is the server's VmHWM just before it is stopped.
/// </summary>
internal static class RemoteRow
{
    public const string Name = "orchestrator over Akka.Remote";

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<RowResult> RunAsync(string dataDirectory, int agents, int tasks, int preexisting, TimeSpan limit, Action<string> progress)
    {
        var checks = new Checks();
        var port = HostProcess.FreePort();
        var server = $"127.0.0.1:{port}";
        var step = Stopwatch.StartNew();
        using var serve = HostProcess.Start("serve", "--port", port.ToString(), "--data-dir", dataDirectory);
        try
        {
            await serve.WaitForLineAsync("Recovered state-manager-", Patience);
            progress($"  server recovered after {step.Elapsed.TotalSeconds:0.0} s");
            step.Restart();

            // An error of the orchestrator's own stops the row; remoting's word that a peer went away
            // does not (the load client closing its connection as it exits races its exit here).
            var serverError = serve.LineMatching(line => line.Contains("[ERROR]") && !line.Contains("Disassociated"));
            var cpuBefore = ProcessMemory.CpuTime(serve.Id);
            // --timeout: a 1M-task server busy with a snapshot must not turn a slow answer into a retry.
            var load = await LoadAsync(serverError, limit, "load", "--server", server, "--agents", agents.ToString(),
                "--tasks", tasks.ToString(), "--repeat-fraction", "0", "--json", "--timeout", "60s");
            var serverCpu = ProcessMemory.CpuTime(serve.Id) - cpuBefore;
            var report = load.Stopped is null ? ParseLast<LoadReport>(load.Output) : null;
            if (load.Stopped is not null)
                progress($"  orchestrator load was stopped after {step.Elapsed.TotalSeconds:0.0} s {load.Stopped}");
            else if (report is null)
                checks.That(false, $"orchestrator load printed no report (exit {load.ExitCode}): {string.Join(" | ", load.Errors)}");
            else
            {
                progress($"  orchestrator load took {step.Elapsed.TotalSeconds:0.0} s, its run {report.ElapsedMs / 1000:0.0} s");
                checks.That(load.ExitCode == 0, $"orchestrator load exited {load.ExitCode}: {string.Join(" | ", load.Errors)}");
                checks.That(report.Defined == tasks, $"{report.Defined} of {tasks} tasks acknowledged as defined");
                checks.That(report is { Errors: 0, Conflicts: 0, IdempotentRepeats: 0 },
                    $"{report.Errors} errors, {report.Conflicts} conflicts, {report.IdempotentRepeats} repeats; first error: {report.FirstError}");
            }
            step.Restart();

            var stats = await HostProcess.RunAsync(Patience, "stats", "--json", "--server", server, "--timeout", "60s");
            var taskCount = ParseLast<StatsLine>(stats.Output)?.Tasks;
            progress($"  orchestrator stats took {step.Elapsed.TotalSeconds:0.0} s: " + (taskCount is { } count ? $"{count:N0} tasks" : $"no answer (exit {stats.ExitCode})"));
            step.Restart();
            var defined = report?.Defined ?? 0;
            if (load.Stopped is not null)
                checks.That(false, $"orchestrator load was stopped {load.Stopped} (its report is lost; the server then counted {taskCount?.ToString("N0") ?? "no"} tasks)");
            else if (report is not null)
                checks.That(taskCount == preexisting + defined,
                    $"orchestrator stats counts {taskCount?.ToString() ?? "nothing"} tasks (exit {stats.ExitCode}), not {preexisting} + {defined}");

            var peak = ProcessMemory.PeakResidentBytes(serve.Id);
            serve.Send(Signal.Terminate);
            var exit = await serve.WaitForExitAsync(Patience);
            progress($"  the server stopped {step.Elapsed.TotalSeconds:0.0} s after SIGTERM");
            checks.That(exit == 0, $"orchestrator serve exited {exit} after SIGTERM");

            return new RowResult(RowKind.Remote, Name, agents, preexisting, defined,
                TimeSpan.FromMilliseconds(report?.ElapsedMs ?? 0),
                report is null ? null : new LatencySummary(report.LatencyMs.P50, report.LatencyMs.P95, report.LatencyMs.P99, Max: null),
                peak is { } bytes ? new PeakMemory(bytes, "server RSS peak") : null,
                checks.Failures,
                ServerCpu: serverCpu);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            checks.That(false, ex.Message);
            return new RowResult(RowKind.Remote, Name, agents, preexisting, 0, TimeSpan.Zero, null, null, checks.Failures);
        }
    }

    /// <summary>
    /// Runs <c>orchestrator load</c> to its end, or stops it (SIGKILL) at the row's limit or as soon as
    /// the server logs an error: a failed journal write cannot acknowledge every task any more, and a
    /// server that restarts again and again would keep the row going for a long time.
    /// </summary>
    private static async Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors, string? Stopped)> LoadAsync(
        Task<string> serverError, TimeSpan limit, params string[] args)
    {
        using var load = HostProcess.Start(args);
        using var timeout = new CancellationTokenSource(limit);
        var exited = load.WaitForExitAsync(Timeout.InfiniteTimeSpan);
        var first = await Task.WhenAny(exited, serverError, Task.Delay(Timeout.Infinite, timeout.Token));
        if (first == exited) return (await exited, load.Output, load.Errors, null);
        var why = first == serverError ? $"when the server logged an error: {Message(await serverError)}" : $"at the row's limit of {limit.TotalSeconds:0} s";
        load.Kill();
        await load.WaitForExitAsync(Patience);
        return (-1, load.Output, load.Errors, why);
    }

    // "[ERROR][time][thread][path] message": the message.
    private static string Message(string logLine)
    {
        var at = 0;
        for (var i = 0; i < 4 && at >= 0; i++) at = logLine.IndexOf(']', at + 1);
        return at < 0 ? logLine : logLine[(at + 1)..].Trim();
    }

    private static T? ParseLast<T>(IReadOnlyList<string> lines) where T : class =>
        lines.LastOrDefault(l => l.TrimStart().StartsWith('{')) is { } line ? JsonSerializer.Deserialize<T>(line, Json) : null;

    // The parts of `orchestrator load --json` (LoadReport in src/Orchestrator.Host/Load/LoadRun.cs) used here.
    private sealed record LoadReport(
        int Defined, int IdempotentRepeats, int Conflicts, int Errors, double ElapsedMs, double DefinitionsPerSecond,
        LoadLatency LatencyMs, string? FirstError);

    private sealed record LoadLatency(double P50, double P95, double P99);

    private sealed record StatsLine(int Tasks);
}
