using System.Globalization;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// Turns the rows and measurements into what is printed: the one table with its ratios, the notes
/// that say what each figure is, the targets met or not, and the failed acknowledgment checks.
/// </summary>
internal sealed class TableReport(IReadOnlyList<RowResult> rows, IReadOnlyList<Measurement> measurements, int preexisting, IReadOnlySet<TableRows> selected)
{
    /// <summary>The target of the single-definition HTTP route at 200 connections, against Akka.Remote at 200 agents.</summary>
    public const double HttpVsRemoteTarget = 1.0;

    /// <summary>The target of the tasks:batch route, against the raw SQLite ceiling.</summary>
    public const double BatchVsCeilingTarget = 0.5;

    /// <summary>The target of DefineTasks of 1,000 in-process, against the raw SQLite ceiling (issue 14).</summary>
    public const double InProcessBatchVsCeilingTarget = 0.8;

    public const double GroupCeilingInProcessTarget = 0.8, GroupCeilingRemoteTarget = 0.5;

    private const string CeilingMark = "¹";
    private const string OldVsCeilingMark = "²";

    public TextTable Table()
    {
        var lines = rows.Select(r => (IReadOnlyList<string>)
        [
            r.Row + (r.Kind == RowKind.Ceiling ? CeilingMark : ""),
            r.Kind == RowKind.Ceiling ? "1" : r.Agents.ToString("N0"),
            r.Preexisting.ToString("N0"),
            r.NotRun is not null ? "not run" : r.Definitions.ToString("N0"),
            r.NotRun is not null ? "—" : Number(r.PerSecond, "N0"),
            VsCeiling(r),
            VsEmpty(r),
            Ms(r.Latency?.P50), Ms(r.Latency?.P95), Ms(r.Latency?.P99), Ms(r.Latency?.Max),
            r.Peak is { } peak ? $"{Mib(peak.Bytes)} MiB {Short(peak.What)}" + (peak.StartBytes is { } start ? $" (from {Mib(start)})" : "") : "—",
            r.NotRun is not null ? "—" : r.Failures.Count == 0 ? "ok" : "FAILED",
        ]).ToList();
        return new TextTable(
            ["row", "agents", "preexisting", "definitions", "definitions/s", "vs ceiling", "vs empty", "p50 ms", "p95 ms", "p99 ms", "max ms", "peak memory", "acks"],
            lines, FirstNumericColumn: 1);
    }

