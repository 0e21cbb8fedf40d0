using Orchestrator.Actors.Domain;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Two cluster members in this process, as config/cluster.conf makes them: one hosts the state
/// managers (role state-manager), the other is an agent node that only routes to them through the
/// shard region proxy. The journal is in memory: only the host writes. The multi-process failover
/// and partition specs (PostgreSQL) are in ClusterFailoverSpecs.
/// </summary>
public sealed class ShardingSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private const string SystemName = "orchestrator-sharding";
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);

    private static Config MemberConfig(int port, int seedPort, string role, string extra = "") =>
        OrchestratorConfig.Load(
            [OrchestratorConfig.Shipped("cluster.conf"), OrchestratorConfig.Shipped("in-memory.conf")],
            ConfigurationFactory.ParseString($$"""
                akka.remote.dot-netty.tcp.port = {{port}}
                akka.cluster.seed-nodes = ["akka.tcp://{{SystemName}}@127.0.0.1:{{seedPort}}"]
                akka.cluster.roles = ["{{role}}"]
                akka.loglevel = INFO
                {{extra}}
                """));

    private async Task<(OrchestratorNode Host, OrchestratorNode Agent)> StartAsync(string extra = "")
    {
        var hostPort = HostProcess.FreePort();
        var host = OrchestratorNode.Start(MemberConfig(hostPort, hostPort, "state-manager", extra), SystemName);
        var agent = OrchestratorNode.Start(MemberConfig(0, hostPort, "agent", extra), SystemName);
        await AwaitAssertAsync(() =>
        {
            var members = Akka.Cluster.Cluster.Get(host.System).State.Members;
            Assert.Equal(2, members.Count(m => m.Status == MemberStatus.Up));
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        return (host, agent);
    }

    [Fact]
    public async Task An_agent_node_reaches_a_namespace_hosted_on_the_other_member_and_the_status_shows_where_it_runs()
    {
        var (host, agent) = await StartAsync();
        await using (host)
        await using (agent)
        {
            Assert.True(host.HostsStateManagers);
            Assert.False(agent.HostsStateManagers);

            Assert.IsType<TaskDefinitionAccepted>(await Ask(agent.StateManager, new DefineTask("t-1", "coder", "x.md") { Namespace = "team-a" }));
            var assigned = Assert.IsType<TaskAssigned>(await Ask(agent.StateManager, new ClaimTask("coder") { Namespace = "team-a" }));
            Assert.Equal("t-1", assigned.Task.TaskId);
            // The same namespace through the host's own router: one state manager behind both.
            var found = Assert.IsType<TaskFound>(await Ask(host.StateManager, new GetTask("t-1") { Namespace = "team-a" }));
            Assert.Equal(ClaimIds.Public(assigned.ClaimId), found.Task.Claim?.ClaimId);

            var status = Assert.IsType<ClusterStatus>(await Ask(agent.StateManager, GetClusterStatus.Instance));
            Assert.True(status.Clustered);
            Assert.Equal(agent.Address.ToString(), status.Self);
            Assert.Equal(
                new[] { (host.Address.ToString(), "state-manager"), (agent.Address.ToString(), "agent") }.OrderBy(m => m.Item1),
                status.Members.Select(m => (m.Address, string.Join(",", m.Roles))));
            Assert.All(status.Members, m => Assert.Equal(("Up", true), (m.Status, m.Reachable)));
            var shard = Assert.Single(status.Shards);
            Assert.Equal(host.Address.ToString(), shard.Node);
            Assert.Equal(["team-a"], shard.Namespaces);
            var stats = Assert.Single(status.Namespaces);
            Assert.Equal(("team-a", 1, 1), (stats.Namespace, stats.Tasks, stats.ByStatus["CLAIMED"]));
            Assert.Empty(status.Unanswered);
        }
    }

    [Theory]
    [InlineData("nonsense", "'nonsense' is not a node address")]
    [InlineData("akka.tcp://other-system@127.0.0.1:4053", "'akka.tcp://other-system@127.0.0.1:4053' is not a node of this cluster")]
    public void A_bad_seed_node_is_refused_naming_it(string seed, string expected)
    {
        var config = MemberConfig(0, 4053, "state-manager", $"akka.cluster.seed-nodes = [\"{seed}\"]");

        var error = Assert.Throws<ConfigurationException>(() => OrchestratorNode.Start(config, SystemName));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task A_bad_namespace_is_refused_by_the_routing_node_before_sharding()
    {
        var (host, agent) = await StartAsync();
        await using (host)
        await using (agent)
        {
            var rejected = Assert.IsType<CommandRejected>(await Ask(agent.StateManager, new GetStats { Namespace = "no/slash" }));
            Assert.Equal(("namespace", "no/slash"), (rejected.Field, rejected.Value));
        }
    }

    [Fact]
    public async Task An_idle_namespace_is_passivated_but_one_holding_a_claim_is_not_and_the_passivated_one_comes_back_whole()
    {
        var (host, agent) = await StartAsync("orchestrator.cluster.passivate-idle-after = 1s");
        await using (host)
        await using (agent)
        {
            var sm = agent.StateManager;
            Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("quiet-1", "coder", "x.md") { Namespace = "idle" }));
            Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("busy-1", "coder", "x.md") { Namespace = "busy" }));
            Assert.IsType<TaskAssigned>(await Ask(sm, new ClaimTask("coder", TimeSpan.FromMinutes(5)) { Namespace = "busy" }));

            // The region's own view (not a status query, which would be a request to each namespace).
            await AwaitAssertAsync(async () =>
            {
                var running = await RunningNamespacesAsync(agent);
                Assert.DoesNotContain("idle", running);
                // Idle for as long, but its claim's lease must keep running.
                Assert.Contains("busy", running);
            }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));

            var back = Assert.IsType<TaskFound>(await Ask(sm, new GetTask("quiet-1") { Namespace = "idle" }));
            Assert.Equal("coder", back.Task.Agent);
            Assert.Contains("idle", await RunningNamespacesAsync(agent));
        }
    }

    [SkippableFact]
    public async Task A_cluster_client_outside_the_cluster_moves_to_another_node_when_its_node_leaves()
    {
        // The namespace moves between the nodes: they share a journal, here PostgreSQL.
        using var db = PostgresDatabase.Create();
        Config SharedJournal(int port, int seedPort) => ConfigurationFactory.ParseString($$"""
                akka.remote.dot-netty.tcp.port = {{port}}
                akka.cluster.seed-nodes = ["akka.tcp://{{SystemName}}@127.0.0.1:{{seedPort}}"]
                """)
            .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(OrchestratorConfig.Shipped("cluster.conf"))))
            .WithFallback(db.NodeConfig());
        var firstPort = HostProcess.FreePort();
        var first = OrchestratorNode.Start(SharedJournal(firstPort, firstPort), SystemName);
        var second = OrchestratorNode.Start(SharedJournal(0, firstPort), SystemName);
        await using var _ = second;
        await AwaitAssertAsync(() => Assert.Equal(2, Akka.Cluster.Cluster.Get(first.System).State.Members.Count(m => m.Status == MemberStatus.Up)),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));

        // Only the first node is given: the receptionist tells the client about the other.
        var clientSystem = OrchestratorClient.CreateSystem("cluster-client");
        try
        {
            var client = (await OrchestratorClient.ConnectClusterAsync(clientSystem, [$"127.0.0.1:{firstPort}"],
                new OrchestratorClientOptions(TimeSpan.FromSeconds(3)), SystemName)).ForNamespace("team-c");
            Assert.False((await client.DefineTaskAsync(new DefineTask("cc-1", "coder", "x.md"))).AlreadyDefined);
            var claimed = await client.ClaimTaskAsync(new ClaimTask("coder", TimeSpan.FromMinutes(5)));
            Assert.Equal("cc-1", claimed?.Task.TaskId);

            // The first node leaves: its shards hand off, and the client loses its receptionist.
            await first.StopAsync();

            // Through the second node, the same namespace with its claim; asks time out meanwhile.
            await AwaitAssertAsync(async () =>
            {
                var found = await client.GetTaskAsync("cc-1");
                Assert.Equal(ClaimIds.Public(claimed!.ClaimId), found.Task.Claim?.ClaimId);
            }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
            var stats = await client.GetStatsAsync();
            Assert.Equal(("team-c", 1), (stats.Namespace, stats.ByStatus["CLAIMED"]));
        }
        finally
        {
            await clientSystem.Terminate();
        }
    }

    private static async Task<IReadOnlyList<string>> RunningNamespacesAsync(OrchestratorNode node)
    {
        var hostRouter = node.System.ActorSelection(new RootActorPath(Akka.Cluster.Cluster.Get(node.System).State.Members
            .Single(m => m.Roles.Contains("state-manager")).Address) / "user" / "state-manager");
        var shards = await hostRouter.Ask<LocalShards>(GetLocalShards.Instance, AskTimeout);
        return shards.Shards.SelectMany(s => s.Namespaces).ToList();
    }

    private static Task<object> Ask(IActorRef sm, object request) => sm.Ask<object>(request, AskTimeout);
}
