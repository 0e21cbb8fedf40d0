using Orchestrator.Actors.Domain;
using System.Collections.Concurrent;
using System.Diagnostics;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Three <c>orchestrator serve --cluster</c> processes on one PostgreSQL database under a load of
/// agents in the test process, which switch node when one stops answering. A node is SIGKILLed, or
/// SIGSTOPped (a partition, as the others see it): its namespaces must run again on the survivors
/// with every acknowledged change intact and no task held by two claims. The failover time is
/// printed and appended to artifacts/cluster-failover.txt, not asserted (beyond a sanity bound).
/// </summary>
public sealed class ClusterFailoverSpecs(ITestOutputHelper output)
{
    // Short, so that an agent whose request went to a dead shard home gives up and retries soon.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMilliseconds(2500);
    // No lease expires during a spec: a task is held by one claim until it is completed.
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan WorkTime = TimeSpan.FromMilliseconds(20);
    private const string Worker = "worker";

    [SkippableFact]
    public async Task A_SIGKILLed_node_s_namespaces_recover_on_the_survivors_with_every_acknowledged_change_and_no_double_claim()
    {
        using var db = PostgresDatabase.Create();
        using var cluster = await ClusterProcesses.StartAsync(db, 3, output);
        var clients = await ConnectAllAsync(cluster);

        // Namespaces the agents leave alone after one held claim: those on the killed node must be
        // started again by remember-entities, without a request.
        var quiet = Enumerable.Range(0, 6).Select(i => $"quiet-{i}").ToList();
        var held = new Dictionary<string, (string TaskId, string ClaimId)>();
        foreach (var ns in quiet)
        {
            var client = clients[0].ForNamespace(ns);
            await Retry(() => client.DefineTaskAsync(new DefineTask($"{ns}-held", Worker, "tasks/held.md")));
            var claim = await Retry(() => client.ClaimTaskAsync(new ClaimTask(Worker, Lease)));
            held[ns] = (claim!.Task.TaskId, claim.ClaimId);
        }

        var busy = new[] { ("busy-0", 3), ("busy-1", 2), ("busy-2", 2) };
        var ledger = new Ledger();
        await using var load = new Load(busy.SelectMany(b => Enumerable.Range(0, b.Item2).Select(a => (Func<CancellationToken, Task>)(
            stop => RunAgentAsync(b.Item1, a, clients, ledger, stop)))));

        // Every busy namespace placed and answering, and the load under way.
        await AwaitAsync(() => busy.All(b => ledger.AcksIn(b.Item1) >= 150), "150 acknowledged changes in every busy namespace");
        var before = await cluster.AwaitStatusAsync(cluster.Nodes[0],
            s => busy.Select(b => b.Item1).Concat(quiet).All(ns => ClusterProcesses.HostOf(s, ns) is not null), "every namespace placed");
        output.WriteLine("before the kill: " + ClusterProcesses.Describe(before));

        // The busiest namespace whose node also runs a quiet one (there is one unless placement is very uneven).
        var candidates = busy.Select(b => b.Item1)
            .OrderByDescending(ns => ledger.AcksIn(ns))
            .ToList();
        var target = candidates.FirstOrDefault(ns => quiet.Any(q => ClusterProcesses.HostOf(before, q) == ClusterProcesses.HostOf(before, ns)))
                     ?? candidates[0];
        var victim = cluster.NodeAt(ClusterProcesses.HostOf(before, target)!);
        var survivors = cluster.Nodes.Where(n => n != victim).ToList();
        var orphans = before.Shards.Where(s => s.Node == victim.Address).SelectMany(s => s.Namespaces).ToList();
        var quietOrphans = orphans.Intersect(quiet).ToList();
        output.WriteLine($"killing {victim.Server}, home of {string.Join(", ", orphans)}; busiest namespace there: {target}");

        var killedAt = DateTimeOffset.UtcNow;
        victim.Process.Send(Signal.Kill);
        var survivorClients = survivors.Select(n => clients[cluster.Nodes.ToList().IndexOf(n)]).ToList();
        await using (new Prober(target, survivorClients, ledger))
            await AwaitAsync(() => ledger.FirstAckSentAfter(target, killedAt) is not null, $"an acknowledged command on {target} sent after the kill", FailoverBound,
                () => PostgresSessions(db));
        var failover = ledger.FirstAckSentAfter(target, killedAt)!.Value - killedAt;

        // The quiet namespaces of the dead node were sent nothing since the kill; remember-entities starts them.
        var survivorAddresses = survivors.Select(n => n.Address).ToHashSet();
        var after = await cluster.AwaitStatusAsync(survivors[0],
            s => orphans.All(ns => ClusterProcesses.HostOf(s, ns) is { } home && survivorAddresses.Contains(home)),
            $"{string.Join(", ", orphans)} running on the survivors");
        var restartedBy = DateTimeOffset.UtcNow - killedAt;
        // Changes acknowledged after the failover as well.
        var acksAtFailover = ledger.AcksIn(target);
        await AwaitAsync(() => ledger.AcksIn(target) >= acksAtFailover + 100, $"100 more acknowledged changes on {target}");
        await load.StopAsync();

        Report($"failover after SIGKILL: {failover.TotalSeconds:F1} s (namespace {target}, kill -> first acknowledged command sent after it; target < 10 s); " +
               $"all {orphans.Count} namespaces of the dead node running on the survivors {restartedBy.TotalSeconds:F1} s after the kill");
        output.WriteLine("after: " + ClusterProcesses.Describe(after));

        var survivor = clients[cluster.Nodes.ToList().IndexOf(survivors[0])];
        await ledger.AssertAcknowledgedChangesAsync(survivor, busy.Select(b => b.Item1), output);
        Assert.NotEmpty(quietOrphans);
        foreach (var ns in quiet)
        {
            var task = await Retry(() => survivor.ForNamespace(ns).GetTaskAsync(held[ns].TaskId));
            Assert.Equal(TaskState.Claimed, task.Task.Status);
            Assert.Equal(ClaimIds.Public(held[ns].ClaimId), task.Task.Claim?.ClaimId);
        }

        // The survivors stop cleanly on SIGTERM.
        foreach (var node in survivors) node.Process.Send(Signal.Terminate);
        var exits = await Task.WhenAll(survivors.Select(n => n.Process.WaitForExitAsync(ClusterProcesses.Patience)));
        Assert.All(exits, code => Assert.Equal(0, code));
    }

