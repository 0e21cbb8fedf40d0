using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using Microsoft.Data.Sqlite;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>One figure printed under the table, with its target and whether it was met (null: no target, or not applicable).</summary>
internal sealed record Measurement(string Name, string Figure, string Target, bool? Met, string? Note = null, string? Failure = null);

/// <summary>
/// The measurements beside the table, each on its own copy of the template: recovery from the
/// snapshot and from the events alone, managed memory per task, the snapshot's size and write time,
/// and the longest reply delay while a snapshot of P tasks is written.
/// </summary>
internal static class Measurements
{
    public const double RecoveryTargetSeconds = 2;
    public const double RecoveryAfterKillTargetSeconds = 2.5;
    public const double ReplayTargetEventsPerSecond = 200_000;
    public const double MemoryTargetBytesPerTask = 500;
    public const double SnapshotDelayTargetMs = 100;

    /// <summary>
    /// Starts a node on a copy of the template and times Start to the first answered GetStats; the
    /// managed heap (settled) before the start and after the recovery, with the node alive, gives the
    /// memory per task. Then the node's own snapshot store saves a snapshot of the same state, built
    /// with the pure domain, to time a snapshot write of P tasks.
    /// </summary>
    public static async Task<IReadOnlyList<Measurement>> RecoveryFromSnapshotAsync(StateTemplate template, string directory)
    {
        var copy = template.CopyTo(directory);
        var heapBefore = ProcessMemory.SettledHeap();
        var stopwatch = Stopwatch.StartNew();
        var node = OrchestratorNode.Start(Nodes.Config(copy));
        var results = new List<Measurement>();
        try
        {
            var stats = await Nodes.StatsAsync(node);
            stopwatch.Stop();
            var heapAfter = ProcessMemory.SettledHeap();
            var recovered = stats.Tasks == template.Tasks ? null : $"recovered {stats.Tasks} tasks, not {template.Tasks}";

            var seconds = stopwatch.Elapsed.TotalSeconds;
            results.Add(new Measurement($"recovery of {template.Tasks:N0} tasks from the latest snapshot",
                $"{seconds:0.00} s (Start to the first answered GetStats)",
                $"≤ {RecoveryTargetSeconds:0} s at 1,000,000", seconds <= RecoveryTargetSeconds,
                template.Tasks == 1_000_000 ? null : $"measured at {template.Tasks:N0} tasks, not 1,000,000", recovered));

            var perTask = (double)(heapAfter - heapBefore) / template.Tasks;
            results.Add(new Measurement($"managed memory per task at {template.Tasks:N0}",
                $"{perTask:N0} B/task ({Mib(heapAfter - heapBefore)} settled heap with the node up, minus before its start)",
                $"≤ {MemoryTargetBytesPerTask:N0} B/task", perTask <= MemoryTargetBytesPerTask,
                template.Tasks < 100_000 ? "at this few tasks the ActorSystem's own heap dominates" : null, recovered));
            GC.KeepAlive(node);
            results.Add(await QueriesAsync(node, template.Tasks));

            results.Add(new Measurement("snapshot size", $"{Mib(template.SnapshotBytes)} ({template.SnapshotBytes / (double)template.Tasks:N0} B/task; journal rows {template.EventBytes:N0} B on average)",
                "—", null, "SELECT length(snapshot) FROM snapshot on the template"));
            results.Add(await SnapshotWriteAsync(node, template.Tasks));
        }
        finally
        {
            await Nodes.StopAsync(node);
            Nodes.Delete(copy);
        }
        return results;
    }

