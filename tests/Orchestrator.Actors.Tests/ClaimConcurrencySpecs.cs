using System.Collections.Concurrent;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>Many agents claiming at once from one state manager on a real SQLite journal.</summary>
public sealed class ClaimConcurrencySpecs(ITestOutputHelper output) : LifecycleSpec(output)
{
    private const int Agents = 200;
    private const int Tasks = 1000;

    [Fact]
    public async Task Two_hundred_agents_claim_a_thousand_ready_tasks_each_exactly_once_in_priority_order()
    {
        // 700 tasks for any agent, 300 for one of the first 100 agents (3 each); priorities mixed so
        // that definition order and claim order differ.
        var random = new Random(20261127);
        var definitions = Enumerable.Range(0, Tasks).Select(i => new DefineTask(
                $"task-{i:D4}",
                i % 10 < 7 ? ProtocolNames.AnyAgent : $"agent-{random.Next(100):D3}",
                $"tasks/{i}.md",
                ProtocolNames.Of((TaskPriority)random.Next(4))))
            .ToList();
        await Task.WhenAll(definitions.Select(d => StateManager.Expect<TaskDefinitionAccepted>(d)));
        var transitions = Subscriber();

        var claims = new ConcurrentBag<(string Agent, TaskAssigned Assigned)>();
        // An async gate, not a blocking barrier: 200 blocked pool threads would starve the pool.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var agents = Enumerable.Range(0, Agents).Select(i => Task.Run(async () =>
        {
            var agent = $"agent-{i:D3}";
            await start.Task;
            // Each agent claims until nothing is left for it; it may hold many claims at once.
            while (await StateManager.Expect<IOrchestratorReply>(new ClaimTask(agent)) is TaskAssigned assigned)
                claims.Add((agent, assigned));
        })).ToList();
        start.SetResult();
        await Task.WhenAll(agents);

        // Every task claimed exactly once, each with a distinct claim id.
        Assert.Equal(Tasks, claims.Count);
        Assert.Equal(definitions.Select(d => d.TaskId).Order(), claims.Select(c => c.Assigned.Task.TaskId).Order());
        Assert.Equal(Tasks, claims.Select(c => c.Assigned.ClaimId).Distinct().Count());
        Assert.All(claims, c => Assert.Equal((TaskState.Claimed, c.Agent, 1), (c.Assigned.Task.Status, c.Assigned.Task.Claim!.Agent, c.Assigned.Task.Attempts)));

        // In journal order, every claim took the best task open to that agent at that moment: its own
        // or a "*" task, highest priority first, definition order within a priority. A task defined
        // for one agent never went to another.
        var open = definitions.Select((d, i) => (d.TaskId, d.Agent, Priority: ProtocolNames.TryParsePriority(d.Priority, out var p) ? p : TaskPriority.Medium, Order: i))
            .ToDictionary(t => t.TaskId);
        for (var n = 0; n < Tasks; n++)
        {
            var claimed = transitions.ExpectMsg<TaskTransitioned>(t => t.Entry.Event == "task-claimed");
            var agent = claimed.Entry.By!;
            var best = open.Values
                .Where(t => t.Agent == ProtocolNames.AnyAgent || t.Agent == agent)
                .OrderBy(t => t.Priority).ThenBy(t => t.Order)
                .First();
            Assert.True(best.TaskId == claimed.TaskId,
                $"claim {n}: {agent} got {claimed.TaskId} ({open[claimed.TaskId].Priority}) but {best.TaskId} ({best.Priority}) was open to it");
            open.Remove(claimed.TaskId);
        }
        Assert.Empty(open);
        // One definition and one claim per task, nothing else but idle agents' last-seen marks.
        Assert.Equal(Tasks * 2, Database.EventCount(Settings.PersistenceId) - AgentSeenEvents());
    }

    // Agents that found nothing on their first claim journal one agent-seen event each.
    private long AgentSeenEvents() =>
        Database.EventManifests(Settings.PersistenceId).Count(m => m == "agent-seen.v1");
}