    [SkippableFact]
    public async Task A_SIGSTOPped_node_is_downed_by_the_majority_which_keeps_its_namespaces_and_the_node_stops_itself_when_resumed()
    {
        using var db = PostgresDatabase.Create();
        using var cluster = await ClusterProcesses.StartAsync(db, 3, output);
        var clients = await ConnectAllAsync(cluster);

        var namespaces = Enumerable.Range(0, 4).Select(i => $"part-{i}").ToList();
        foreach (var ns in namespaces)
            await Retry(() => clients[0].ForNamespace(ns).DefineTaskAsync(new DefineTask($"{ns}-first", Worker, "tasks/first.md")));
        var placed = await cluster.AwaitStatusAsync(cluster.Nodes[0],
            s => namespaces.All(ns => ClusterProcesses.HostOf(s, ns) is not null), "every namespace placed");
        output.WriteLine("placed: " + ClusterProcesses.Describe(placed));

        // C runs a namespace; A is another node, through which all the load goes; B is the third.
        var target = namespaces.FirstOrDefault(ns => ClusterProcesses.HostOf(placed, ns) != cluster.Nodes[0].Address) ?? namespaces[0];
        var c = cluster.NodeAt(ClusterProcesses.HostOf(placed, target)!);
        var a = cluster.Nodes.First(n => n != c);
        var b = cluster.Nodes.First(n => n != c && n != a);
        var onlyA = new[] { clients[cluster.Nodes.ToList().IndexOf(a)] };
        var ledger = new Ledger();
        await using var load = new Load(namespaces.Select((ns, i) => (Func<CancellationToken, Task>)(stop => RunAgentAsync(ns, i, onlyA, ledger, stop))));
        await AwaitAsync(() => namespaces.All(ns => ledger.AcksIn(ns) >= 100), "100 acknowledged changes in every namespace");

        output.WriteLine($"SIGSTOP {c.Server}, home of {target}; load through {a.Server}");
        // When the majority marks C unreachable and downs it, from their logs (Akka's wording; the status query below is the check).
        var majority = new[] { a, b };
        var markedUnreachable = FirstSeen(majority, $"as UNREACHABLE [Member(address = {c.Address},");
        var markedDown = FirstSeen(majority, $"Marking unreachable node [{c.Address}] as [Down]");
        var stoppedAt = DateTimeOffset.UtcNow;
        c.Process.Send(Signal.Stop);
        // Unreachable lasts about stable-after (2 s), less than a status query that waits for C: not Up and reachable, then.
        await cluster.AwaitStatusAsync(a, s => !s.Members.Any(m => m.Address == c.Address && m.Status == "Up" && m.Reachable), $"{c.Server} unreachable or down");
        var downed = await cluster.AwaitStatusAsync(a, s => s.Members.All(m => m.Address != c.Address), $"{c.Server} gone from the members");
        var removedAfter = DateTimeOffset.UtcNow - stoppedAt;
        Assert.Equal(new[] { a.Address, b.Address }.Order(), downed.Members.Where(m => m.Status == "Up").Select(m => m.Address).Order());

        await using (new Prober(target, onlyA, ledger))
            await AwaitAsync(() => ledger.FirstAckSentAfter(target, stoppedAt) is not null, $"an acknowledged command on {target} sent after SIGSTOP", FailoverBound,
                () => PostgresSessions(db));
        var failover = ledger.FirstAckSentAfter(target, stoppedAt)!.Value - stoppedAt;
        var moved = await cluster.AwaitStatusAsync(a, s => ClusterProcesses.HostOf(s, target) is { } home && home != c.Address, $"{target} on the majority");
        // Changes acknowledged by the majority while C is still frozen.
        var acksInPartition = ledger.AcksIn(target);
        await AwaitAsync(() => ledger.AcksIn(target) >= acksInPartition + 100, $"100 more acknowledged changes on {target} during the partition");

        var continuedAt = DateTimeOffset.UtcNow;
        c.Process.Send(Signal.Continue);
        var exitCode = await c.Process.WaitForExitAsync(ClusterProcesses.Patience);
        var exitedAfter = DateTimeOffset.UtcNow - continuedAt;
        output.WriteLine($"{c.Server} exited {exitCode} {exitedAfter.TotalSeconds:F1} s after SIGCONT; it printed, among others:");
        var said = c.Process.Output.Concat(c.Process.Errors).ToList();
        var resumedAt = said.FindIndex(l => l.Contains("Scheduled sending of heartbeat was delayed"));
        foreach (var line in said.Skip(Math.Max(0, resumedAt)).Where(l => l.StartsWith("orchestrator:", StringComparison.Ordinal) || l.Contains("WARN") ||
                                                                       l.Contains("ERROR") || l.Contains("Failed to persist") || l.Contains("23505") || l.Contains("duplicate key")))
            output.WriteLine("  " + (line.Length > 400 ? line[..400] + " ..." : line));

        // The load keeps going on the majority after C is gone.
        var acksAfterExit = ledger.AcksIn(target);
        await AwaitAsync(() => ledger.AcksIn(target) >= acksAfterExit + 10, $"10 more acknowledged changes on {target} after {c.Server} exited");
        await load.StopAsync();

        Report($"partition by SIGSTOP: marked unreachable after {Since(markedUnreachable, stoppedAt)}, down after {Since(markedDown, stoppedAt)}, " +
               $"seen removed by a status query after {removedAfter.TotalSeconds:F1} s, " +
               $"{target} answering on the majority after {failover.TotalSeconds:F1} s; the resumed node exited {exitedAfter.TotalSeconds:F1} s after SIGCONT");
        output.WriteLine("moved: " + ClusterProcesses.Describe(moved));

        await ledger.AssertAcknowledgedChangesAsync(onlyA[0], namespaces, output);
        Assert.True(c.Process.Output.Any(l => l.Contains("removed from the cluster; stopping")) || c.Process.Output.Any(l => l.Contains("orchestrator: stopped")),
            $"{c.Server} exited without saying why");
    }

