using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol.Commands;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// A cluster failover of a namespace holding many tasks, measured once:
/// three <c>orchestrator serve --cluster</c> processes on a fresh PostgreSQL database, one namespace
/// seeded with <c>--tasks</c> tasks over Akka.Remote (DefineTasks of 1,000, with
/// <c>orchestrator.snapshots.every</c> at the task count, so its snapshot is taken once, at the end),
/// then its node SIGKILLed while probes (a DefineTask every 100 ms through each survivor) wait for
/// the first acknowledged command. Reported: SIGKILL to that acknowledgement, and the steps between
/// as the survivors logged them (unreachable, downed, recovered).
/// <c>ORCHESTRATOR_TEST_POSTGRES=... dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- failover [--tasks N]</c>
/// </summary>
internal static class FailoverRun
{
    private const string Namespace = "million";
    private const int Batch = 1000;
    private const int Seeders = 4;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromMilliseconds(100);

    public static async Task<int> RunAsync(string[] args)
    {
        var tasks = 1_000_000;
        var valid = args switch
        {
            [] => true,
            ["--tasks", var n] => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out tasks) && tasks >= Batch && tasks % Batch == 0,
            _ => false,
        };
        if (!valid)
        {
            Console.Error.WriteLine($"failover: expected [--tasks N], N a multiple of {Batch:N0}; got '{string.Join(' ', args)}'");
            return 2;
        }
        var server = Environment.GetEnvironmentVariable("ORCHESTRATOR_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            Console.Error.WriteLine("failover: set ORCHESTRATOR_TEST_POSTGRES to a PostgreSQL connection string of a role that may CREATE DATABASE (eval \"$(bash .ci/run postgres | tail -n 1)\")");
            return 2;
        }