    /// <summary>
    /// Recovery as after a SIGKILL: a copy of the template gets <paramref name="events"/> more
    /// definitions from 200 agents with no snapshot behind them (snapshots off), the node stops
    /// (a stop takes no snapshot, so the journal ends as a killed node's would), and a new node is
    /// timed from Start to the first answered GetStats: the snapshot plus the events after it.
    /// </summary>
    public static async Task<Measurement> RecoveryAfterKillAsync(StateTemplate template, string directory, int events)
    {
        var copy = template.CopyTo(directory);
        try
        {
            var first = OrchestratorNode.Start(Nodes.Config(copy, $"""
                orchestrator.snapshots.every = {int.MaxValue}
                orchestrator.snapshots.every-fraction-of-tasks = 0
                """));
            AgentRunResult run;
            try
            {
                await Nodes.StatsAsync(first);
                run = await DefiningAgents.RunAsync(first.System, first.StateManager, "after-snapshot-", 200, events, Nodes.Patience);
            }
            finally
            {
                await Nodes.StopAsync(first);
            }

            var stopwatch = Stopwatch.StartNew();
            var node = OrchestratorNode.Start(Nodes.Config(copy));
            try
            {
                var stats = await Nodes.StatsAsync(node);
                stopwatch.Stop();
                var failure = run.Accepted != events || run.Errors > 0 ? $"{run.Accepted} of {events} definitions acknowledged, {run.Errors} errors; first: {run.FirstError}"
                    : stats.Tasks != template.Tasks + events ? $"recovered {stats.Tasks} tasks, not {template.Tasks} + {events}"
                    : stats.LastSnapshotSequenceNr != template.SnapshotSequenceNr ? $"recovered from the snapshot at {stats.LastSnapshotSequenceNr}, not the template's at {template.SnapshotSequenceNr}"
                    : null;
                var seconds = stopwatch.Elapsed.TotalSeconds;
                return new Measurement($"recovery after a kill: the snapshot of {template.Tasks:N0} tasks plus {events:N0} events after it",
                    $"{seconds:0.00} s (Start to the first answered GetStats)",
                    $"≤ {RecoveryAfterKillTargetSeconds:0.0} s at 1,000,000", seconds <= RecoveryAfterKillTargetSeconds,
                    "the events after a snapshot are at most every-fraction-of-tasks (0.5) of its tasks; 10% of them here", failure);
            }
            finally
            {
                await Nodes.StopAsync(node);
            }
        }
        finally
        {
            Nodes.Delete(copy);
        }
    }

    public const double QueryTargetMs = 5;

    /// <summary>
    /// GetStats, the first page of ListTasks (unfiltered, READY only, DEAD only, by id prefix) and ListAgents asked of the
    /// recovered node, 21 times each after one warm-up: the median round trip of each, in-process.
    /// </summary>
    private static async Task<Measurement> QueriesAsync(OrchestratorNode node, int tasks)
    {
        var queries = new (string Name, object Query)[]
        {
            ("GetStats", GetStats.Instance),
            ("ListTasks first page", new ListTasks()),
            ("ListTasks READY first page", new ListTasks(Status: "READY")),
            // The dashboard's dead-and-failed view: a status few tasks or none have.
            ("ListTasks DEAD first page", new ListTasks(Status: "DEAD", Limit: 50)),
            // An id prefix reads every id (not the tasks) to count its matches.
            ("ListTasks by id prefix", new ListTasks(IdPrefix: StateTemplate.TaskPrefix + "09999", Limit: 50)),
            // An agent filter reads every task (its agent) to count its matches.
            ("ListTasks by agent", new ListTasks(Agent: "load-agent-0001", Limit: 50)),
            ("ListAgents", new ListAgents()),
        };
        var medians = new List<(string Name, double Ms)>();
        string? failure = null;
        foreach (var (name, query) in queries)
        {
            var times = new List<double>();
            for (var i = 0; i < 22; i++)
            {
                var stopwatch = Stopwatch.StartNew();
                var reply = await node.StateManager.Ask<object>(query, Nodes.Patience);
                stopwatch.Stop();
                if (reply is OrchestratorUnavailable or CommandRejected) failure ??= $"{name} answered {reply}";
                if (i > 0) times.Add(stopwatch.Elapsed.TotalMilliseconds);
            }
            medians.Add((name, LatencySummary.Of(times).P50));
        }
        // While four id-prefix scans are answered away from the state manager's thread, how long a
        // GetStats (the state manager's own thread) takes: what a scan costs the rest of the node.
        var scans = Enumerable.Range(0, 4).Select(_ => node.StateManager.Ask<object>(new ListTasks(IdPrefix: StateTemplate.TaskPrefix + "09999"), Nodes.Patience)).ToList();
        var during = Stopwatch.StartNew();
        await node.StateManager.Ask<object>(GetStats.Instance, Nodes.Patience);
        during.Stop();
        var scanning = Stopwatch.StartNew();
        await Task.WhenAll(scans);
        medians.Add(("GetStats during 4 id-prefix scans", during.Elapsed.TotalMilliseconds));
        Console.Error.WriteLine($"  the 4 scans ended {scanning.Elapsed.TotalMilliseconds:0} ms after GetStats was answered");
        var worst = medians.Max(m => m.Ms);
        return new Measurement($"queries at {tasks:N0} tasks (median round trip in-process)",
            string.Join("; ", medians.Select(m => $"{m.Name} {m.Ms:0.00} ms")),
            $"≤ {QueryTargetMs:0} ms each", worst <= QueryTargetMs, "Ask of the state manager from the same process, 21 times each after one warm-up", failure);
    }