    public IEnumerable<string> Notes()
    {
        yield return "definitions = acknowledged definitions of distinct tasks; definitions/s over the whole row. Latency: send to reply, every request.";
        yield return $"{CeilingMark} ceiling latency = commit time of each {CeilingRow.TransactionSize:N0}-row transaction; its peak memory is this process's managed heap.";
        if (rows.Any(r => r.Kind == RowKind.GroupCeiling))
            yield return "group-commit ceiling: agents = writers, each submitting one row and waiting for its commit; one committer writes all that queued meanwhile as one transaction; latency = submit to commit heard.";
        yield return "vs ceiling = definitions/s / the ceiling's at the same preexisting; vs empty = definitions/s / the same row's at 0 preexisting.";
        if (rows.Any(r => r.Kind == RowKind.OldDesign && r.NotRun is null && r.Preexisting != 0 && Ceiling(r.Preexisting) is null))
            yield return $"{OldVsCeilingMark} the old design at a preexisting count the ceiling did not run is compared with the ceiling at 0.";
        yield return "peak memory: heap = peak managed heap of this process sampled every 50 ms during the row (GC.GetTotalMemory(false)), garbage included;";
        yield return "             (from N) = the heap after a full collection when the row began: what earlier rows still held (stopped nodes' snapshots linger for ~30 s) counts in the peak;";
        yield return "             RSS = the server process's resident peak (VmHWM in /proc), recovery included. The remote rows' max latency is not reported by orchestrator load.";
        var cpu = rows.Where(r => r.ServerCpuMicrosecondsPerDefinition is not null).ToList();
        if (cpu.Count > 0)
            yield return "server CPU per definition (utime + stime of orchestrator serve while the definitions ran, /proc, 10 ms ticks): " +
                         string.Join("; ", cpu.Select(r => $"{Short(r)} {r.Agents}{(r.Preexisting > 0 ? $" at {r.Preexisting:N0}" : "")}: {r.ServerCpuMicrosecondsPerDefinition:N0} µs"));
        var clientCpu = rows.Where(r => r.ClientCpuMicrosecondsPerDefinition is not null).ToList();
        if (clientCpu.Count > 0)
            yield return "client CPU per definition (this process: the clients of the HTTP and MCP rows, while the definitions ran): " +
                         string.Join("; ", clientCpu.Select(r => $"{Short(r)} {r.Agents}{(r.Preexisting > 0 ? $" at {r.Preexisting:N0}" : "")}: {r.ClientCpuMicrosecondsPerDefinition:N0} µs"));
        foreach (var skipped in rows.Where(r => r.NotRun is not null).DistinctBy(r => (r.Kind, r.Preexisting)))
            yield return $"{skipped.Row} at {skipped.Preexisting:N0}: not run, {skipped.NotRun}";
        if (rows.Any(r => r.Kind is RowKind.Http or RowKind.HttpBatch))
        {
            yield return "over HTTP: this process is the client, orchestrator serve a child process; agents = concurrent clients over one HttpClient (SocketsHttpHandler,";
            yield return $"             MaxConnectionsPerServer = agents, HTTP/1.1 keep-alive: one connection each), POST /v1/namespaces/default/tasks, each answer 201 with its task;";
            yield return $"             tasks:batch: agents = concurrent requests of {HttpRow.BatchSize:N0} definitions (POST .../tasks:batch), every item created; its latency is per request.";
        }
        if (rows.Any(r => r.Kind == RowKind.Mcp))
        {
            yield return "over MCP (Streamable HTTP at /mcp of the same serve child): agents = concurrent stateful sessions of the SDK's own client (ModelContextProtocol,";
            yield return $"             McpClient over HttpClientTransport, each session its own HttpClient and standalone GET stream), opened before the clock; one {McpRow.Tool} call";
            yield return "             at a time per session, each result no error, created true, its own task; definitions/s = tool calls/s, latency per tool call.";
        }
        yield return "acks: every task acknowledged exactly once, no errors, and the store's count = preexisting + definitions (GetStats / orchestrator stats / COUNT(*) / the file).";
    }

