using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Namespaces on one node: each has its own state manager and persistence id, so the same task id
/// means different tasks in two namespaces; a bad namespace is refused naming it; a namespace the
/// journal holds starts with the node, so its timers run without waiting for a request.
/// </summary>
public sealed class NamespaceSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    private Config NodeConfig(string extra = "") => TestConfigs.Sqlite(_dataDirectory, extra);

    [Fact]
    public async Task A_namespace_beyond_max_namespaces_is_refused_naming_the_limit_and_the_others_keep_serving()
    {
        // The default namespace and one more.
        await using var node = OrchestratorNode.Start(NodeConfig("orchestrator.max-namespaces = 2"), "capped");
        var sm = node.StateManager;
        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("t", "a", "t.md") { Namespace = "team-a" }));

        var refused = Assert.IsType<CommandRejected>(await Ask(sm, new DefineTask("t", "a", "t.md") { Namespace = "team-b" }));

        Assert.Equal(("namespace", "team-b"), (refused.Field, refused.Value));
        Assert.Contains("at most orchestrator.max-namespaces = 2", refused.Reason);
        Assert.IsType<TaskFound>(await Ask(sm, new GetTask("t") { Namespace = "team-a" }));
        Assert.IsType<TaskNotFound>(await Ask(sm, new GetTask("t")));
    }

    [Fact]
    public async Task On_one_node_an_idle_namespace_is_passivated_but_one_holding_a_claim_is_not_and_the_passivated_one_comes_back_whole()
    {
        await using var node = OrchestratorNode.Start(NodeConfig("orchestrator.cluster.passivate-idle-after = 1s"), "passivating");
        var sm = node.StateManager;
        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("quiet-1", "coder", "x.md") { Namespace = "idle" }));
        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("busy-1", "coder", "x.md") { Namespace = "busy" }));
        Assert.IsType<TaskAssigned>(await Ask(sm, new ClaimTask("coder", TimeSpan.FromMinutes(5)) { Namespace = "busy" }));
        var idle = await node.System.ActorSelection("/user/state-manager/idle").ResolveOne(AskTimeout);
        var busy = await node.System.ActorSelection("/user/state-manager/busy").ResolveOne(AskTimeout);
        Watch(idle);

        // Before, a namespace on one node ran until the node stopped.
        ExpectTerminated(idle);

        // Idle for as long, but its claim's lease must keep running.
        Assert.Equal(busy, await node.System.ActorSelection("/user/state-manager/busy").ResolveOne(AskTimeout));
        var back = Assert.IsType<TaskFound>(await Ask(sm, new GetTask("quiet-1") { Namespace = "idle" }));
        Assert.Equal(("coder", TaskState.Ready), (back.Task.Agent, back.Task.Status));
        Assert.NotEqual(idle, await node.System.ActorSelection("/user/state-manager/idle").ResolveOne(AskTimeout));
    }

    [Fact]
    public async Task A_namespace_keeps_at_most_max_subscribers_refusing_another_by_name_while_the_others_keep_hearing()
    {
        await using var node = OrchestratorNode.Start(NodeConfig("orchestrator.subscriptions.max-subscribers = 2"), "subscribers");
        var sm = node.StateManager;
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var third = CreateTestProbe();
        sm.Tell(new SubscribeToTasks(), first.Ref);
        first.ExpectMsg<SubscribedToTasks>();
        sm.Tell(new SubscribeToDocuments(), second.Ref);
        second.ExpectMsg<SubscribedToDocuments>();

        sm.Tell(new SubscribeToTasks(TaskId: "t-1"), third.Ref);
        // Another filter of a subscriber it keeps is not a new subscriber.
        sm.Tell(new SubscribeToTasks(TaskId: "t-1"), first.Ref);

        var refused = third.ExpectMsg<CommandRejected>();
        Assert.Equal(("subscription", "t-1"), (refused.Field, refused.Value));
        Assert.Contains("already has 2 subscribers (orchestrator.subscriptions.max-subscribers)", refused.Reason);
        first.ExpectMsg<SubscribedToTasks>();
        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("t-1", "a", "t.md")));
        Assert.Equal("t-1", first.ExpectMsg<TaskTransitioned>().TaskId);
        third.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task When_its_node_stops_every_subscriber_hears_that_its_subscription_ended_and_why()
    {
        var node = OrchestratorNode.Start(NodeConfig(), "ending");
        var sm = node.StateManager;
        var tasks = CreateTestProbe();
        var documents = CreateTestProbe();
        sm.Tell(new SubscribeToTasks { Namespace = "team-a" }, tasks.Ref);
        tasks.ExpectMsg<SubscribedToTasks>();
        sm.Tell(new SubscribeToDocuments(), documents.Ref);
        documents.ExpectMsg<SubscribedToDocuments>();

        await node.StopAsync();

        // Before, they heard nothing: a subscriber could not tell a quiet namespace from a gone one.
        var ended = tasks.ExpectMsg<SubscriptionEnded>();
        Assert.Equal(("team-a", "its node is stopping"), (ended.Namespace, ended.Reason));
        Assert.Equal(("default", "its node is stopping"), (documents.ExpectMsg<SubscriptionEnded>().Namespace, ended.Reason));
    }

    [Fact]
    public async Task The_same_task_id_in_two_namespaces_is_two_tasks_with_their_own_journal_and_figures()
    {
        var config = NodeConfig();
        await using var node = OrchestratorNode.Start(config, "namespaces");
        var sm = node.StateManager;

        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("build", "coder", "a.md") { Namespace = "team-a" }));
        // Different in every field that matters: in one namespace this would be a conflict.
        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("build", "tester", "b.md", "HIGH") { Namespace = "team-b" }));
        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("other", "tester", "c.md") { Namespace = "team-b" }));
        // A request that names no namespace is in "default", which has neither task.
        Assert.IsType<TaskNotFound>(await Ask(sm, new GetTask("build")));

        var inA = Assert.IsType<TaskFound>(await Ask(sm, new GetTask("build") { Namespace = "team-a" }));
        var inB = Assert.IsType<TaskFound>(await Ask(sm, new GetTask("build") { Namespace = "team-b" }));
        Assert.Equal(("coder", "a.md"), (inA.Task.Agent, inA.Task.TaskFile));
        Assert.Equal(("tester", "b.md"), (inB.Task.Agent, inB.Task.TaskFile));

        var statsA = Assert.IsType<StatsReport>(await Ask(sm, new GetStats { Namespace = "team-a" }));
        var statsB = Assert.IsType<StatsReport>(await Ask(sm, new GetStats { Namespace = "team-b" }));
        Assert.Equal(("team-a", 1), (statsA.Namespace, statsA.Tasks));
        Assert.Equal(("team-b", 2), (statsB.Namespace, statsB.Tasks));

        // Each namespace journals under its own persistence id.
        var db = new JournalDatabase(OrchestratorSettings.FromConfig(config).DatabasePath);
        Assert.Equal(["task-defined.v1"], db.EventManifests("state-manager-team-a"));
        Assert.Equal(2, db.EventManifests("state-manager-team-b").Count);
        Assert.Empty(db.EventManifests("state-manager-default"));

        // The node's own view lists the running namespaces with their figures.
        var status = Assert.IsType<ClusterStatus>(await Ask(sm, GetClusterStatus.Instance));
        Assert.False(status.Clustered);
        Assert.Equal(["default", "team-a", "team-b"], status.Namespaces.Select(n => n.Namespace));
        Assert.Equal([0, 1, 2], status.Namespaces.Select(n => n.Tasks));
        Assert.Empty(status.Unanswered);
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("team a", "contains ' '")]
    [InlineData("team/a", "contains '/'")]
    [InlineData("-team", "must start with an ASCII letter or digit")]
    [InlineData("$system", "must start with an ASCII letter or digit")]
    public async Task A_bad_namespace_is_refused_naming_it_and_starts_nothing(string bad, string why)
    {
        await using var node = OrchestratorNode.Start(NodeConfig(), "bad-namespace");

        var rejected = Assert.IsType<CommandRejected>(await Ask(node.StateManager, new DefineTask("t", "a", "f.md") { Namespace = bad }));
        Assert.Equal("namespace", rejected.Field);
        Assert.Contains(why, rejected.Message);
        // Subscriptions go through the same check.
        Assert.IsType<CommandRejected>(await Ask(node.StateManager, new SubscribeToTasks { Namespace = bad }));

        var status = Assert.IsType<ClusterStatus>(await Ask(node.StateManager, GetClusterStatus.Instance));
        Assert.Equal(["default"], status.Namespaces.Select(n => n.Namespace));
    }

    [Fact]
    public async Task A_namespace_longer_than_64_characters_is_refused()
    {
        await using var node = OrchestratorNode.Start(NodeConfig(), "long-namespace");

        var rejected = Assert.IsType<CommandRejected>(await Ask(node.StateManager, new GetStats { Namespace = new string('n', 65) }));

        Assert.Contains("65 characters long; at most 64", rejected.Message);
        Assert.IsType<StatsReport>(await Ask(node.StateManager, new GetStats { Namespace = new string('n', 64) }));
    }

    [Fact]
    public async Task Subscriptions_hear_only_their_own_namespace_and_unsubscribe_there()
    {
        await using var node = OrchestratorNode.Start(NodeConfig(), "namespace-subscriptions");
        var sm = node.StateManager;
        var subscriber = CreateTestProbe();

        sm.Tell(new SubscribeToTasks(Agent: "coder") { Namespace = "team-a" }, subscriber);
        subscriber.ExpectMsg<SubscribedToTasks>();
        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("b-1", "coder", "x.md") { Namespace = "team-b" }));
        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("a-1", "coder", "x.md") { Namespace = "team-a" }));

        // Only team-a's transition arrives, although team-b's was journaled first.
        Assert.Equal("a-1", subscriber.ExpectMsg<TaskTransitioned>().TaskId);

        sm.Tell(new UnsubscribeFromTasks(Agent: "coder") { Namespace = "team-a" }, subscriber);
        Assert.Equal(0, subscriber.ExpectMsg<UnsubscribedFromTasks>().Remaining);
        Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask("a-2", "coder", "x.md") { Namespace = "team-a" }));
        // A later request's reply proves the gateway processed the define before it.
        Assert.IsType<StatsReport>(await Ask(sm, new GetStats { Namespace = "team-a" }));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task A_namespace_in_the_journal_starts_with_the_node_and_its_expired_lease_is_acted_on_without_a_request()
    {
        // Leases can be short here; the retry waits long, so the task stays FAILED once it expired.
        var config = NodeConfig("orchestrator.lifecycle { min-lease = 100ms, retry { base = 1h, cap = 1h } }");
        var db = new JournalDatabase(OrchestratorSettings.FromConfig(config).DatabasePath);
        await using (var node = OrchestratorNode.Start(config, "before-restart"))
        {
            Assert.IsType<TaskDefinitionAccepted>(await Ask(node.StateManager, new DefineTask("t", "coder", "x.md") { Namespace = "quiet" }));
            Assert.IsType<TaskAssigned>(await Ask(node.StateManager, new ClaimTask("coder", TimeSpan.FromSeconds(2)) { Namespace = "quiet" }));
        }
        Assert.DoesNotContain("lease-expired.v1", db.EventManifests("state-manager-quiet"));

        // No request names "quiet" after the restart: only the start from the journal can expire it.
        await using (var node = OrchestratorNode.Start(config, "after-restart"))
        {
            await AwaitAssertAsync(() => Assert.Contains("lease-expired.v1", db.EventManifests("state-manager-quiet")),
                TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
            var status = Assert.IsType<ClusterStatus>(await Ask(node.StateManager, GetClusterStatus.Instance));
            Assert.Contains("quiet", status.Namespaces.Select(n => n.Namespace));
        }
    }

    private static Task<object> Ask(IActorRef sm, object request) => sm.Ask<object>(request, AskTimeout);

    protected override void AfterAll()
    {
        base.AfterAll();
        TestConfigs.DeleteDataDirectory(_dataDirectory);
    }
}