    /// <summary>A copy of the template with every snapshot row deleted: recovery replays every event.</summary>
    public static async Task<Measurement> RecoveryFromEventsAsync(StateTemplate template, string directory)
    {
        var copy = template.CopyTo(directory);
        foreach (var database in StateTemplate.DatabasesWithTable(copy, "snapshot"))
        {
            using var connection = new SqliteConnection(Orchestrator.Actors.Configuration.OrchestratorConfig.SqliteConnectionString(database, pooling: false));
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM snapshot";
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        var stopwatch = Stopwatch.StartNew();
        var node = OrchestratorNode.Start(Nodes.Config(copy));
        try
        {
            var stats = await Nodes.StatsAsync(node);
            stopwatch.Stop();
            var failure = stats.Tasks != template.Tasks ? $"recovered {stats.Tasks} tasks, not {template.Tasks}"
                : stats.LastSnapshotSequenceNr != 0 ? $"recovered from a snapshot at {stats.LastSnapshotSequenceNr}, not from the events"
                : null;
            var perSecond = stats.EventsJournaled / stopwatch.Elapsed.TotalSeconds;
            return new Measurement($"recovery from events alone ({stats.EventsJournaled:N0} events)",
                $"{perSecond:N0} events/s ({stopwatch.Elapsed.TotalSeconds:0.00} s, Start to the first answered GetStats)",
                $"≥ {ReplayTargetEventsPerSecond:N0} events/s", perSecond >= ReplayTargetEventsPerSecond,
                "events = StatsReport.EventsJournaled (every event, batched ones included, is replayed)", failure);
        }
        finally
        {
            await Nodes.StopAsync(node);
            Nodes.Delete(copy);
        }
    }

    /// <summary>
    /// 25 agent actors define tasks on a copy of the template with a snapshot every
    /// <paramref name="every"/> events, until StatsReport.LastSnapshotSequenceNr moves (the snapshot
    /// of P tasks is written and confirmed); the longest reply delay of the run is the figure.
    /// </summary>
    public static async Task<Measurement> ReplyDelayDuringSnapshotAsync(StateTemplate template, string directory, int every)
    {
        const int agents = 25;
        var copy = template.CopyTo(directory);
        var node = OrchestratorNode.Start(Nodes.Config(copy, $"""
            orchestrator.snapshots.every = {every}
            orchestrator.snapshots.every-fraction-of-tasks = 0
            """));
        var name = $"longest reply delay while a snapshot of {template.Tasks:N0} tasks is written ({agents} agents)";
        try
        {
            var before = await Nodes.StatsAsync(node);
            // Recovery leaves gigabytes of garbage behind; collect it now, so that the figure is the
            // snapshot's doing and not the first full collection after recovery (reported apart).
            var collect = Stopwatch.StartNew();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            collect.Stop();
            using var stop = new CancellationTokenSource();
            var running = DefiningAgents.RunAsync(node.System, node.StateManager, "snapshot-delay-", agents, int.MaxValue, Nodes.Patience, stop: stop.Token);
            var stopwatch = Stopwatch.StartNew();
            var stats = before;
            while (stats.LastSnapshotSequenceNr == before.LastSnapshotSequenceNr && stopwatch.Elapsed < Nodes.Patience && !running.IsCompleted)
            {
                await Task.Delay(100);
                stats = await Nodes.StatsAsync(node);
            }
            var seenAfter = stopwatch.Elapsed;
            await stop.CancelAsync();
            var run = await running;
            var after = await Nodes.StatsAsync(node);

            var snapshotted = stats.LastSnapshotSequenceNr != before.LastSnapshotSequenceNr;
            var failure = !snapshotted ? $"NO SNAPSHOT was taken during the run (snapshot still at {before.LastSnapshotSequenceNr} after {seenAfter.TotalSeconds:0} s): no figure"
                : run.Errors > 0 || run.Accepted != run.Sent ? $"{run.Accepted} of {run.Sent} acknowledged, {run.Errors} errors (the agents stopped {run.Stopped}); first: {run.FirstError}"
                : after.Tasks != template.Tasks + run.Accepted ? $"GetStats counts {after.Tasks} tasks, not {template.Tasks} + {run.Accepted}"
                : null;
            var latency = LatencySummary.Of(run.LatenciesMs);
            var max = latency.Max ?? double.NaN;
            return new Measurement(name,
                snapshotted ? $"{max:0.0} ms max (p99 {latency.P99:0.0} ms; {run.Accepted:N0} definitions in {run.Elapsed.TotalSeconds:0.0} s; snapshot at {stats.LastSnapshotSequenceNr:N0} confirmed after {seenAfter.TotalSeconds:0.0} s)" : "no snapshot",
                $"≤ {SnapshotDelayTargetMs:0} ms", snapshotted ? max <= SnapshotDelayTargetMs : false,
                $"orchestrator.snapshots.every = {every}, every-fraction-of-tasks = 0; a full blocking collection after recovery, before the agents start, took {collect.Elapsed.TotalMilliseconds:N0} ms", failure);
        }
        finally
        {
            await Nodes.StopAsync(node);
            Nodes.Delete(copy);
        }
    }

    /// <summary>
    /// The same P tasks folded with the pure domain, turned into the snapshot record and saved by the
    /// node's snapshot store (serialized there, as the state manager's own snapshots are), timed to SaveSnapshotSuccess.
    /// </summary>
    private static async Task<Measurement> SnapshotWriteAsync(OrchestratorNode node, int tasks)
    {
        var state = OrchestratorState.Empty;
        var at = DateTimeOffset.UtcNow;
        for (var i = 0; i < tasks; i++)
        {
            var id = DefiningAgents.TaskId(StateTemplate.TaskPrefix, i);
            var agent = $"load-agent-{i % 1000:D4}";
            state = OrchestratorDomain.Apply(state, new TaskDefined(id, agent, $"tasks/{id}.md", TaskPriority.Medium, at, MaxAttempts: 3, By: agent));
        }

        var store = Persistence.Instance.Apply(node.System).SnapshotStoreFor(null);
        var stopwatch = Stopwatch.StartNew();
        var snapshot = Snapshots.ToSnapshot(state);
        var built = stopwatch.Elapsed;
        var reply = await store.Ask<object>(new SaveSnapshot(new SnapshotMetadata("bench-snapshot", 1, DateTime.UtcNow), snapshot), Nodes.Patience);
        stopwatch.Stop();
        var failure = reply is SaveSnapshotSuccess ? null : $"the snapshot store answered {reply}";
        return new Measurement($"snapshot write of {tasks:N0} tasks",
            $"{stopwatch.Elapsed.TotalSeconds:0.00} s (Snapshots.ToSnapshot {built.TotalSeconds:0.00} s, then serialize and insert to SaveSnapshotSuccess)",
            "—", null, "a snapshot of the same state built with the pure domain, saved through the node's snapshot store", failure);
    }

    public static string Mib(long bytes) => $"{bytes / 1024.0 / 1024.0:N1} MiB";
}