    /// <summary>The targets, each met or not; speed targets are printed, never asserted.</summary>
    public IReadOnlyList<Measurement> Targets()
    {
        var targets = new List<Measurement>();
        foreach (var p in new[] { 0, preexisting }.Distinct())
        {
            if (selected.Contains(TableRows.InProcess))
                targets.Add(RatioTarget(Find(RowKind.InProcess, 200, p), $"in-process, 200 agents, at {p:N0}", 1.0));
            if (selected.Contains(TableRows.Remote))
                targets.Add(RatioTarget(Find(RowKind.Remote, 200, p), $"over Akka.Remote, 200 agents, at {p:N0}", 0.5));
            if (selected.Contains(TableRows.GroupCeiling))
            {
                if (selected.Contains(TableRows.InProcess)) targets.Add(GroupCeilingTarget(RowKind.InProcess, 200, p, GroupCeilingInProcessTarget));
                if (selected.Contains(TableRows.Remote)) targets.Add(GroupCeilingTarget(RowKind.Remote, 200, p, GroupCeilingRemoteTarget));
            }
            if (selected.Contains(TableRows.Http))
                foreach (var agents in new[] { 25, 200 })
                    targets.Add(HttpVsRemote(agents, p));
            if (selected.Contains(TableRows.Mcp))
                foreach (var agents in new[] { 25, 200 }.Where(a => a == 25 || rows.Any(r => r.Kind is RowKind.Mcp or RowKind.Http && r.Agents == a && r.Preexisting == p)))
                    targets.Add(McpVsHttp(agents, p));
            if (selected.Contains(TableRows.InProcessBatch))
            {
                var batch = rows.FirstOrDefault(r => r.Kind == RowKind.InProcessBatch && r.Preexisting == p && r.HasFigure);
                targets.Add(RatioTarget(batch, $"in-process, DefineTasks of {InProcessBatchRow.BatchSize:N0}, at {p:N0}", InProcessBatchVsCeilingTarget));
            }
            if (selected.Contains(TableRows.HttpBatch))
            {
                var batch = rows.FirstOrDefault(r => r.Kind == RowKind.HttpBatch && r.Preexisting == p && r.HasFigure);
                targets.Add(RatioTarget(batch, $"over HTTP, tasks:batch at {HttpRow.BatchSize:N0}/request, at {p:N0}", BatchVsCeilingTarget));
            }
            if (selected.Contains(TableRows.InProcess))
            {
                var small = Find(RowKind.InProcess, 25, p);
                targets.Add(new Measurement($"p99 latency in-process, 25 agents, at {p:N0}", Ms(small?.Latency?.P99) + " ms", "≤ 10 ms",
                    small?.Latency is { } l ? l.P99 <= 10 : null, small is null ? "not run" : null));
            }
        }
        foreach (var kind in new[] { RowKind.InProcess, RowKind.Remote }.Where(k => preexisting > 0 && selected.Contains(k == RowKind.InProcess ? TableRows.InProcess : TableRows.Remote)))
            foreach (var agents in new[] { 25, 200 })
            {
                var row = Find(kind, agents, preexisting);
                var ratio = row is null ? double.NaN : EmptyRatio(row);
                targets.Add(new Measurement($"{Label(kind)}, {agents} agents: throughput at {preexisting:N0} vs at 0",
                    Number(ratio, "P0"), "≥ 90%", double.IsFinite(ratio) ? ratio >= 0.9 : null, row is null ? "not run" : null));
            }
        targets.AddRange(measurements);
        foreach (var agents in new[] { 25, 200 })
        {
            var old = rows.Where(r => r.Kind == RowKind.OldDesign && r.Agents == agents && r.NotRun is null).MaxBy(r => r.Preexisting);
            var mine = Find(RowKind.InProcess, agents, preexisting);
            var mineAtZero = Find(RowKind.InProcess, agents, 0);
            var oldAtZero = Find(RowKind.OldDesign, agents, 0);
            if (old is null || mine is null) continue;
            targets.Add(new Measurement($"in-process at {preexisting:N0} vs old design at {old.Preexisting:N0}, {agents} agents",
                $"{Times(mine.PerSecond / old.PerSecond)} ({Number(mine.PerSecond, "N0")} vs {Number(old.PerSecond, "N1")} definitions/s)",
                "reported", null,
                mineAtZero is not null && oldAtZero is not null ? $"at 0 preexisting both: {Times(mineAtZero.PerSecond / oldAtZero.PerSecond)}" : null));
        }
        return targets;
    }

    public static TextTable TargetTable(IReadOnlyList<Measurement> targets) => new(
        ["measure", "figure", "target", "met"],
        targets.Select(t => (IReadOnlyList<string>)
        [
            t.Name,
            t.Figure + (t.Note is null ? "" : $" [{t.Note}]"),
            t.Target,
            t.Failure is not null ? "FAILED: " + t.Failure : t.Met switch { true => "met", false => "NOT met", null => "—" },
        ]).ToList(),
        FirstNumericColumn: int.MaxValue);

    /// <summary>HTTP at N connections against Akka.Remote at N agents, at the same preexisting: a target at 200, reported at 25.</summary>
    private Measurement HttpVsRemote(int agents, long p)
    {
        var http = Find(RowKind.Http, agents, p);
        var remote = Find(RowKind.Remote, agents, p);
        var ratio = http is null || remote is null ? double.NaN : http.PerSecond / remote.PerSecond;
        var atTarget = agents == 200;
        return new Measurement($"over HTTP, {agents} connections, at {p:N0}: vs over Akka.Remote, {agents} agents",
            double.IsFinite(ratio) ? $"{Number(ratio, "0.00")}x ({Number(http!.PerSecond, "N0")} vs {Number(remote!.PerSecond, "N0")} definitions/s)" : "—",
            atTarget ? $"≥ {HttpVsRemoteTarget:0.0}x" : "reported",
            atTarget && double.IsFinite(ratio) ? ratio >= HttpVsRemoteTarget : null,
            http is null ? "HTTP not run" : remote is null ? "Akka.Remote not run" : null);
    }

    /// <summary>MCP at N sessions against HTTP at N connections, at the same preexisting: reported, no target.</summary>
    private Measurement McpVsHttp(int agents, long p)
    {
        var mcp = Find(RowKind.Mcp, agents, p);
        var http = Find(RowKind.Http, agents, p);
        var ratio = mcp is null || http is null ? double.NaN : mcp.PerSecond / http.PerSecond;
        return new Measurement($"over MCP, {agents} sessions, at {p:N0}: tool calls/s vs over HTTP, {agents} connections",
            double.IsFinite(ratio) ? $"{Number(ratio, "0.00")}x ({Number(mcp!.PerSecond, "N0")} vs {Number(http!.PerSecond, "N0")}/s)" : "—",
            "reported", null,
            mcp is null ? "MCP not run" : http is null ? "HTTP not run" : null);
    }

