using Akka.Actor;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>Dependencies on the real actor: agents that wait for work by subscribing, and failures that cascade.</summary>
public sealed class DependencySpecs(ITestOutputHelper output) : LifecycleSpec(output)
{
    [Fact]
    public async Task Diamonds_complete_in_a_valid_order_under_twenty_concurrent_agents()
    {
        // Ten diamonds: A -> B, A -> C, B + C -> D.
        const int diamonds = 10;
        var dependencies = new Dictionary<string, string[]>();
        for (var i = 0; i < diamonds; i++)
        {
            dependencies[$"d{i}-A"] = [];
            dependencies[$"d{i}-B"] = [$"d{i}-A"];
            dependencies[$"d{i}-C"] = [$"d{i}-A"];
            dependencies[$"d{i}-D"] = [$"d{i}-B", $"d{i}-C"];
        }
        foreach (var (id, dependsOn) in dependencies)
            await StateManager.Define(id, dependsOn: dependsOn);
        var transitions = Subscriber();

        for (var i = 0; i < 20; i++)
            Sys.ActorOf(Props.Create(() => new Worker(StateManager, $"agent-{i:D2}")), $"worker-{i:D2}");

        // Journal order, as subscribers see it.
        var seen = new List<TaskTransitioned>();
        while (seen.Count(t => t.Entry.Event == "task-completed") < dependencies.Count)
            seen.Add(transitions.ExpectMsg<TaskTransitioned>());

        foreach (var (id, dependsOn) in dependencies)
        {
            Assert.Single(seen, t => t.TaskId == id && t.Entry.Event == "task-completed");
            var claimedAt = seen.FindIndex(t => t.TaskId == id && t.Entry.Event == "task-claimed");
            foreach (var dependency in dependsOn)
            {
                var completedAt = seen.FindIndex(t => t.TaskId == dependency && t.Entry.Event == "task-completed");
                Assert.True(completedAt >= 0 && completedAt < claimedAt, $"{id} was claimed before {dependency} completed");
            }
        }
        // Every D became READY through its dependencies, once, caused by whoever completed the last of B and C.
        for (var i = 0; i < diamonds; i++)
        {
            var met = Assert.Single(seen, t => t.TaskId == $"d{i}-D" && t.Entry.Event == "dependencies-met");
            var lastDependency = seen.Last(t => t.TaskId is var id && (id == $"d{i}-B" || id == $"d{i}-C") && t.Entry.Event == "task-completed");
            Assert.Equal(lastDependency.Entry.By, met.Entry.By);
        }
    }

    [Fact]
    public async Task A_failing_root_kills_its_dependants_with_reasons_that_name_the_dependency()
    {
        await StateManager.Define("A", maxAttempts: 1);
        await StateManager.Define("B", dependsOn: ["A"]);
        await StateManager.Define("C", dependsOn: ["A"]);
        await StateManager.Define("D", dependsOn: ["B", "C"]);

        var claim = await StateManager.Claim("agent-1");
        Assert.Equal("A", claim.Task.TaskId);
        var failed = await StateManager.Expect<TaskUpdated>(new FailTask("A", "agent-1", claim.ClaimId, "out of memory"));

        // The reply comes after the whole cascade is journaled.
        Assert.Equal(TaskState.Dead, failed.Task.Status);
        var b = await StateManager.View("B");
        var c = await StateManager.View("C");
        var d = await StateManager.View("D");
        Assert.Equal((TaskState.Dead, "dependency 'A' is DEAD"), (b.Status, b.Reason));
        Assert.Equal((TaskState.Dead, "dependency 'A' is DEAD"), (c.Status, c.Reason));
        Assert.Equal(TaskState.Dead, d.Status);
        Assert.Equal("dependency 'B' is DEAD (because 'A' is DEAD)", d.Reason);
        await StateManager.Expect<NoTaskReady>(new ClaimTask("agent-1"));

        // Requeueing the root brings the dependants back to wait for it.
        await StateManager.Expect<TaskUpdated>(new RequeueDeadTask("A"));
        Assert.Equal([TaskState.Pending, TaskState.Pending, TaskState.Pending],
            [(await StateManager.View("B")).Status, (await StateManager.View("C")).Status, (await StateManager.View("D")).Status]);
    }

    /// <summary>
    /// An agent that takes any task it can, completes it, and, when nothing is ready, waits for a
    /// subscription notice that something became READY before it asks again.
    /// </summary>
    private sealed class Worker : ReceiveActor
    {
        private bool _claiming;
        private bool _readySinceAsked;

        public Worker(IActorRef stateManager, string name)
        {
            void Claim()
            {
                _claiming = true;
                _readySinceAsked = false;
                stateManager.Tell(new ClaimTask(name));
            }

            Receive<SubscribedToTasks>(_ => Claim());
            Receive<TaskAssigned>(assigned =>
            {
                stateManager.Tell(new CompleteTask(assigned.Task.TaskId, name, assigned.ClaimId));
                Claim();
            });
            Receive<TaskUpdated>(_ => { });
            Receive<NoTaskReady>(_ =>
            {
                _claiming = false;
                // Something became READY while the claim was on its way: ask again.
                if (_readySinceAsked) Claim();
            });
            Receive<TaskTransitioned>(t => t.Entry.To == TaskState.Ready, _ =>
            {
                if (_claiming) _readySinceAsked = true;
                else Claim();
            });
            Receive<TaskTransitioned>(_ => { });
            stateManager.Tell(new SubscribeToTasks());
        }
    }
}
