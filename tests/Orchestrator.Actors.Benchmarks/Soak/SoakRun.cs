using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Orchestrator.Actors.Client;

namespace Orchestrator.Actors.Benchmarks.Soak;

/// <summary>The faults a round gives the node, in turn.</summary>
internal enum Fault
{
    /// <summary>SIGKILL at a random moment, then a restart on the same data directory.</summary>
    Kill,
    /// <summary>SIGSTOP for longer than a lease, then SIGCONT: every lease runs out while the node is frozen.</summary>
    Pause,
    /// <summary>Another process holds SQLite's write lock past the journal's call timeout: writes fail.</summary>
    JournalLock,
}

/// <summary>
/// The chaos soak (issue 16): <c>orchestrator serve</c> on its SQLite default, agents doing the whole
/// lifecycle through Akka.Remote and HTTP, and in each round one fault at a random moment (SIGKILL,
/// SIGSTOP past the leases, or SQLite's write lock held by another process until journal writes
/// fail). After each round the node is SIGKILLed once more, the database files pass SQLite's
/// <c>integrity_check</c>, the node recovers, and <see cref="SoakChecker"/> holds the recovered state
/// against every operation acknowledged since the start. Exit 1 on any violation.
/// <c>dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- soak [--rounds N] [--round-seconds S] [--agents A] [--seed S]</c>
/// </summary>
internal static class SoakRun
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(string[] args)
    {
        if (SoakOptions.Parse(args) is not { } options)
        {
            Console.Error.WriteLine(
                $"soak: expected {SoakOptions.Usage}; got '{string.Join(' ', args)}'");
            return 2;
        }
        var dataDir = Path.Combine(Path.GetTempPath(), $"orchestrator-soak-{options.Seed}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dataDir);
        var overlay = Path.Combine(dataDir, "soak.conf");
        // Snapshots often, so recoveries go through a snapshot and the events after it; retries soon,
        // so failed tasks come back within a round; the journal's calls fail after CallTimeout, so a
        // held write lock is a write failure within a round, not a 10 s wait.
        File.WriteAllText(overlay, $$"""
            orchestrator.snapshots.every = 300
            orchestrator.lifecycle.max-attempts = 5
            orchestrator.lifecycle.retry { base = 200ms, cap = 1s }
            akka.persistence.journal.sql.circuit-breaker { call-timeout = {{(int)options.CallTimeout.TotalMilliseconds}}ms, reset-timeout = 1s }
            """);
        var port = HostProcess.FreePort();
        var httpPort = HostProcess.FreePort();
        HostProcess Start() => HostProcess.Start("serve", "--port", Invariant(port), "--http-port", Invariant(httpPort),
            "--data-dir", dataDir, "--config", overlay);
        Console.WriteLine($"soak: {options.Rounds} rounds of {options.Round.TotalSeconds:0} s, {options.Agents} agents (half remoting, half HTTP), " +
                          $"lease {options.Lease.TotalSeconds:0.#} s, seed {options.Seed}, data in {dataDir}");

        var random = new Random(options.Seed);
        var ledger = new SoakLedger();
        var counts = new SoakCounts();
        var versions = new Dictionary<(string Owner, string Key), long>();
        var faults = new Dictionary<Fault, int>();
        var violations = 0;
        var total = Stopwatch.StartNew();
        using var node = new SoakNode(Start, Path.Combine(dataDir, "logs"), Patience);
        // The soak reports what it sees; Akka's warnings about the connections it breaks on purpose are noise here.
        using var system = OrchestratorClient.CreateSystem("soak", config: ConfigurationFactory.ParseString("akka.loglevel = OFF\nakka.stdout-loglevel = OFF"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(12) };
        await node.StartAsync();
        var client = await SoakObserver.ConnectAsync(system, port, TimeSpan.FromSeconds(5), Patience);
        for (var round = 1; round <= options.Rounds; round++)
        {
            var fault = (Fault)((round - 1) % 3);
            faults[fault] = faults.GetValueOrDefault(fault) + 1;
            var before = ledger.Count;
            using var stop = new CancellationTokenSource();
            var agents = Enumerable.Range(0, options.Agents).Select(a =>
            {
                ISoakDoor door = a % 2 == 0 ? new RemotingDoor(client) : new HttpDoor(http);
                var agent = new SoakAgent(door, $"agent-{a}", $"s{options.Seed}-r{round}-a{a}", new Random(random.Next()), ledger, counts, options.Lease);
                return Task.Run(() => agent.RunAsync(stop.Token));
            }).ToList();

            var at = options.Round * (0.25 + random.NextDouble() * 0.35);
            await Task.Delay(at);
            var detail = await InjectAsync(fault, node, dataDir, options);
            var rest = options.Round - at - TimeSpan.FromSeconds(1);
            if (rest > TimeSpan.Zero) await Task.Delay(rest);
            await stop.CancelAsync();
            await Task.WhenAll(agents);

            // The round ends with a SIGKILL too: whatever was acknowledged must be on disk as it is.
            await node.KillAsync();
            var integrity = $"{IntegrityCheck(Path.Combine(dataDir, "orchestrator.db"))}/{IntegrityCheck(Path.Combine(dataDir, "orchestrator-snapshots.db"))}";
            var recovered = await node.StartAsync();
            var checker = await SoakObserver.ConnectAsync(system, port, TimeSpan.FromSeconds(30), Patience);
            var entries = ledger.Entries;
            var byDoor = string.Join(", ", entries.Skip(before).GroupBy(e => e.Door).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count():N0}"));
            var seen = await SoakObserver.ObserveAsync(checker, entries);
            var found = SoakChecker.Check(entries, seen, versions).ToList();
            if (integrity != "ok/ok") found.Add($"integrity_check of the journal/snapshots: {integrity}");
            violations += found.Count;
            Console.WriteLine($"round {round,3} {detail,-36} {ledger.Count - before,6:N0} acknowledged ({byDoor}); {recovered}; " +
                              $"{seen.Tasks.Count:N0} tasks and {seen.Documents.Count} documents checked; integrity {integrity}; {found.Count} violations");
            foreach (var violation in found.Take(20)) Console.WriteLine($"  VIOLATION {violation}");
        }
        node.Dispose();

        Console.WriteLine();
        Console.WriteLine($"soak: {options.Rounds} rounds in {total.Elapsed.TotalMinutes:0.0} min; faults: {faults.GetValueOrDefault(Fault.Kill) + options.Rounds} SIGKILL " +
                          $"({faults.GetValueOrDefault(Fault.Kill)} mid-round, {options.Rounds} at round ends), {faults.GetValueOrDefault(Fault.Pause)} SIGSTOP past the leases, " +
                          $"{faults.GetValueOrDefault(Fault.JournalLock)} journal write faults");
        counts.Print();
        Console.WriteLine($"acknowledged operations checked: {ledger.Count:N0}; lost or violated: {violations}");
        if (violations > 0)
        {
            Console.Error.WriteLine($"soak failed: {violations} violations; the data directory is kept: {dataDir}");
            return 1;
        }
        Directory.Delete(dataDir, recursive: true);
        return 0;
    }

    private static async Task<string> InjectAsync(Fault fault, SoakNode node, string dataDir, SoakOptions options)
    {
        switch (fault)
        {
            case Fault.Kill:
            {
                await node.KillAsync();
                var recovered = await node.StartAsync();
                return $"SIGKILL, {recovered}";
            }
            case Fault.Pause:
            {
                var frozen = options.Lease + TimeSpan.FromSeconds(1.5);
                node.Process.Send(Signal.Stop);
                await Task.Delay(frozen);
                node.Process.Send(Signal.Continue);
                return $"SIGSTOP for {frozen.TotalSeconds:0.0} s";
            }
            default:
            {
                var held = options.CallTimeout * 2.5;
                var failures = node.FailedWrites;
                await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder
                                 { DataSource = Path.Combine(dataDir, "orchestrator.db"), Pooling = false }.ConnectionString))
                {
                    await connection.OpenAsync();
                    await using var begin = connection.CreateCommand();
                    begin.CommandText = "BEGIN EXCLUSIVE";
                    await begin.ExecuteNonQueryAsync();
                    await Task.Delay(held);
                    await using var rollback = connection.CreateCommand();
                    rollback.CommandText = "ROLLBACK";
                    await rollback.ExecuteNonQueryAsync();
                }
                return $"write lock {held.TotalSeconds:0.0} s, {node.FailedWrites - failures} failed writes";
            }
        }
    }

    private static string IntegrityCheck(string file)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return string.Join("; ", ReadAll(command));

        static IEnumerable<string> ReadAll(SqliteCommand command)
        {
            using var reader = command.ExecuteReader();
            while (reader.Read()) yield return reader.GetString(0);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
