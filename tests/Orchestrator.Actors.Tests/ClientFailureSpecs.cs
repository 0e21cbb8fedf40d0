using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>Every request method of the client, by name, for specs that run them all.</summary>
internal static class ClientCalls
{
    public static readonly IReadOnlyDictionary<string, Func<OrchestratorClient, Task>> All = new Dictionary<string, Func<OrchestratorClient, Task>>
    {
        ["DefineTask"] = c => c.DefineTaskAsync(new DefineTask("t-1", "*", "tasks/t-1.md")),
        ["DefineTasks"] = c => c.DefineTasksAsync(new DefineTasks([new DefineTask("t-1", "*", "tasks/t-1.md")])),
        ["SaveState"] = c => c.SaveStateAsync(new SaveState("owner", "key", "{}")),
        ["GetState"] = c => c.GetStateAsync("owner", "key"),
        ["GetTask"] = c => c.GetTaskAsync("t-1"),
        ["GetTaskHistory"] = c => c.GetTaskHistoryAsync("t-1"),
        ["ListTasks"] = c => c.ListTasksAsync(new ListTasks()),
        ["GetStats"] = c => c.GetStatsAsync(),
        ["ListAgents"] = c => c.ListAgentsAsync(),
        ["ClaimTask"] = c => c.ClaimTaskAsync(new ClaimTask("agent")),
        ["Heartbeat"] = c => c.HeartbeatAsync(new Heartbeat("t-1", "agent", "c-1")),
        ["CompleteTask"] = c => c.CompleteTaskAsync(new CompleteTask("t-1", "agent", "c-1")),
        ["FailTask"] = c => c.FailTaskAsync(new FailTask("t-1", "agent", "c-1", "broken")),
        ["CancelTask"] = c => c.CancelTaskAsync(new CancelTask("t-1", "not needed")),
        ["RequeueDeadTask"] = c => c.RequeueDeadTaskAsync(new RequeueDeadTask("t-1")),
        ["RegisterAgent"] = c => c.RegisterAgentAsync(new RegisterAgent("agent")),
    };

    public static TheoryData<string> Names(Func<string, bool>? where = null)
    {
        var data = new TheoryData<string>();
        foreach (var name in All.Keys.Where(where ?? (_ => true))) data.Add(name);
        return data;
    }
}

/// <summary>The client against a TestProbe standing in for the state manager: each kind of failed answer.</summary>
public sealed class ErrorReplyClientSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 15s"), output: output)
{
    public static TheoryData<string> Calls => ClientCalls.Names();

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Every_call_throws_the_exception_for_a_rejection_an_unavailable_orchestrator_and_an_unexpected_reply(string call)
    {
        var probe = CreateTestProbe();
        var client = new OrchestratorClient(probe.Ref, address: "probe");

        var rejected = ClientCalls.All[call](client);
        probe.ExpectMsg<IStateManagerRequest>(m => Assert.Equal(call, m.GetType().Name));
        probe.Reply(new CommandRejected("field", "value", "is wrong"));
        var rejection = await Assert.ThrowsAsync<OrchestratorRejectedException>(() => rejected);
        Assert.Equal(("field", "value", "invalid field 'value': is wrong"), (rejection.Rejection.Field, rejection.Rejection.Value, rejection.Message));

        var unavailable = ClientCalls.All[call](client);
        probe.ExpectMsg<IStateManagerRequest>();
        probe.Reply(new OrchestratorUnavailable("restarting"));
        var down = await Assert.ThrowsAsync<OrchestratorUnavailableException>(() => unavailable);
        Assert.Equal("orchestrator unavailable, retry: restarting", down.Message);

        var odd = ClientCalls.All[call](client);
        probe.ExpectMsg<IStateManagerRequest>();
        probe.Reply(ShutdownComplete.Instance);
        var unexpected = await Assert.ThrowsAsync<InvalidOperationException>(() => odd);
        Assert.Equal($"unexpected reply ShutdownComplete to {call}", unexpected.Message);
        Assert.False(probe.HasMessages);
    }
}

