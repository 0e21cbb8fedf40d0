using Akka.Actor;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>
/// <c>orchestrator serve --cluster</c> processes on loopback sharing one PostgreSQL database, and a
/// client ActorSystem in the test process that reaches each of them. Disposing kills every node
/// (stopped ones too) and prints the tail of each node's output.
/// </summary>
public sealed class ClusterProcesses : IDisposable
{
    /// <summary>How long a node may take to start, join, or answer a status query.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;

    private ClusterProcesses(ITestOutputHelper output, IReadOnlyList<ClusterNode> nodes)
    {
        _output = output;
        Nodes = nodes;
        ClientSystem = OrchestratorClient.CreateSystem("cluster-spec-client");
    }

    /// <summary>The nodes in start order; the first two are the seeds.</summary>
    public IReadOnlyList<ClusterNode> Nodes { get; }

    /// <summary>The test's own ActorSystem (remoting, no cluster), from which agents and queries reach the nodes.</summary>
    public ActorSystem ClientSystem { get; }

    /// <summary>
    /// Starts <paramref name="count"/> members on <paramref name="database"/>: the first seed alone until
    /// it is up, then the others, and returns once a status query shows them all Up.
    /// </summary>
    public static async Task<ClusterProcesses> StartAsync(PostgresDatabase database, int count, ITestOutputHelper output)
    {
        var ports = Enumerable.Range(0, count).Select(_ => HostProcess.FreePort()).ToList();
        var environment = new Dictionary<string, string> { ["ORCHESTRATOR_POSTGRES"] = database.ConnectionString };
        string[] Args(int port) =>
        [
            "serve", "--cluster", "--config", PostgresDatabase.OverlayPath, "--port", port.ToString(),
            "--seed", $"127.0.0.1:{ports[0]}", "--seed", $"127.0.0.1:{ports[Math.Min(1, count - 1)]}",
        ];

        var nodes = new List<ClusterNode>();
        var cluster = new ClusterProcesses(output, nodes);
        try
        {
            nodes.Add(new ClusterNode(ports[0], HostProcess.Start(environment, Args(ports[0]))));
            await nodes[0].Process.WaitForLineAsync("member up", Patience);
            nodes.AddRange(ports.Skip(1).Select(port => new ClusterNode(port, HostProcess.Start(environment, Args(port)))));
            await Task.WhenAll(nodes.Skip(1).Select(n => n.Process.WaitForLineAsync("member up", Patience)));
            await cluster.AwaitStatusAsync(nodes[0], s => s.Members.Count(m => m.Status == "Up" && m.Reachable) == count,
                $"{count} members Up");
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>A client of <paramref name="node"/>'s state manager (any namespace reaches any node).</summary>
    public Task<OrchestratorClient> ConnectAsync(ClusterNode node, TimeSpan requestTimeout) =>
        OrchestratorClient.ConnectAsync(ClientSystem, node.Server, new OrchestratorClientOptions(Timeout: requestTimeout, Retries: 0));

    /// <summary>The cluster as <paramref name="via"/> sees it.</summary>
    public async Task<ClusterStatus> StatusAsync(ClusterNode via) =>
        await (await ConnectAsync(via, TimeSpan.FromSeconds(15))).GetClusterStatusAsync();

    /// <summary>Asks <paramref name="via"/> for the cluster status until <paramref name="condition"/> holds; fails after <see cref="Patience"/>.</summary>
    public async Task<ClusterStatus> AwaitStatusAsync(ClusterNode via, Func<ClusterStatus, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        ClusterStatus? last = null;
        Exception? error = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await StatusAsync(via);
                if (condition(last)) return last;
            }
            catch (OrchestratorException ex)
            {
                error = ex;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        throw new Xunit.Sdk.XunitException($"no cluster status from {via.Server} showed {what} within {Patience}; last: {Describe(last)}; last error: {error?.Message}");
    }

    /// <summary>The node whose address is <paramref name="address"/> (akka.tcp://orchestrator@127.0.0.1:PORT).</summary>
    public ClusterNode NodeAt(string address) => Nodes.Single(n => n.Address == address);

    /// <summary>The node running <paramref name="namespace"/> in <paramref name="status"/>, or null when no shard lists it.</summary>
    public static string? HostOf(ClusterStatus status, string @namespace) =>
        status.Shards.FirstOrDefault(s => s.Namespaces.Contains(@namespace))?.Node;

    /// <summary>Every task of a namespace, page by page.</summary>
    public static async Task<Dictionary<string, TaskFoundView>> AllTasksAsync(OrchestratorClient client)
    {
        var tasks = new Dictionary<string, TaskFoundView>();
        for (var offset = 0; ; offset += 1000)
        {
            var page = await client.ListTasksAsync(new ListTasks(Offset: offset, Limit: 1000));
            foreach (var task in page.Tasks) tasks[task.TaskId] = new TaskFoundView(task.Status, task.Claim?.ClaimId);
            if (page.Tasks.Count == 0 || offset + page.Tasks.Count >= page.Total) return tasks;
        }
    }

    /// <summary>One line per member and shard, for messages.</summary>
    public static string Describe(ClusterStatus? status) => status is null
        ? "none"
        : $"members [{string.Join(", ", status.Members.Select(m => $"{m.Address} {m.Status}{(m.Reachable ? "" : " unreachable")}"))}]; " +
          $"shards [{string.Join(", ", status.Shards.Select(s => $"{s.ShardId}@{s.Node}: {string.Join("/", s.Namespaces)}"))}]; " +
          $"unanswered [{string.Join(", ", status.Unanswered)}]";

    public void Dispose()
    {
        foreach (var node in Nodes)
        {
            node.Process.Kill();
            var lines = node.Process.Output.Concat(node.Process.Errors).ToList();
            _output.WriteLine($"--- node {node.Server} (pid {node.Process.Id}), last of {lines.Count} lines:");
            foreach (var line in lines.TakeLast(15)) _output.WriteLine("  " + line);
            node.Process.Dispose();
        }
        ClientSystem.Terminate().Wait(TimeSpan.FromSeconds(10));
    }
}

/// <summary>One member: its port and its process.</summary>
public sealed record ClusterNode(int Port, HostProcess Process)
{
    /// <summary>HOST:PORT, as clients connect.</summary>
    public string Server => $"127.0.0.1:{Port}";

    /// <summary>The member's address, as the cluster status names it.</summary>
    public string Address => $"akka.tcp://orchestrator@127.0.0.1:{Port}";
}

/// <summary>What the final check needs of a task: its status and its claim.</summary>
public sealed record TaskFoundView(Orchestrator.Actors.Protocol.TaskState Status, string? ClaimId);
