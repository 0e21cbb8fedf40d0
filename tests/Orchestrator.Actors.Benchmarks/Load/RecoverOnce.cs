using System.Diagnostics;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// One recovery and nothing else, for a profiler: a copy of a template's data directory, a node
/// started on it, timed to the first answered GetStats, stopped, the copy deleted.
/// <c>dotnet-trace collect -- tests/Orchestrator.Actors.Benchmarks/bin/Release/net10.0/Orchestrator.Actors.Benchmarks recover DIR</c>
/// </summary>
internal static class RecoverOnce
{
    /// <summary>
    /// The halves of loading the template's newest snapshot, each timed three times in this process:
    /// the serializer's read of the row's bytes (inflate and parse), then the domain's FromSnapshot.
    /// </summary>
    public static int ReadSnapshot(string directory)
    {
        var database = StateTemplate.DatabasesWithTable(directory, "snapshot").First();
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False");
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
        if (args.Length != 1 || !Directory.Exists(args[0]))
        {
            Console.Error.WriteLine("recover: expected the data directory of a template (seeded by table --template DIR)");
            return 2;
        }
        // Copied whole (a template without snapshot rows too: a recovery from the events alone).
        var copy = StateTemplate.CopyDirectory(args[0], Path.Combine(Path.GetTempPath(), $"recover-{Guid.NewGuid():N}"));
        try
        {
            var heapBefore = ProcessMemory.SettledHeap();
            var stopwatch = Stopwatch.StartNew();
            var node = OrchestratorNode.Start(Nodes.Config(copy));
            var stats = await Nodes.StatsAsync(node);
            stopwatch.Stop();
            var heap = ProcessMemory.SettledHeap() - heapBefore;
            Console.WriteLine($"recovered {stats.Tasks:N0} tasks ({stats.EventsJournaled:N0} events; snapshot at {stats.LastSnapshotSequenceNr:N0}) in {stopwatch.Elapsed.TotalSeconds:0.00} s; " +
                              $"settled managed heap {Measurements.Mib(heap)} with the node up, {heap / (double)Math.Max(1, stats.Tasks):N0} B/task");
            await Nodes.StopAsync(node);
            return 0;
        }
        finally
        {
            Nodes.Delete(copy);
        }
    }
}
