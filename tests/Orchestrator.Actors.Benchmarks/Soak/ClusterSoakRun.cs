using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol.Cluster;

namespace Orchestrator.Actors.Benchmarks.Soak;

/// <summary>The faults a round of the cluster soak gives, in turn.</summary>
internal enum ClusterFault
{
    /// <summary>SIGKILL to the home of a namespace; restarted on the same ports a moment later, it rejoins as a new incarnation.</summary>
    Kill,
    /// <summary>
    /// SIGSTOP to the home of a namespace for longer than failure detection and downing take (a
    /// partition, as its peers see it), then SIGCONT: the majority has downed it and runs its
    /// namespaces, so it must stop itself; it is started again and rejoins.
    /// </summary>
    Pause,
    /// <summary>Another session holds PostgreSQL's EXCLUSIVE lock on the journal table past the journal's call timeout: every node's writes fail, reads go on.</summary>
    JournalLock,
}

/// <summary>
/// The chaos soak's cluster form (issue 16): three <c>orchestrator serve --cluster</c> nodes on a
/// fresh PostgreSQL database, agents in three namespaces doing the whole lifecycle through Akka.Remote
/// and HTTP, spread over the nodes (half of them stay on one node, the others move to the next when
/// a call goes unanswered), and in each round one fault at a random moment: SIGKILL to a namespace's home and a restart on the same
/// ports, SIGSTOP of a namespace's home past the split brain resolver's downing and a SIGCONT (the node
/// must stop itself; it is started again), or the journal table locked until writes fail. After each
/// round the agents stop, the cluster is awaited whole again, and <see cref="SoakChecker"/> holds the
/// state, read through a node the round did not touch, against every operation acknowledged since the
/// start. PostgreSQL has no integrity_check: the state read back is the only check. Events Akka's
/// replay filter dropped on a recovery (two writers of one namespace) are counted from the nodes'
/// logs. Exit 1 on any violation (the database and the nodes' logs are kept), 2 on bad arguments or
/// no PostgreSQL.
/// <c>ORCHESTRATOR_TEST_POSTGRES=... dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- cluster-soak [--rounds N] [--round-seconds S] [--agents A] [--seed S]</c>
/// </summary>
internal static class ClusterSoakRun
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    // A frozen node is unreachable 3-4 s after SIGSTOP (config/cluster.conf: heartbeats every 1 s,
    // 2 s of acceptable pause, the detector's margin), downed by the majority 2 s later
    // (stable-after), and its shards start elsewhere after down-removal-margin (1 s): 12 s is past
    // all of it with room for two busy cores, and past every lease.
    private static readonly TimeSpan Freeze = TimeSpan.FromSeconds(12);
    // How long a node resumed after being downed may take to notice and stop (coordinated shutdown
    // waits up to its phases' timeouts for the HTTP requests and writes in flight).
    private static readonly TimeSpan StopsItselfWithin = TimeSpan.FromSeconds(60);
    // Three namespaces, so that shards (a hash of the name into 50) live on different nodes.
    private static readonly string[] Namespaces = ["default", "soak-b", "soak-c"];
    // Akka.Persistence's replay filter, on a recovery that finds events of two writers interleaved
    // (an old owner kept writing after a new one had started): it drops the old writer's events.
    private const string DiscardedOnReplay = "Invalid replayed event";

    /// <summary>What a fault did, for the round's line: the node it hit (none for the journal), and what is wrong already.</summary>
    private sealed record FaultResult(string Detail, Member? Victim, IReadOnlyList<string> Findings, bool StoppedItself = false);

    public static async Task<int> RunAsync(string[] args)
    {
        if (SoakOptions.Parse(args) is not { } options)
        {
            Console.Error.WriteLine(
                $"cluster-soak: expected {SoakOptions.Usage}; got '{string.Join(' ', args)}'");
            return 2;
        }
        var server = Environment.GetEnvironmentVariable("ORCHESTRATOR_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            Console.Error.WriteLine("cluster-soak: set ORCHESTRATOR_TEST_POSTGRES to a PostgreSQL connection string of a role that may CREATE DATABASE; " +
                                    "from the repository root: eval \"$(bash .ci/run postgres | tail -n 1)\"");
            return 2;
        }

        var database = $"orch_csoak_{options.Seed}_{Guid.NewGuid():N}"[..28];
        OnServer(server, $"CREATE DATABASE {database}");
        var connection = new NpgsqlConnectionStringBuilder(server) { Database = database, Timeout = 5, CommandTimeout = 30, MaxPoolSize = 20 }.ConnectionString;
        var logs = Path.Combine(Path.GetTempPath(), database);
        Directory.CreateDirectory(logs);
        var overlay = Path.Combine(logs, "cluster-soak.conf");
        // config/postgres.conf as shipped, and SoakRun's choices: snapshots often, so the namespaces
        // that move recover through a snapshot and the events after it; retries soon, so failed tasks
        // come back within a round; the journal's calls fail after CallTimeout (Akka.Persistence.Sql's
        // breaker, the same plugin on PostgreSQL), so a locked journal table is a write failure within
        // a round, not a 10 s wait.
        File.WriteAllText(overlay, File.ReadAllText(OrchestratorConfig.Shipped("postgres.conf")) + $$"""

            orchestrator.snapshots.every = 300
            orchestrator.lifecycle.max-attempts = 5
            orchestrator.lifecycle.retry { base = 200ms, cap = 1s }
            akka.persistence.journal.sql.circuit-breaker { call-timeout = {{(int)options.CallTimeout.TotalMilliseconds}}ms, reset-timeout = 1s }
            """);
        var environment = new Dictionary<string, string> { ["ORCHESTRATOR_POSTGRES"] = connection };
        var ports = Enumerable.Range(0, 3).Select(_ => (Port: HostProcess.FreePort(), Http: HostProcess.FreePort())).ToList();
        HostProcess Start(int port, int httpPort) => HostProcess.Start(environment,
            "serve", "--cluster", "--config", overlay, "--port", Invariant(port), "--http-port", Invariant(httpPort),
            "--seed", $"127.0.0.1:{ports[0].Port}", "--seed", $"127.0.0.1:{ports[1].Port}");
        Console.WriteLine($"cluster-soak: {options.Rounds} rounds of {options.Round.TotalSeconds:0} s, {options.Agents} agents (half remoting, half HTTP; half on one node, half moving on " +
                          $"when their node does not answer) in namespaces {string.Join(", ", Namespaces)} over 3 nodes, lease {options.Lease.TotalSeconds:0.#} s, seed {options.Seed}, database {database}");

        var random = new Random(options.Seed);
        var ledgers = Namespaces.ToDictionary(ns => ns, _ => new SoakLedger());
        var versions = Namespaces.ToDictionary(ns => ns, _ => new Dictionary<(string Owner, string Key), long>());
        var counts = new SoakCounts();
        var viaNode = new long[3];
        var faults = new Dictionary<ClusterFault, int>();
        var stoppedThemselves = 0;
        // A violation stays in every later check (the ledger keeps the operation): each is counted once.
        var violations = new HashSet<string>();
        var total = Stopwatch.StartNew();
        var members = new List<Member>();
        // Quiet: the client's own log would be one warning per fault (an association lost); the outcomes are counted instead.
        using var system = OrchestratorClient.CreateSystem("cluster-soak", config: Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = OFF"));
        var https = ports.Select(p => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{p.Http}"), Timeout = TimeSpan.FromSeconds(8) }).ToList();
        try
        {
            members.Add(new Member(ports[0].Port, ports[0].Http, Start, logs));
            await members[0].Process.WaitForLineAsync("member up", Patience);
            members.AddRange(ports.Skip(1).Select(p => new Member(p.Port, p.Http, Start, logs)));
            await Task.WhenAll(members.Skip(1).Select(m => m.Process.WaitForLineAsync("member up", Patience)));
            var clients = await Task.WhenAll(members.Select(m => SoakObserver.ConnectAsync(system, m.Port, TimeSpan.FromSeconds(5), Patience)));
            await AwaitWholeAsync(clients[0], members);
            Console.WriteLine($"3 members up: {string.Join(", ", members.Select(m => $":{m.Port} (HTTP :{m.HttpPort})"))}");

            for (var round = 1; round <= options.Rounds; round++)
            {
                var started = Stopwatch.StartNew();
                var fault = (ClusterFault)((round - 1) % 3);
                faults[fault] = faults.GetValueOrDefault(fault) + 1;
                var before = Namespaces.ToDictionary(ns => ns, ns => ledgers[ns].Count);
                var viaBefore = viaNode.ToArray();
                var discardedBefore = members.Sum(m => m.Count(DiscardedOnReplay));
                using var stop = new CancellationTokenSource();
                var agents = Enumerable.Range(0, options.Agents).Select(a =>
                {
                    var ns = Namespaces[a % Namespaces.Length];
                    IReadOnlyList<ISoakDoor> doors = a % 2 == 0
                        ? clients.Select(c => (ISoakDoor)new RemotingDoor(c.ForNamespace(ns))).ToList()
                        : https.Select(h => (ISoakDoor)new HttpDoor(h, ns)).ToList();
                    // Spread: namespace, door and first node vary independently; half the agents know one
                    // node only (an agent given one server), the others every node (a list of servers).
                    var door = new ClusterDoor(doors, a / 3 % doors.Count, switches: a % 4 < 2, viaNode);
                    var agent = new SoakAgent(door, $"agent-{a}", $"s{options.Seed}-r{round}-a{a}", new Random(random.Next()), ledgers[ns], counts, options.Lease);
                    return Task.Run(() => agent.RunAsync(stop.Token));
                }).ToList();

                var at = options.Round * (0.25 + random.NextDouble() * 0.35);
                await Task.Delay(at);
                var target = Namespaces[random.Next(Namespaces.Length)];
                var (detail, victim, findings, stoppedItself) = fault switch
                {
                    ClusterFault.Kill => await KillAsync(await HomeOfAsync(clients, members, target, random), target, TimeSpan.FromSeconds(random.NextDouble() * 10)),
                    ClusterFault.Pause => await PauseAsync(await HomeOfAsync(clients, members, target, random), target, members, clients, viaNode),
                    _ => await LockJournalAsync(connection, members, options),
                };
                if (stoppedItself) stoppedThemselves++;
                var rest = options.Round - started.Elapsed - TimeSpan.FromSeconds(1);
                if (rest > TimeSpan.Zero) await Task.Delay(rest);
                await stop.CancelAsync();
                await Task.WhenAll(agents);

                // The cluster whole again before the check: a node that exited on its own is named and started again.
                var exited = new List<string>();
                foreach (var member in members.Where(m => m.Exited.IsCompleted))
                {
                    exited.Add($":{member.Port} exited ({member.Exited.Result}) on its own and was started again");
                    await member.RestartAsync();
                    await member.Process.WaitForLineAsync("member up", Patience);
                }
                var via = members.IndexOf(members.FirstOrDefault(m => m != victim && !m.Exited.IsCompleted) ?? members[0]);
                var checker = await SoakObserver.ConnectAsync(system, members[via].Port, TimeSpan.FromSeconds(30), Patience);
                var settling = Stopwatch.StartNew();
                await AwaitWholeAsync(checker, members);
                var settled = settling.Elapsed;

                var found = new List<string>(findings);
                var tasks = 0;
                var documents = 0;
                foreach (var ns in Namespaces)
                {
                    var entries = ledgers[ns].Entries;
                    var seen = await ObserveAsync(checker.ForNamespace(ns), entries);
                    tasks += seen.Tasks.Count;
                    documents += seen.Documents.Count;
                    found.AddRange(SoakChecker.Check(entries, seen, versions[ns]).Select(v => $"[{ns}] {v}"));
                }
                var fresh = found.Where(violations.Add).ToList();
                var discarded = members.Sum(m => m.Count(DiscardedOnReplay)) - discardedBefore;
                var acknowledged = Namespaces.Sum(ns => ledgers[ns].Count - before[ns]);
                var byDoor = string.Join(", ", Namespaces.SelectMany(ns => ledgers[ns].Entries.Skip(before[ns])).GroupBy(e => e.Door).OrderBy(g => g.Key)
                    .Select(g => $"{g.Key} {g.Count():N0}"));
                var byNode = string.Join("/", viaNode.Select((n, i) => $"{n - viaBefore[i]:N0}"));
                Console.WriteLine($"round {round,3} {started.Elapsed.TotalSeconds,3:0} s | {detail} | {acknowledged:N0} acknowledged ({byDoor}; by node {byNode}) | " +
                                  $"whole again after {settled.TotalSeconds:0.0} s | {tasks:N0} tasks, {documents} documents checked through :{members[via].Port} | " +
                                  $"{found.Count} violations, {fresh.Count} new");
                foreach (var line in exited) Console.WriteLine($"  NOTE {line}");
                if (discarded > 0)
                    Console.WriteLine($"  NOTE {discarded} replayed events dropped by Akka's replay filter, counted at each recovery " +
                                      $"(\"{DiscardedOnReplay} ... Perhaps, the old writer kept journaling messages after the new writer created\")");
                foreach (var violation in fresh.Take(20)) Console.WriteLine($"  VIOLATION {violation}");
                if (fresh.Count > 20) Console.WriteLine($"  ... and {fresh.Count - 20} more");
            }
        }
        finally
        {
            foreach (var member in members) await member.RetireAsync();
            foreach (var http in https) http.Dispose();
            NpgsqlConnection.ClearAllPools();
        }

        Console.WriteLine();
        Console.WriteLine($"cluster-soak: {options.Rounds} rounds in {total.Elapsed.TotalMinutes:0.0} min; faults: {faults.GetValueOrDefault(ClusterFault.Kill)} SIGKILL of a namespace's home, " +
                          $"{faults.GetValueOrDefault(ClusterFault.Pause)} SIGSTOP past failure detection and downing ({stoppedThemselves} of those nodes stopped themselves on SIGCONT), " +
                          $"{faults.GetValueOrDefault(ClusterFault.JournalLock)} journal table locks; {members.Sum(m => m.Restarts)} node restarts");
        counts.Print();
        Console.WriteLine($"acknowledged operations checked: {Namespaces.Sum(ns => ledgers[ns].Count):N0}; lost or violated: {violations.Count}; " +
                          "PostgreSQL has no integrity_check, so the state read back is the only check of the journal");
        if (violations.Count > 0)
        {
            Console.Error.WriteLine($"cluster-soak failed: {violations.Count} violations; kept: the database {database} (DROP DATABASE {database} WITH (FORCE) when done) " +
                                    $"and the nodes' logs in {logs}");
            return 1;
        }
        OnServer(server, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        Directory.Delete(logs, recursive: true);
        return 0;
    }

    private static async Task<FaultResult> KillAsync(Member victim, string target, TimeSpan restartAfter)
    {
        victim.Process.Send(Signal.Kill);
        var down = Stopwatch.StartNew();
        await victim.Process.WaitForExitAsync(Patience);
        // A service manager restarts at once or after a while: before the majority has downed the old
        // incarnation (the new one's join removes it) or after its namespaces moved.
        await Task.Delay(restartAfter);
        await victim.RestartAsync();
        await victim.Process.WaitForLineAsync("member up", Patience);
        return new FaultResult($"SIGKILL :{victim.Port} ({target}'s home), restarted after {restartAfter.TotalSeconds:0.0} s, up in {down.Elapsed.TotalSeconds:0.0} s", victim, []);
    }

    private static async Task<FaultResult> PauseAsync(Member victim, string target,
        List<Member> members, IReadOnlyList<OrchestratorClient> clients, long[] acknowledgedByNode)
    {
        var others = members.Where(m => m != victim).ToList();
        // When the majority downs it, from the lines they print from now on (an earlier incarnation at
        // the same address may have been downed before), in Akka's wording, as ClusterFailoverSpecs reads it.
        var printed = others.Select(m => m.Process.Output.Count).ToList();
        var frozenAt = DateTimeOffset.UtcNow;
        victim.Process.Send(Signal.Stop);
        await Task.Delay(Freeze);
        var downed = others.SelectMany((m, i) => m.Process.Output.Skip(printed[i]))
            .Where(l => l.Contains($"Marking unreachable node [{victim.Address}] as [Down]", StringComparison.Ordinal))
            .Select(AkkaTime).Min();
        var (outputBefore, errorsBefore) = (victim.Process.Output.Count, victim.Process.Errors.Count);
        var index = members.IndexOf(victim);
        var acknowledgedBefore = Interlocked.Read(ref acknowledgedByNode[index]);
        victim.Process.Send(Signal.Continue);
        var resumed = Stopwatch.StartNew();
        var downedAfter = downed is { } at ? $"downed after {(at - frozenAt).TotalSeconds:0.0} s" : "not downed while frozen";
        var findings = new List<string>();
        string what;
        var stoppedItself = await Task.WhenAny(victim.Exited, Task.Delay(StopsItselfWithin)) == victim.Exited;
        if (stoppedItself)
        {
            what = $"stopped itself (exit {victim.Exited.Result}) {resumed.Elapsed.TotalSeconds:0.0} s after SIGCONT";
        }
        else
        {
            // Still running: it must at least not run a shard the majority runs too.
            what = $"still running {StopsItselfWithin.TotalSeconds:0} s after SIGCONT";
            var itself = await TryStatusAsync(clients[index]);
            var majority = await TryStatusAsync(clients[members.IndexOf(others[0])]);
            foreach (var shard in itself?.Shards.Where(s => s.Node == victim.Address) ?? [])
                if (majority?.Shards.FirstOrDefault(s => s.ShardId == shard.ShardId) is { } elsewhere && elsewhere.Node != victim.Address)
                    findings.Add($"node :{victim.Port}, resumed after being downed, runs shard {shard.ShardId} ({string.Join("/", shard.Namespaces)}), " +
                                 $"which {elsewhere.Node} runs too");
            Console.WriteLine($"  NOTE :{victim.Port} did not stop itself after SIGCONT; as it sees the cluster: {Describe(itself)}; as :{others[0].Port} sees it: {Describe(majority)}");
            victim.Process.Send(Signal.Kill);
            await victim.Process.WaitForExitAsync(Patience);
        }
        // Between SIGCONT and its exit: the calls it answered (as the owner of its old namespaces, or
        // passed on to the new owners) and its writes the journal refused (another writer had taken
        // the sequence number). What it wrote and answered is the checker's to judge.
        var answered = Interlocked.Read(ref acknowledgedByNode[index]) - acknowledgedBefore;
        var refused = victim.Process.Output.Skip(outputBefore).Concat(victim.Process.Errors.Skip(errorsBefore))
            .Count(l => l.Contains("Failed to persist", StringComparison.Ordinal));
        await victim.RestartAsync();
        await victim.Process.WaitForLineAsync("member up", Patience);
        return new FaultResult($"SIGSTOP :{victim.Port} ({target}'s home) {Freeze.TotalSeconds:0} s, {downedAfter}; {what}, " +
                               $"having acknowledged {answered} calls and had {refused} writes refused", victim, findings, stoppedItself);
    }

    private static async Task<FaultResult> LockJournalAsync(string connection, IReadOnlyList<Member> members, SoakOptions options)
    {
        var held = options.CallTimeout * 2.5;
        var failures = members.Sum(m => FailedWrites(m.Process));
        await using (var session = new NpgsqlConnection(connection))
        {
            await session.OpenAsync();
            await using var transaction = await session.BeginTransactionAsync();
            // EXCLUSIVE: every insert waits (past the journal's call timeout, so it fails), every read goes on.
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE journal IN EXCLUSIVE MODE", session, transaction))
                await lockTable.ExecuteNonQueryAsync();
            await Task.Delay(held);
            await transaction.RollbackAsync();
        }
        var failed = members.Sum(m => FailedWrites(m.Process)) - failures;
        return new FaultResult($"journal table locked {held.TotalSeconds:0.0} s, {failed} failed writes", null, []);

        static int FailedWrites(HostProcess process) =>
            process.Output.Concat(process.Errors).Count(l => l.Contains("Failed to persist", StringComparison.Ordinal));
    }

    // The node running the namespace as some member sees it; any member when none says (the namespace is moving).
    private static async Task<Member> HomeOfAsync(IReadOnlyList<OrchestratorClient> clients, IReadOnlyList<Member> members, string ns, Random random)
    {
        foreach (var client in clients)
            if (await TryStatusAsync(client) is { } status && status.Shards.FirstOrDefault(s => s.Namespaces.Contains(ns)) is { } shard &&
                members.FirstOrDefault(m => m.Address == shard.Node) is { } home)
                return home;
        return members[random.Next(members.Count)];
    }

    private static async Task<ClusterStatus?> TryStatusAsync(OrchestratorClient client)
    {
        try
        {
            return await client.GetClusterStatusAsync();
        }
        catch (Exception ex) when (ex is OrchestratorException or TimeoutException)
        {
            return null;
        }
    }

    // Three members Up and reachable (no old incarnation left) and every namespace answering.
    private static async Task AwaitWholeAsync(OrchestratorClient via, IReadOnlyList<Member> members)
    {
        var waited = Stopwatch.StartNew();
        var addresses = members.Select(m => m.Address).Order().ToList();
        ClusterStatus? last = null;
        while (true)
        {
            last = await TryStatusAsync(via) ?? last;
            if (last is not null && last.Members.Where(m => m.Status == "Up" && m.Reachable).Select(m => m.Address).Order().SequenceEqual(addresses) &&
                last.Members.Count == members.Count)
                break;
            if (waited.Elapsed > Patience) throw new InvalidOperationException($"the cluster was not whole again within {Patience}: {Describe(last)}");
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        foreach (var ns in Namespaces)
            while (true)
            {
                try
                {
                    await via.ForNamespace(ns).GetStatsAsync();
                    break;
                }
                catch (Exception ex) when (ex is OrchestratorUnavailableException or OrchestratorUnreachableException or TimeoutException && waited.Elapsed < Patience)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500));
                }
            }
    }

    // A namespace may move while it is read (a rejoined node takes shards back in a rebalance): read it all again.
    private static async Task<SoakObservation> ObserveAsync(OrchestratorClient client, IReadOnlyList<Acknowledged> entries)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await SoakObserver.ObserveAsync(client, entries);
            }
            catch (Exception ex) when (ex is OrchestratorUnavailableException or OrchestratorUnreachableException or TimeoutException && waited.Elapsed < Patience)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    // Akka's log lines carry "[LEVEL][MM/dd/yyyy HH:mm:ss.fffZ]": that time, or null.
    private static DateTimeOffset? AkkaTime(string line)
    {
        foreach (var part in line.Split('[', ']'))
            if (DateTimeOffset.TryParseExact(part, "MM/dd/yyyy HH:mm:ss.fffK", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                return at;
        return null;
    }

    private static string Describe(ClusterStatus? status) => status is null
        ? "no answer"
        : $"members [{string.Join(", ", status.Members.Select(m => $"{m.Address} {m.Status}{(m.Reachable ? "" : " unreachable")}"))}]; " +
          $"shards [{string.Join(", ", status.Shards.Select(s => $"{s.ShardId}@{s.Node}: {string.Join("/", s.Namespaces)}"))}]";

    private static void OnServer(string server, string sql)
    {
        using var open = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Pooling = false, Timeout = 5 }.ConnectionString);
        open.Open();
        using var command = new NpgsqlCommand(sql, open);
        command.ExecuteNonQuery();
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One member: its ports, kept across restarts so that peers and clients find it again, and its current process.</summary>
    private sealed class Member
    {
        private readonly Func<int, int, HostProcess> _start;
        private readonly string _log;
        private readonly List<string> _retired = [];

        public Member(int port, int httpPort, Func<int, int, HostProcess> start, string logs)
        {
            (Port, HttpPort, _start, _log) = (port, httpPort, start, Path.Combine(logs, $"node-{port}.log"));
            Process = start(port, httpPort);
            Exited = Process.WaitForExitAsync(Timeout.InfiniteTimeSpan);
        }

        public int Port { get; }
        public int HttpPort { get; }
        public string Address => $"akka.tcp://orchestrator@127.0.0.1:{Port}";
        public HostProcess Process { get; private set; }
        /// <summary>Completes with the current process's exit code when it exits.</summary>
        public Task<int> Exited { get; private set; }
        public int Restarts { get; private set; }

        /// <summary>Kills the current process if it still runs, keeps its lines, and starts a new incarnation on the same ports.</summary>
        public async Task RestartAsync()
        {
            await RetireAsync();
            Process = _start(Port, HttpPort);
            Exited = Process.WaitForExitAsync(Timeout.InfiniteTimeSpan);
            Restarts++;
        }

        /// <summary>Kills the current process if it still runs and appends its lines to the node's log.</summary>
        public async Task RetireAsync()
        {
            var id = Process.Id;
            Process.Kill();
            // Its exit and the end of its output first: the process is disposed after.
            await Exited.WaitAsync(Patience);
            var lines = Process.Output.Concat(Process.Errors).ToList();
            File.AppendAllLines(_log, [$"--- pid {id}", .. lines]);
            _retired.AddRange(lines);
            Process.Dispose();
        }

        /// <summary>The lines containing <paramref name="text"/>, of every incarnation so far.</summary>
        public int Count(string text) =>
            _retired.Concat(Process.Output).Concat(Process.Errors).Count(l => l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>
    /// An agent's door to the cluster: the same door on each node, through node <paramref name="first"/>;
    /// when <paramref name="switches"/>, moving to the next node after a call that went unanswered, as
    /// an agent given every node's address does when its node dies; otherwise staying, as one given a
    /// single address does. Counts the acknowledged calls by node. One agent calls it one call at a time.
    /// </summary>
    private sealed class ClusterDoor(IReadOnlyList<ISoakDoor> doors, int first, bool switches, long[] acknowledgedByNode) : ISoakDoor
    {
        private int _current = first;

        public string Name => doors[0].Name;

        public Task<DoorResult> DefineAsync(string taskId, IReadOnlyList<string> dependsOn) => Via(d => d.DefineAsync(taskId, dependsOn));
        public Task<DoorResult> ClaimAsync(string agent, TimeSpan lease) => Via(d => d.ClaimAsync(agent, lease));
        public Task<DoorResult> HeartbeatAsync(string taskId, string agent, string claimId) => Via(d => d.HeartbeatAsync(taskId, agent, claimId));
        public Task<DoorResult> CompleteAsync(string taskId, string agent, string claimId) => Via(d => d.CompleteAsync(taskId, agent, claimId));
        public Task<DoorResult> FailAsync(string taskId, string agent, string claimId) => Via(d => d.FailAsync(taskId, agent, claimId));
        public Task<DoorResult> SaveAsync(string owner, string key, string json, long expectedVersion) => Via(d => d.SaveAsync(owner, key, json, expectedVersion));
        public Task<DoorResult> VersionAsync(string owner, string key) => Via(d => d.VersionAsync(owner, key));

        private async Task<DoorResult> Via(Func<ISoakDoor, Task<DoorResult>> call)
        {
            var node = _current;
            var result = await call(doors[node]);
            if (result.Outcome == Outcome.Acknowledged) Interlocked.Increment(ref acknowledgedByNode[node]);
            else if (result.Outcome == Outcome.Unknown && switches) _current = (node + 1) % doors.Count;
            return result;
        }
    }
}