    // An agent of one namespace: define, claim, complete, again and again, recording every
    // acknowledged change; on a node that does not answer (or answers "unavailable") it moves to the next.
    private static async Task RunAgentAsync(string ns, int number, IReadOnlyList<OrchestratorClient> nodes, Ledger ledger, CancellationToken stop)
    {
        var clients = nodes.Select(n => n.ForNamespace(ns)).ToList();
        var current = number % clients.Count;

        async Task<T?> Acknowledged<T>(Func<OrchestratorClient, Task<T>> call) where T : class
        {
            while (!stop.IsCancellationRequested)
            {
                var sent = DateTimeOffset.UtcNow;
                try
                {
                    var reply = await call(clients[current]);
                    ledger.Ack(ns, sent);
                    return reply;
                }
                catch (Exception ex) when (ex is OrchestratorUnreachableException or OrchestratorUnavailableException)
                {
                    current = (current + 1) % clients.Count;
                }
            }
            return null;
        }

        await Task.Yield();
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var taskId = $"{ns}-a{number}-{n}";
            // Defining is idempotent: a define whose reply was lost is simply sent again.
            if (await Acknowledged(c => c.DefineTaskAsync(new DefineTask(taskId, Worker, $"tasks/{taskId}.md"))) is null) return;
            ledger.Defined.Add((ns, taskId));

            // A claim whose reply was lost holds its task until the lease ends; nobody else gets it meanwhile.
            var claim = await Acknowledged(async c => await c.ClaimTaskAsync(new ClaimTask(Worker, Lease)) ?? (object)"none");
            if (claim is null) return;
            if (claim is not TaskAssigned assigned) continue;
            ledger.Assigned.Add((ns, assigned.Task.TaskId, assigned.ClaimId));
            // The work itself; it also keeps the load that of agents rather than of a benchmark.
            await Task.Delay(WorkTime, CancellationToken.None);

            try
            {
                if (await Acknowledged(c => c.CompleteTaskAsync(new CompleteTask(assigned.Task.TaskId, Worker, assigned.ClaimId, "{}"))) is null) return;
                ledger.Completed.Add((ns, assigned.Task.TaskId));
            }
            catch (OrchestratorConflictException)
            {
                // A retried complete whose first attempt did land: it is done, but this attempt was not the one acknowledged.
            }
        }
    }

    // When the first of the nodes printed a line containing the text (the line is watched for from now on).
    private static Task<DateTimeOffset> FirstSeen(IEnumerable<ClusterNode> nodes, string text) =>
        Task.WhenAny(nodes.Select(n => n.Process.LineContaining(text))).ContinueWith(_ => DateTimeOffset.UtcNow, TaskScheduler.Default);

    private static string Since(Task<DateTimeOffset> seen, DateTimeOffset start) =>
        seen.IsCompletedSuccessfully ? $"{(seen.Result - start).TotalSeconds:F1} s" : "(not logged)";

    private async Task<IReadOnlyList<OrchestratorClient>> ConnectAllAsync(ClusterProcesses cluster) =>
        await Task.WhenAll(cluster.Nodes.Select(n => cluster.ConnectAsync(n, RequestTimeout)));

    // Setup requests go through one node while every node is up; a shard's first start may take a moment.
    private static async Task<T> Retry<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow + ClusterProcesses.Patience;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when ((ex is OrchestratorUnreachableException or OrchestratorUnavailableException) && DateTime.UtcNow < deadline)
            {
            }
        }
    }

    private static async Task AwaitAsync(Func<bool> condition, string what, TimeSpan? within = null, Func<string>? diagnosis = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = within ?? ClusterProcesses.Patience;
        while (!condition())
        {
            if (deadline.Elapsed > limit) throw new Xunit.Sdk.XunitException($"not within {limit}: {what}{(diagnosis is null ? "" : "; " + diagnosis())}");
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    // The database's sessions other than this one: a frozen node's open transaction shows here as "idle in transaction".
    private static string PostgresSessions(PostgresDatabase db)
    {
        using var connection = new Npgsql.NpgsqlConnection(db.ConnectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand(
            "SELECT state, coalesce(wait_event_type, '') || ':' || coalesce(wait_event, ''), now() - xact_start, left(query, 80) FROM pg_stat_activity " +
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'", connection);
        using var reader = command.ExecuteReader();
        var sessions = new List<string>();
        while (reader.Read())
            sessions.Add($"{reader.GetValue(0)} {reader.GetValue(1)} for {reader.GetValue(2)}: {reader.GetValue(3)}");
        return $"PostgreSQL sessions not idle: [{string.Join(" | ", sessions)}]";
    }

    private void Report(string line)
    {
        output.WriteLine(line);
        var folder = Path.Combine(TestConfigs.RepositoryRoot(), "artifacts");
        Directory.CreateDirectory(folder);
        File.AppendAllText(Path.Combine(folder, "cluster-failover.txt"), $"{DateTimeOffset.UtcNow:u} {line}{Environment.NewLine}");
    }

    /// <summary>
    /// Defines a fresh task on a namespace every 100 ms through the given nodes in turn, without waiting
    /// for the previous probe, so that the first answer after a failover is seen to within 100 ms (an
    /// agent only retries when its request times out).
    /// </summary>
    private sealed class Prober : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Prober(string ns, IReadOnlyList<OrchestratorClient> via, Ledger ledger) => _loop = RunAsync(ns, via, ledger, _stop.Token);

        private static async Task RunAsync(string ns, IReadOnlyList<OrchestratorClient> via, Ledger ledger, CancellationToken stop)
        {
            var probes = new List<Task>();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var client = via[i % via.Count].ForNamespace(ns);
                var taskId = $"{ns}-probe-{Guid.NewGuid():N}";
                probes.Add(ProbeAsync(client, taskId, ns, ledger));
                try { await Task.Delay(TimeSpan.FromMilliseconds(100), stop); }
                catch (OperationCanceledException) { break; }
            }
            await Task.WhenAll(probes);
        }

        private static async Task ProbeAsync(OrchestratorClient client, string taskId, string ns, Ledger ledger)
        {
            var sent = DateTimeOffset.UtcNow;
            try
            {
                await client.DefineTaskAsync(new DefineTask(taskId, "prober", $"tasks/{taskId}.md"));
                ledger.Ack(ns, sent);
                ledger.Defined.Add((ns, taskId));
            }
            catch (Exception ex) when (ex is OrchestratorUnreachableException or OrchestratorUnavailableException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }

    /// <summary>The agents, running until stopped; disposed, they are stopped whatever happened.</summary>
    private sealed class Load : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _agents;

        public Load(IEnumerable<Func<CancellationToken, Task>> agents) => _agents = agents.Select(agent => agent(_stop.Token)).ToList();

        /// <summary>Stops the agents; an agent that met an answer it did not expect fails here.</summary>
        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_agents);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            // After a failed assertion: the agents only have to be gone before the nodes and the client system.
            try { await Task.WhenAll(_agents).WaitAsync(TimeSpan.FromSeconds(30)); }
            catch (Exception) { }
            _stop.Dispose();
        }
    }

    /// <summary>Every change the agents saw acknowledged, and when each acknowledged request was sent.</summary>
    private sealed class Ledger
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<DateTimeOffset>> _acks = new();

        public ConcurrentBag<(string Ns, string TaskId)> Defined { get; } = [];
        public ConcurrentBag<(string Ns, string TaskId, string ClaimId)> Assigned { get; } = [];
        public ConcurrentBag<(string Ns, string TaskId)> Completed { get; } = [];

        public void Ack(string ns, DateTimeOffset sent) => _acks.GetOrAdd(ns, _ => new()).Enqueue(sent);

        public int AcksIn(string ns) => _acks.TryGetValue(ns, out var acks) ? acks.Count : 0;

        /// <summary>The earliest send time, after <paramref name="since"/>, of a request on <paramref name="ns"/> that was answered.</summary>
        public DateTimeOffset? FirstAckSentAfter(string ns, DateTimeOffset since) =>
            _acks.TryGetValue(ns, out var acks) ? acks.Where(t => t > since).Select(t => (DateTimeOffset?)t).Min() : null;

        /// <summary>
        /// Every acknowledged define exists, every acknowledged complete is COMPLETED, and no task was
        /// handed to two claims (with leases longer than the spec, a task has one claim at most).
        /// </summary>
        public async Task AssertAcknowledgedChangesAsync(OrchestratorClient via, IEnumerable<string> namespaces, ITestOutputHelper output)
        {
            foreach (var ns in namespaces)
            {
                var tasks = await Retry(() => ClusterProcesses.AllTasksAsync(via.ForNamespace(ns)));
                var defined = Defined.Where(d => d.Ns == ns).Select(d => d.TaskId).ToList();
                var completed = Completed.Where(d => d.Ns == ns).Select(d => d.TaskId).ToList();
                var claims = Assigned.Where(d => d.Ns == ns).GroupBy(d => d.TaskId).ToDictionary(g => g.Key, g => g.Select(d => d.ClaimId).Distinct().ToList());
                output.WriteLine($"{ns}: {defined.Count} defines, {claims.Count} claims, {completed.Count} completes acknowledged; {tasks.Count} tasks stored");

                Assert.NotEmpty(completed);
                Assert.Equal(Array.Empty<string>(), defined.Where(id => !tasks.ContainsKey(id)).ToArray()); // acknowledged, yet lost
                Assert.Equal(Array.Empty<string>(), completed.Where(id => tasks[id].Status != TaskState.Completed).ToArray()); // completed, yet not
                Assert.Empty(claims.Where(c => c.Value.Count > 1).Select(c => $"{c.Key}: {string.Join(", ", c.Value)}"));
                // A task still held names the claim its agent was given, if it was given one (its public part).
                Assert.Empty(claims.Where(c => tasks[c.Key].Status == TaskState.Claimed && tasks[c.Key].ClaimId != ClaimIds.Public(c.Value[0])).Select(c => c.Key));
            }
        }
    }
}