        var database = "orch_failover_" + Guid.NewGuid().ToString("N")[..8];
        OnServer(server, $"CREATE DATABASE {database}");
        var connection = new NpgsqlConnectionStringBuilder(server) { Database = database, Timeout = 5, CommandTimeout = 120 }.ConnectionString;
        var overlay = Path.Combine(Path.GetTempPath(), $"{database}.conf");
        // config/postgres.conf as shipped plus the snapshot once, at the end of the seeding. The
        // connection string (ORCHESTRATOR_POSTGRES) keeps the shipped Timeout=5 and gives a command
        // 120 s, not 30: a snapshot of a million tasks is tens of MiB of bytea.
        File.WriteAllText(overlay, File.ReadAllText(OrchestratorConfig.Shipped("postgres.conf")) +
                                   $"\norchestrator.snapshots.every = {tasks}\n");
        var nodes = new List<(int Port, HostProcess Process)>();
        using var client = OrchestratorClient.CreateSystem("failover-bench");
        try
        {
            var ports = Enumerable.Range(0, 3).Select(_ => HostProcess.FreePort()).ToList();
            var environment = new Dictionary<string, string> { ["ORCHESTRATOR_POSTGRES"] = connection };
            HostProcess Start(int port) => HostProcess.Start(environment,
                "serve", "--cluster", "--config", overlay, "--port", port.ToString(CultureInfo.InvariantCulture),
                "--seed", $"127.0.0.1:{ports[0]}", "--seed", $"127.0.0.1:{ports[1]}");
            nodes.Add((ports[0], Start(ports[0])));
            await nodes[0].Process.WaitForLineAsync("member up", Patience);
            nodes.AddRange(ports.Skip(1).Select(p => (p, Start(p))));
            await Task.WhenAll(nodes.Skip(1).Select(n => n.Process.WaitForLineAsync("member up", Patience)));
            var clients = await Task.WhenAll(nodes.Select(n => OrchestratorClient.ConnectAsync(client, $"127.0.0.1:{n.Port}",
                new OrchestratorClientOptions(Timeout: TimeSpan.FromSeconds(60), Retries: 0, Namespace: Namespace))));
            Console.WriteLine($"3 members up on database {database}; seeding {tasks:N0} tasks into namespace {Namespace}");

            var seeding = Stopwatch.StartNew();
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, Seeders).Select(async s =>
            {
                for (var b = Interlocked.Increment(ref next); b < tasks / Batch; b = Interlocked.Increment(ref next))
                {
                    var batch = Enumerable.Range(b * Batch, Batch).Select(i => new DefineTask(DefiningAgents.TaskId("seed-", i), "*", "tasks/seed.md")).ToList();
                    var defined = await clients[s % clients.Length].DefineTasksAsync(new DefineTasks(batch));
                    if (defined.Results.Count != Batch) throw new InvalidOperationException($"batch {b}: {defined.Results.Count} results");
                    if (b % 100 == 99) Console.WriteLine($"  {(b + 1) * Batch:N0} defined after {seeding.Elapsed.TotalSeconds:0} s");
                }
            }));
            Console.WriteLine($"seeded in {seeding.Elapsed.TotalSeconds:0.0} s; waiting for the snapshot");
            var stats = await clients[0].GetStatsAsync();
            while (stats.LastSnapshotSequenceNr == 0)
            {
                if (seeding.Elapsed > Patience) throw new InvalidOperationException("no snapshot after the seeding");
                await Task.Delay(500);
                stats = await clients[0].GetStatsAsync();
            }
            if (stats.Tasks != tasks) throw new InvalidOperationException($"the namespace holds {stats.Tasks} tasks, not {tasks}");
            var snapshotBytes = Scalar(connection, $"SELECT length(snapshot) FROM snapshot WHERE persistence_id = 'state-manager-{Namespace}' ORDER BY sequence_number DESC LIMIT 1");
            Console.WriteLine($"snapshot at event {stats.LastSnapshotSequenceNr:N0} of {stats.EventsJournaled:N0}, {snapshotBytes / 1048576.0:0.0} MiB");

            var status = await clients[0].GetClusterStatusAsync();
            var home = status.Shards.Single(sh => sh.Namespaces.Contains(Namespace)).Node;
            var victim = nodes.Single(n => home.EndsWith($":{n.Port}", StringComparison.Ordinal));
            var survivors = nodes.Where(n => n != victim).ToList();
            var survivorClients = survivors.Select(s => clients[nodes.IndexOf(s)]).ToList();
            Console.WriteLine($"SIGKILL to {home}, home of {Namespace}");

            var killedAt = DateTimeOffset.UtcNow;
            var killed = Stopwatch.StartNew();
            victim.Process.Send(Signal.Kill);
            var acknowledged = new TaskCompletionSource<(TimeSpan At, int Survivor)>(TaskCreationOptions.RunContinuationsAsynchronously);
            var errors = new ConcurrentBag<string>();
            var probes = new List<Task>();
            for (var i = 0; !acknowledged.Task.IsCompleted && killed.Elapsed < Patience; i++)
            {
                var survivor = i % survivorClients.Count;
                var id = $"probe-{i}";
                probes.Add(Task.Run(async () =>
                {
                    try
                    {
                        await survivorClients[survivor].DefineTaskAsync(new DefineTask(id, "*", "tasks/probe.md"));
                        acknowledged.TrySetResult((killed.Elapsed, survivor));
                    }
                    catch (OrchestratorException ex)
                    {
                        errors.Add(ex.Message);
                    }
                }));
                await Task.WhenAny(acknowledged.Task, Task.Delay(ProbeEvery));
            }
            var (failover, by) = await acknowledged.Task;
            Console.WriteLine($"failover of {tasks:N0} tasks after SIGKILL: {failover.TotalSeconds:0.0} s to the first acknowledged command (through {survivors[by].Process.Id}); {errors.Count} probes failed meanwhile{(errors.IsEmpty ? "" : $", the first: {errors.First()}")}");
            foreach (var (what, marker) in new[]
                     {
                         ("marked unreachable", $"as UNREACHABLE [Member(address = akka.tcp://orchestrator@127.0.0.1:{victim.Port},"),
                         ("downed", $"Marking unreachable node [akka.tcp://orchestrator@127.0.0.1:{victim.Port}] as [Down]"),
                         ("recovered", $"Recovered state-manager-{Namespace}"),
                     })
            {
                var line = survivors.SelectMany(s => s.Process.Output.Concat(s.Process.Errors)).FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal));
                Console.WriteLine($"  {what}: {(line is null ? "not logged" : $"{Since(line, killedAt)} after the kill: {Shorten(line)}")}");
            }
            Console.WriteLine("  what the survivors logged of the namespace and its snapshot:");
            foreach (var line in survivors.SelectMany(s => s.Process.Output.Concat(s.Process.Errors))
                         .Where(l => !l.Contains("dead letters", StringComparison.Ordinal) &&
                                     (l.Contains($"/{Namespace}/", StringComparison.Ordinal) || l.Contains("snapshot", StringComparison.OrdinalIgnoreCase))))
                Console.WriteLine($"    {Since(line, killedAt)}: {Shorten(line)}");
            var after = await survivorClients[by].GetStatsAsync();
            Console.WriteLine($"the new home counts {after.Tasks:N0} tasks");
            return after.Tasks >= tasks + 1 ? 0 : 1;
        }
        finally
        {
            foreach (var (port, process) in nodes)
            {
                process.Kill();
                var log = Path.Combine(Path.GetTempPath(), $"{database}-node-{port}.log");
                File.WriteAllLines(log, process.Output.Concat(process.Errors));
                Console.WriteLine($"node {port}'s output: {log}");
                process.Dispose();
            }
            NpgsqlConnection.ClearAllPools();
            OnServer(server, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            File.Delete(overlay);
        }
    }

    // Akka's log lines start "[LEVEL][MM/dd/yyyy HH:mm:ss.fffZ][...": the time after the kill, or "?".
    private static string Since(string line, DateTimeOffset killedAt)
    {
        var parts = line.Split('[', ']');
        foreach (var part in parts)
            if (DateTimeOffset.TryParseExact(part, "MM/dd/yyyy HH:mm:ss.fffK", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                return $"{(at - killedAt).TotalSeconds:0.0} s";
        return "?";
    }

    // The message of "... [LEVEL][time][Thread 0010][path] message", at most 300 characters.
    private static string Shorten(string line)
    {
        var thread = line.IndexOf("][Thread ", StringComparison.Ordinal);
        var end = thread < 0 ? -1 : line.IndexOf("] ", line.IndexOf("][", thread + 2, StringComparison.Ordinal) + 2, StringComparison.Ordinal);
        var message = end < 0 ? line : line[(end + 2)..];
        return message.Length > 300 ? message[..300] + " ..." : message;
    }

    private static long Scalar(string connection, string sql)
    {
        using var open = new NpgsqlConnection(connection);
        open.Open();
        using var command = new NpgsqlCommand(sql, open);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void OnServer(string server, string sql)
    {
        using var open = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Pooling = false, Timeout = 5 }.ConnectionString);
        open.Open();
        using var command = new NpgsqlCommand(sql, open);
        command.ExecuteNonQuery();
    }
}