    // The orchestrator against SQLite at its own concurrency (issue 14's targets).
    private Measurement GroupCeilingTarget(RowKind kind, int agents, long p, double target)
    {
        var row = Find(kind, agents, p);
        var ceiling = Find(RowKind.GroupCeiling, agents, p);
        var ratio = row is null || ceiling is null ? double.NaN : row.PerSecond / ceiling.PerSecond;
        return new Measurement($"{Label(kind)}, {agents} agents, at {p:N0}: vs the {agents}-writer group-commit ceiling",
            double.IsFinite(ratio) ? $"{Number(ratio, "0.00")} ({Number(row!.PerSecond, "N0")} vs {Number(ceiling!.PerSecond, "N0")}/s)" : "—",
            $"≥ {target:0.0}", double.IsFinite(ratio) ? ratio >= target : null,
            row is null ? "not run" : ceiling is null ? "group-commit ceiling not run" : null);
    }

    private Measurement RatioTarget(RowResult? row, string what, double target)
    {
        var ratio = row is null ? double.NaN : CeilingRatio(row);
        return new Measurement($"{what}: vs ceiling", Number(ratio, "0.00"), $"≥ {target:0.0}",
            double.IsFinite(ratio) ? ratio >= target : null, row is null ? "not run" : null);
    }

    private RowResult? Find(RowKind kind, int agents, long preexisting) =>
        rows.FirstOrDefault(r => r.Kind == kind && r.Agents == agents && r.Preexisting == preexisting && r.HasFigure);

    private RowResult? Ceiling(long preexisting) =>
        rows.FirstOrDefault(r => r.Kind == RowKind.Ceiling && r.Preexisting == preexisting && r.HasFigure);

    private double CeilingRatio(RowResult row)
    {
        var ceiling = Ceiling(row.Preexisting) ?? (row.Kind == RowKind.OldDesign ? Ceiling(0) : null);
        return ceiling is null || !row.HasFigure ? double.NaN : row.PerSecond / ceiling.PerSecond;
    }

    private string VsCeiling(RowResult row)
    {
        if (row.Kind == RowKind.Ceiling || !row.HasFigure) return "—";
        var mark = row.Kind == RowKind.OldDesign && row.Preexisting != 0 && Ceiling(row.Preexisting) is null ? OldVsCeilingMark : "";
        return Number(CeilingRatio(row), "0.00") + mark;
    }

    private double EmptyRatio(RowResult row)
    {
        var empty = row.Kind == RowKind.Ceiling
            ? Ceiling(0)
            : rows.FirstOrDefault(r => r.Kind == row.Kind && r.Agents == row.Agents && r.Preexisting == 0 && r.HasFigure);
        return empty is null || !row.HasFigure ? double.NaN : row.PerSecond / empty.PerSecond;
    }

    private string VsEmpty(RowResult row) => row.Preexisting == 0 || !row.HasFigure ? "—" : Number(EmptyRatio(row), "0.00");

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("N0", CultureInfo.InvariantCulture);

    private static string Times(double ratio) => Number(ratio, ratio < 10 ? "0.0" : "N0") + "x";

    private static string Label(RowKind kind) => kind == RowKind.InProcess ? "in-process" : "over Akka.Remote";

    private static string Short(RowResult row) => row.Kind switch
    {
        RowKind.Remote => "Akka.Remote",
        RowKind.Http => "HTTP",
        RowKind.HttpBatch => "tasks:batch",
        RowKind.InProcessBatch => "DefineTasks",
        RowKind.Mcp => "MCP",
        _ => row.Row,
    };

    private static string Short(string what) => what switch
    {
        "managed heap" => "heap",
        "server RSS peak" => "RSS",
        _ => what,
    };

    private static string Ms(double? value) => value is { } v && double.IsFinite(v) ? v.ToString(v < 10 ? "0.00" : "N1", CultureInfo.InvariantCulture) : "—";

    private static string Number(double value, string format) => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "—";
}