/// <summary>No orchestrator where the client looks, or one that never answers.</summary>
public sealed class UnreachableClientSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 15s"), output: output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    public static TheoryData<string> CallsButDefine => ClientCalls.Names(name => name is not ("DefineTask" or "DefineTasks"));

    [Fact]
    public async Task Connecting_to_a_port_where_nothing_listens_is_unreachable_naming_the_address()
    {
        var port = HostProcess.FreePort();

        var clientSystem = OrchestratorClient.CreateSystem();
        try
        {
            var unreachable = await Assert.ThrowsAsync<OrchestratorUnreachableException>(() =>
                OrchestratorClient.ConnectAsync(clientSystem, $"127.0.0.1:{port}", new OrchestratorClientOptions(TimeSpan.FromSeconds(2))));
            Assert.StartsWith($"orchestrator not reachable at 127.0.0.1:{port} ", unreachable.Message);
            Assert.Contains($"akka.tcp://orchestrator@127.0.0.1:{port}/user/state-manager", unreachable.Message);
            Assert.Null(unreachable.Reply);
        }
        finally
        {
            await clientSystem.Terminate();
        }
    }

    [Fact]
    public async Task A_client_of_a_node_that_went_away_fails_at_once_instead_of_waiting_out_its_timeouts()
    {
        var dataDirectory = TestConfigs.NewDataDirectory();
        var node = OrchestratorNode.Start(TestConfigs.Sqlite(dataDirectory));
        var port = node.Address.Port!.Value;
        var clientSystem = OrchestratorClient.CreateSystem("fail-fast-client");
        try
        {
            // A minute's timeout and two retries of a definition: waiting them out would take three minutes.
            var client = await OrchestratorClient.ConnectAsync(clientSystem, $"127.0.0.1:{port}", new OrchestratorClientOptions(TimeSpan.FromMinutes(1), Retries: 2));
            Assert.False((await client.DefineTaskAsync(new DefineTask("before", "*", "tasks/before.md"))).AlreadyDefined);

            await node.StopAsync();
            var first = await Assert.ThrowsAsync<OrchestratorUnreachableException>(() =>
                client.DefineTaskAsync(new DefineTask("while-down", "*", "tasks/down.md")).WaitAsync(TimeSpan.FromSeconds(30)));
            // The next request on the suspect link fails as soon as a probe goes unanswered.
            var next = await Assert.ThrowsAsync<OrchestratorUnreachableException>(() =>
                client.GetTaskAsync("before").WaitAsync(TimeSpan.FromSeconds(30)));

            Assert.StartsWith($"the orchestrator at 127.0.0.1:{port} is not reachable (", first.Message);
            Assert.EndsWith("DefineTask may or may not have arrived", first.Message);
            Assert.StartsWith($"the orchestrator at 127.0.0.1:{port} is not reachable (", next.Message);
        }
        finally
        {
            await clientSystem.Terminate();
            TestConfigs.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task A_client_of_a_node_that_restarted_talks_to_its_new_incarnation()
    {
        var dataDirectory = TestConfigs.NewDataDirectory();
        var node = OrchestratorNode.Start(TestConfigs.Sqlite(dataDirectory));
        var port = node.Address.Port!.Value;
        var clientSystem = OrchestratorClient.CreateSystem("restart-client");
        try
        {
            var client = await OrchestratorClient.ConnectAsync(clientSystem, $"127.0.0.1:{port}", new OrchestratorClientOptions(TimeSpan.FromSeconds(10), Retries: 0));
            Assert.False((await client.DefineTaskAsync(new DefineTask("before", "*", "tasks/before.md"))).AlreadyDefined);
            var before = client.StateManager;

            await node.StopAsync();
            node = OrchestratorNode.Start(TestConfigs.Sqlite(dataDirectory, $"akka.remote.dot-netty.tcp.port = {port}"));

            // The first requests may fail at once (they went to the old incarnation, or the address is
            // still gated after the loss); one soon goes through. Before, every request went to the old
            // state manager's reference, which the new node drops: none ever did.
            var failures = new List<string>();
            await AwaitAssertAsync(async () =>
            {
                try
                {
                    await client.DefineTaskAsync(new DefineTask("after", "*", "tasks/after.md")).WaitAsync(TimeSpan.FromSeconds(8));
                }
                catch (OrchestratorUnreachableException ex)
                {
                    failures.Add(ex.Message);
                    throw;
                }
            }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));

            Assert.All(failures, f => Assert.StartsWith($"the orchestrator at 127.0.0.1:{port} is not reachable (", f));
            Assert.NotEqual(before, client.StateManager);
            Assert.Equal(TaskState.Ready, (await client.GetTaskAsync("before")).Task.Status);
        }
        finally
        {
            await clientSystem.Terminate();
            await node.StopAsync();
            TestConfigs.DeleteDataDirectory(dataDirectory);
        }
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData(":4053")]
    public async Task A_server_that_is_not_HOST_PORT_is_refused_naming_it(string server)
    {
        var invalid = await Assert.ThrowsAsync<ArgumentException>(() => OrchestratorClient.ConnectAsync(Sys, server));
        Assert.StartsWith($"invalid server '{server}': expected HOST:PORT", invalid.Message);
    }

    [Theory]
    [MemberData(nameof(CallsButDefine))]
    public async Task A_request_that_is_never_answered_is_sent_once_unless_it_goes_under_an_idempotency_key(string call)
    {
        var probe = CreateTestProbe();
        var client = new OrchestratorClient(probe.Ref, new OrchestratorClientOptions(Short), "127.0.0.1:9");

        var unreachable = await Assert.ThrowsAsync<OrchestratorUnreachableException>(() => ClientCalls.All[call](client));
        Assert.StartsWith($"no answer from the orchestrator at 127.0.0.1:9 within 200ms to {call}", unreachable.Message);
        Assert.IsAssignableFrom<AskTimeoutException>(unreachable.InnerException);

        var first = probe.ExpectMsg<IStateManagerRequest>(m => Assert.Equal(call, m.GetType().Name));
        if (first is NamespacedRequest { IdempotencyKey: { } key })
        {
            // A change done once under its key (claim, save, complete, fail, cancel, requeue): sent again
            // under the same key, twice (the default retries), and the error names the key.
            Assert.Equal(unreachable.IdempotencyKey, key);
            Assert.EndsWith($"; sent again under idempotency key {key} it is done at most once", unreachable.Message);
            for (var again = 0; again < 2; again++) probe.ExpectMsg<IStateManagerRequest>(m => Assert.Equal(key, ((NamespacedRequest)m).IdempotencyKey));
        }
        else
        {
            // Sent once: a request that is not known to be safe to repeat is never repeated behind the caller's back.
            Assert.Null(unreachable.IdempotencyKey);
            Assert.Equal($"no answer from the orchestrator at 127.0.0.1:9 within 200ms to {call}", unreachable.Message);
        }
        Assert.False(probe.HasMessages);
    }

    [Fact]
    public async Task A_definition_whose_reply_times_out_is_sent_again_with_the_same_definition_and_returns_the_later_reply()
    {
        var probe = CreateTestProbe();
        var client = new OrchestratorClient(probe.Ref, new OrchestratorClientOptions(TimeSpan.FromSeconds(1)));
        var definition = new DefineTask("r-1", "*", "tasks/r-1.md", "HIGH", ["r-0"], 3, """{"n":1}""", "planner");

        var defining = client.DefineTaskAsync(definition);
        probe.ExpectMsg(definition);
        // No answer: the attempt times out and the same definition comes again.
        probe.ExpectMsg(definition);
        var accepted = new TaskDefinitionAccepted(
            new TaskView("r-1", "*", "tasks/r-1.md", TaskPriority.High, TaskState.Pending, DateTimeOffset.UnixEpoch, ["r-0"], 3), AlreadyDefined: true);
        probe.Reply(accepted);

        Assert.Same(accepted, await defining);
        Assert.False(probe.HasMessages);
    }

    [Fact]
    public async Task A_batch_of_definitions_whose_reply_times_out_is_sent_again_whole_and_returns_the_later_reply()
    {
        var probe = CreateTestProbe();
        var client = new OrchestratorClient(probe.Ref, new OrchestratorClientOptions(TimeSpan.FromSeconds(1)));
        var batch = new DefineTasks([new DefineTask("r-4", "*", "tasks/r-4.md"), new DefineTask("r-5", "*", "tasks/r-5.md", DependsOn: ["r-4"])]);

        var defining = client.DefineTasksAsync(batch);
        probe.ExpectMsg(batch);
        // No answer: the attempt times out and the same batch comes again; the first one's writes are answered unchanged.
        probe.ExpectMsg(batch);
        var view = new TaskView("r-4", "*", "tasks/r-4.md", TaskPriority.Medium, TaskState.Ready, DateTimeOffset.UnixEpoch);
        var defined = new TasksDefined(
        [
            new TaskDefinitionResult(0, "r-4", DefinitionOutcome.Unchanged, Task: view),
            new TaskDefinitionResult(1, "r-5", DefinitionOutcome.Unchanged, Task: view with { TaskId = "r-5", Status = TaskState.Pending, DependsOn = ["r-4"] }),
        ]);
        probe.Reply(defined);

        Assert.Same(defined, await defining);
        Assert.False(probe.HasMessages);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_definition_that_is_never_answered_gives_up_after_its_retries_as_unreachable(int retries)
    {
        var probe = CreateTestProbe();
        var client = new OrchestratorClient(probe.Ref, new OrchestratorClientOptions(Short, retries), "127.0.0.1:9");
        var definition = new DefineTask("r-2", "*", "tasks/r-2.md");

        var unreachable = await Assert.ThrowsAsync<OrchestratorUnreachableException>(() => client.DefineTaskAsync(definition));
        Assert.Equal($"no answer from the orchestrator at 127.0.0.1:9 within 200ms to DefineTask", unreachable.Message);

        // The first attempt and then exactly `retries` more, each the same definition.
        for (var attempt = 0; attempt <= retries; attempt++) probe.ExpectMsg(definition);
        Assert.False(probe.HasMessages);
    }

    [Fact]
    public async Task A_claim_whose_reply_times_out_is_sent_again_under_one_fresh_idempotency_key_and_returns_the_later_reply()
    {
        var probe = CreateTestProbe();
        var client = new OrchestratorClient(probe.Ref, new OrchestratorClientOptions(TimeSpan.FromSeconds(1)));

        var claiming = client.ClaimTaskAsync(new ClaimTask("agent-a"));
        var first = probe.ExpectMsg<ClaimTask>();
        Assert.True(Guid.TryParse(first.IdempotencyKey, out _), $"a fresh key, not '{first.IdempotencyKey}'");
        // No answer: the same claim again, under the same key, so the node answers with the claim the first made, if it did
        var second = probe.ExpectMsg<ClaimTask>();
        Assert.Equal((first.Agent, first.IdempotencyKey), (second.Agent, second.IdempotencyKey));
        var view = new TaskView("t-1", "agent-a", "tasks/t-1.md", TaskPriority.Medium, TaskState.Claimed, DateTimeOffset.UnixEpoch);
        var assigned = new TaskAssigned(view, "claim-1-0011223344556677", DateTimeOffset.UnixEpoch.AddMinutes(1), null);
        probe.Reply(assigned);

        Assert.Same(assigned, await claiming);
        Assert.False(probe.HasMessages);
    }

    [Fact]
    public async Task A_change_never_answered_gives_up_after_its_retries_naming_the_key_to_send_it_again_under()
    {
        var probe = CreateTestProbe();
        var client = new OrchestratorClient(probe.Ref, new OrchestratorClientOptions(Short, Retries: 1));

        var unreachable = await Assert.ThrowsAsync<OrchestratorUnreachableException>(() => client.SaveStateAsync(new SaveState("agent-a", "notes", "[]")));

        var keys = new[] { probe.ExpectMsg<SaveState>(), probe.ExpectMsg<SaveState>() }.Select(s => s.IdempotencyKey).Distinct().ToList();
        var key = Assert.Single(keys);
        Assert.Equal(key, unreachable.IdempotencyKey);
        Assert.EndsWith($"; sent again under idempotency key {key} it is done at most once", unreachable.Message);
        Assert.False(probe.HasMessages);
    }

    [Fact]
    public async Task A_key_the_caller_gives_is_the_one_sent_and_without_retries_a_change_goes_as_given_once()
    {
        var probe = CreateTestProbe();
        var retrying = new OrchestratorClient(probe.Ref, new OrchestratorClientOptions(Short, Retries: 1));
        await Assert.ThrowsAsync<OrchestratorUnreachableException>(() => retrying.CancelTaskAsync(new CancelTask("t-1", "no") { IdempotencyKey = "mine-1" }));
        Assert.Equal(["mine-1", "mine-1"], new[] { probe.ExpectMsg<CancelTask>(), probe.ExpectMsg<CancelTask>() }.Select(c => c.IdempotencyKey));

        var once = new OrchestratorClient(probe.Ref, new OrchestratorClientOptions(Short, Retries: 0));
        var unreachable = await Assert.ThrowsAsync<OrchestratorUnreachableException>(() => once.ClaimTaskAsync(new ClaimTask("agent-a")));
        Assert.Null(probe.ExpectMsg<ClaimTask>().IdempotencyKey);
        Assert.Null(unreachable.IdempotencyKey);
        Assert.False(probe.HasMessages);
    }

    [Fact]
    public async Task A_definition_answered_with_a_conflict_is_not_sent_again()
    {
        var probe = CreateTestProbe();
        var client = new OrchestratorClient(probe.Ref, new OrchestratorClientOptions(Short, Retries: 5));
        var definition = new DefineTask("r-3", "*", "tasks/r-3.md");

        var defining = client.DefineTaskAsync(definition);
        probe.ExpectMsg(definition);
        probe.Reply(new TaskDefinitionConflict("r-3",
            new TaskView("r-3", "*", "tasks/other.md", TaskPriority.Medium, TaskState.Ready, DateTimeOffset.UnixEpoch)));

        var conflict = await Assert.ThrowsAsync<OrchestratorConflictException>(() => defining);
        Assert.StartsWith("task 'r-3' is already defined differently", conflict.Message);
        Assert.False(probe.HasMessages);
    }
}
