using Akka.Actor;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>The old state manager's failures under concurrent agents, asked of the actor on a real SQLite journal.</summary>
public sealed class ConcurrencySpecs(ITestOutputHelper output) : SqliteSpec(output)
{
    [Fact]
    public async Task Twenty_five_agents_defining_distinct_tasks_at_the_same_moment_get_25_definitions_and_25_events()
    {
        var agents = Enumerable.Range(0, 25).Select(i => CreateTestProbe($"agent-{i}")).ToList();

        RunAtOnce(agents.Count, i =>
            StateManager.Tell(new DefineTask($"task-{i}", $"agent-{i}", $"tasks/{i}.md", "high"), agents[i].Ref));

        for (var i = 0; i < agents.Count; i++)
        {
            var reply = agents[i].ExpectMsg<IOrchestratorReply>();
            var accepted = Assert.IsType<TaskDefinitionAccepted>(reply);
            Assert.False(accepted.AlreadyDefined);
            Assert.Equal($"task-{i}", accepted.Task.TaskId);
            Assert.Equal(TaskPriority.High, accepted.Task.Priority);
        }

        Assert.Equal(25, Database.EventCount(Settings.PersistenceId));
        var stats = await StateManager.Ask<StatsReport>(GetStats.Instance, RemainingOrDefault);
        Assert.Equal(25, stats.Tasks);
        Assert.Equal(25, stats.EventsJournaled);
        Assert.Equal(25, stats.ByStatus["READY"]);
    }

    [Fact]
    public async Task A_thousand_concurrent_definitions_with_repeats_and_conflicts_define_each_id_once()
    {
        var random = new Random(20261126);
        var originals = Enumerable.Range(0, 850)
            .Select(i => new DefineTask($"job-{i:D4}", i % 3 == 0 ? "*" : $"agent-{i % 25}", $"work/{i}.md", (i % 4).ToString() switch
            {
                "0" => "CRITICAL", "1" => "high", "2" => null, _ => "Low",
            }))
            .ToList();
        var repeats = originals.OrderBy(_ => random.Next()).Take(100).Select(d => d with { }).ToList();
        var conflicting = originals.OrderBy(_ => random.Next()).Take(50)
            .Select(d => d with { TaskFile = d.TaskFile + ".other" }).ToList();
        var all = originals.Concat(repeats).Concat(conflicting).OrderBy(_ => random.Next()).ToList();
        Assert.Equal(1000, all.Count);

        var replies = new Task<IOrchestratorReply>[all.Count];
        RunAtOnce(8, worker =>
        {
            for (var i = worker; i < all.Count; i += 8)
                replies[i] = StateManager.Ask<IOrchestratorReply>(all[i], TimeSpan.FromSeconds(30));
        });
        var answers = await Task.WhenAll(replies);

        // Whatever the arrival order, each id is defined exactly once, by one of its submissions;
        // every other submission is answered as a repeat when identical to that one, or as a conflict.
        var byId = all.Select((command, i) => (command, reply: answers[i])).GroupBy(x => x.command.TaskId).ToList();
        Assert.Equal(originals.Count, byId.Count);
        foreach (var group in byId)
        {
            var submissions = group.ToList();
            var winner = Assert.Single(submissions, x => x.reply is TaskDefinitionAccepted { AlreadyDefined: false });
            var defined = ((TaskDefinitionAccepted)winner.reply).Task;
            submissions.Remove(winner);
            foreach (var (command, reply) in submissions)
            {
                var identical = command.Agent == defined.Agent && command.TaskFile == defined.TaskFile;
                if (identical)
                {
                    var repeat = Assert.IsType<TaskDefinitionAccepted>(reply);
                    Assert.True(repeat.AlreadyDefined);
                }
                else
                {
                    var conflict = Assert.IsType<TaskDefinitionConflict>(reply);
                    Assert.Equal(defined, conflict.Existing);
                }
            }
        }

        Assert.Equal(originals.Count, Database.EventCount(Settings.PersistenceId));
        // No sequence number was written twice (several definitions may share one batch entry).
        Assert.Equal(Database.Scalar("SELECT COUNT(*) FROM journal WHERE persistence_id = $p", ("$p", Settings.PersistenceId)),
            Database.DistinctSequenceNumbers(Settings.PersistenceId));
    }

    [Fact]
    public void An_identical_repeat_queued_behind_its_pending_original_is_answered_after_it_and_writes_nothing()
    {
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var define = new DefineTask("report-1", "writer", "reports/1.md");

        StateManager.Tell(define, first.Ref);
        StateManager.Tell(define, second.Ref);

        Assert.False(first.ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        Assert.True(second.ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        Assert.Equal(1, Database.EventCount(Settings.PersistenceId));
    }

    [Fact]
    public void Two_writers_with_the_same_expected_version_exactly_one_wins()
    {
        StateManager.Tell(new SaveState("planner", "checkpoint", """{"step":0}"""), TestActor);
        Assert.Equal(1, ExpectMsg<StateSaved>().Version);

        var writers = Enumerable.Range(0, 20).Select(_ => CreateTestProbe()).ToList();
        RunAtOnce(writers.Count, i =>
            StateManager.Tell(new SaveState("planner", "checkpoint", $$"""{"step":{{i + 1}}}""", ExpectedVersion: 1), writers[i].Ref));

        var replies = writers.Select(w => w.ExpectMsg<IOrchestratorReply>()).ToList();
        var winner = Assert.Single(replies.OfType<StateSaved>());
        Assert.Equal(2, winner.Version);
        var losers = replies.OfType<StateVersionConflict>().ToList();
        Assert.Equal(19, losers.Count);
        Assert.All(losers, l => Assert.Equal((1L, 2L), (l.ExpectedVersion, l.CurrentVersion)));

        StateManager.Tell(new GetState("planner", "checkpoint"), TestActor);
        var document = ExpectMsg<StateDocument>();
        Assert.Equal(2, document.Version);
        var winnerIndex = replies.FindIndex(r => r is StateSaved);
        Assert.Equal($$"""{"step":{{winnerIndex + 1}}}""", document.Json);
        Assert.Equal(2, Database.EventCount(Settings.PersistenceId));
    }

    [Fact]
    public void Invalid_commands_are_answered_with_the_field_and_value_and_write_nothing()
    {
        StateManager.Tell(new DefineTask("bad id", "agent", "file.md"), TestActor);
        var rejected = ExpectMsg<CommandRejected>();
        Assert.Equal(("taskId", "bad id"), (rejected.Field, rejected.Value));

        StateManager.Tell(new DefineTask("ok-id", "agent", "file.md", "URGENT"), TestActor);
        Assert.Contains("URGENT", ExpectMsg<CommandRejected>().Message);

        StateManager.Tell(new SaveState("owner", "key", "{not json"), TestActor);
        Assert.Equal("json", ExpectMsg<CommandRejected>().Field);

        StateManager.Tell(new GetTask("ok-id"), TestActor);
        ExpectMsg<TaskNotFound>();
        Assert.Equal(0, Database.EventCount(Settings.PersistenceId));
    }

    /// <summary>Runs <paramref name="count"/> actions on their own threads, released together.</summary>
    private static void RunAtOnce(int count, Action<int> action)
    {
        using var gate = new Barrier(count);
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            gate.SignalAndWait();
            action(i);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
    }
}
