using System.Diagnostics;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// One recovery and nothing else, for a profiler: a copy of a template's data directory, a node
/// started on it, timed to the first answered GetStats, stopped, the copy deleted. Meanwhile another
/// actor ticks every 50 ms: the longest gap between its ticks is how long the node's other work waited.
/// <c>dotnet-trace collect -- tests/Orchestrator.Actors.Benchmarks/bin/Release/net10.0/Orchestrator.Actors.Benchmarks recover DIR</c>
/// </summary>
internal static class RecoverOnce
{
    private static readonly TimeSpan TickEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// An actor on the default dispatcher, as the cluster's heartbeats are, ticked by the scheduler:
    /// the longest gap between its ticks is the longest the node's other actors waited during recovery.
    /// </summary>
    private sealed class Ticker : Akka.Actor.ReceiveActor, Akka.Actor.IWithTimers
    {
        public Akka.Actor.ITimerScheduler Timers { get; set; } = null!;

        public sealed class LongestGap
        {
            public static readonly LongestGap Instance = new();
        }

        private sealed class Tick
        {
            public static readonly Tick Instance = new();
        }

        public Ticker(TimeSpan every)
        {
            var last = Stopwatch.StartNew();
            var longest = TimeSpan.Zero;
            Timers.StartPeriodicTimer("tick", Tick.Instance, every);
            Receive<Tick>(_ =>
            {
                if (last.Elapsed > longest) longest = last.Elapsed;
                last.Restart();
            });
            Receive<LongestGap>(_ => Sender.Tell(last.Elapsed > longest ? last.Elapsed : longest, Self));
        }
    }

    /// <summary>
    /// The halves of loading the template's newest snapshot, each timed three times in this process:
    /// the serializer's read of the row's bytes (inflate and parse), then the domain's FromSnapshot.
    /// </summary>
    public static int ReadSnapshot(string directory)
    {
        var database = StateTemplate.DatabasesWithTable(directory, "snapshot").First();
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(Orchestrator.Actors.Configuration.OrchestratorConfig.SqliteConnectionString(database, pooling: false));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT manifest, snapshot FROM snapshot ORDER BY sequence_number DESC LIMIT 1";
        using var reader = command.ExecuteReader();
        reader.Read();
        var (manifest, bytes) = (reader.GetString(0), (byte[])reader.GetValue(1));
        using var system = Akka.Actor.ActorSystem.Create("read-snapshot");
        var serializer = new Protocol.Serialization.OrchestratorSerializer((Akka.Actor.ExtendedActorSystem)system);
        for (var i = 0; i < 3; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            var snapshot = (Protocol.Snapshots.OrchestratorSnapshotV2)serializer.FromBinary(bytes, manifest);
            var read = stopwatch.Elapsed;
            var state = Domain.Snapshots.FromSnapshot(snapshot);
            Console.WriteLine($"{manifest}, {bytes.Length:N0} bytes: read {read.TotalSeconds:0.00} s, FromSnapshot {(stopwatch.Elapsed - read).TotalSeconds:0.00} s ({state.Tasks.Count:N0} tasks)");
        }
        return 0;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--read-snapshot", var dir]) return ReadSnapshot(dir);
        // The node's thread-pool floor as shipped (hocon.conf), or as given, to compare side by side.
        var extra = "";
        if (args is [var d, "--min-worker-threads", var n])
        {
            if (!int.TryParse(n, out var floor) || floor < 0)
            {
                Console.Error.WriteLine($"recover: --min-worker-threads takes a whole number of threads, 0 or more (got '{n}')");
                return 2;
            }
            extra = $"orchestrator.min-worker-threads = {floor}";
            args = [d];
        }
        if (args.Length != 1 || !Directory.Exists(args[0]))
        {
            Console.Error.WriteLine("recover: expected the data directory of a template (seeded by table --template DIR) [--min-worker-threads N]");
            return 2;
        }
        var copy = StateTemplate.CopyDirectory(args[0], Path.Combine(Path.GetTempPath(), $"recover-{Guid.NewGuid():N}"));
        try
        {
            var heapBefore = ProcessMemory.SettledHeap();
            var pausedBefore = GC.GetTotalPauseDuration();
            var stopwatch = Stopwatch.StartNew();
            var node = OrchestratorNode.Start(Nodes.Config(copy, extra));
            var ticker = node.System.ActorOf(Akka.Actor.Props.Create(() => new Ticker(TickEvery)), "recovery-ticker");
            var stats = await Nodes.StatsAsync(node);
            stopwatch.Stop();
            var paused = GC.GetTotalPauseDuration() - pausedBefore;
            var longestGap = await Akka.Actor.Futures.Ask<TimeSpan>(ticker, Ticker.LongestGap.Instance, TimeSpan.FromSeconds(10));
            var heap = ProcessMemory.SettledHeap() - heapBefore;
            Console.WriteLine($"recovered {stats.Tasks:N0} tasks ({stats.EventsJournaled:N0} events; snapshot at {stats.LastSnapshotSequenceNr:N0}) in {stopwatch.Elapsed.TotalSeconds:0.00} s; " +
                              $"settled managed heap {Measurements.Mib(heap)} with the node up, {heap / (double)Math.Max(1, stats.Tasks):N0} B/task; " +
                              $"another actor's {TickEvery.TotalMilliseconds:0} ms tick came at most {longestGap.TotalMilliseconds:N0} ms apart; GC paused {paused.TotalMilliseconds:N0} ms in all");
            await Nodes.StopAsync(node);
            return 0;
        }
        finally
        {
            Nodes.Delete(copy);
        }
    }
}
