using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// DefineTasks on the real actor and SQLite file: one decision, one journal row however many
/// definitions it creates, one reply once the row is confirmed, a notice per created task, and a
/// restart that recovers every one of them.
/// </summary>
public sealed class BatchDefinitionSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Absent = TimeSpan.FromMilliseconds(300);
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    // Every tenth depends on the one before it, so dependencies within the batch are recovered too.
    private static List<DefineTask> Definitions(int count) => Enumerable.Range(0, count)
        .Select(i => new DefineTask($"b-{i:D4}", $"agent-{i % 7}", $"tasks/{i}.md", i % 3 == 0 ? "HIGH" : null,
            i % 10 == 9 ? [$"b-{i - 1:D4}"] : null))
        .ToList();

    [Fact]
    public async Task A_batch_of_a_thousand_definitions_is_one_journal_row_acknowledged_once_heard_per_task_and_recovered_whole()
    {
        var config = TestConfigs.Sqlite(_dataDirectory, "orchestrator.snapshots.every = 1000000");
        var settings = OrchestratorSettings.FromConfig(config);
        var db = new JournalDatabase(settings.DatabasePath);
        var definitions = Definitions(1000);
        IReadOnlyList<TaskView> tasksBefore;
        await using (var node = OrchestratorNode.Start(config, "batch-first"))
        {
            var subscriber = CreateTestProbe();
            node.StateManager.Tell(new SubscribeToTasks(), subscriber);
            subscriber.ExpectMsg<SubscribedToTasks>();
            Assert.IsType<TaskDefinitionAccepted>(await node.StateManager.Ask<IOrchestratorReply>(new DefineTask("before", "agent-0", "tasks/before.md"), AskTimeout));
            subscriber.ExpectMsg<TaskTransitioned>();
            var rowsBefore = Rows(db, settings);

            // When one agent sends the batch
            var agent = CreateTestProbe();
            node.StateManager.Tell(new DefineTasks(definitions), agent);

            // Then it is answered once, every definition created, in order
            var results = agent.ExpectMsg<TasksDefined>().Results;
            agent.ExpectNoMsg(Absent);
            Assert.Equal(definitions.Select(d => d.TaskId), results.Select(r => r.TaskId));
            Assert.All(results, r => Assert.Equal(DefinitionOutcome.Created, r.Outcome));
            Assert.Equal(100, results.Count(r => r.Task!.Status == TaskState.Pending));

            // And the journal holds exactly one new row, the batch of its thousand events
            Assert.Equal(rowsBefore + 1, Rows(db, settings));
            Assert.Equal("event-batch.v1", db.Strings("SELECT manifest FROM journal WHERE persistence_id = 'state-manager-default' ORDER BY sequence_number DESC LIMIT 1").Single());
            Assert.Equal(1001, db.EventManifests(settings.PersistenceId).Count(m => m == "task-defined.v1"));
            var stats = await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout);
            Assert.Equal((1001, 1001L, rowsBefore + 1), (stats.Tasks, stats.EventsJournaled, stats.JournalSequenceNr));

            // And the subscriber hears each created task's definition, in order
            var heard = subscriber.ReceiveN(1000).Cast<TaskTransitioned>().ToList();
            Assert.Equal(definitions.Select(d => d.TaskId), heard.Select(n => n.TaskId));
            Assert.All(heard, n => Assert.Equal("task-defined", n.Entry.Event));
            subscriber.ExpectNoMsg(Absent);

            tasksBefore = (await node.StateManager.Ask<TaskPage>(new ListTasks(Limit: 1000, Offset: 1), AskTimeout)).Tasks;
        }

        // When a new node starts on the same file
        await using (var node = OrchestratorNode.Start(config, "batch-second"))
        {
            // Then every task of the batch is there as it was, in definition order
            var tasksAfter = (await node.StateManager.Ask<TaskPage>(new ListTasks(Limit: 1000, Offset: 1), AskTimeout)).Tasks;
            Assert.Equal(definitions.Select(d => d.TaskId), tasksAfter.Select(t => t.TaskId));
            Assert.Equal(tasksBefore, tasksAfter);

            // And the same batch again (a client whose reply was lost) is unchanged, writing nothing
            var rows = Rows(db, settings);
            var again = await node.StateManager.Ask<TasksDefined>(new DefineTasks(definitions), AskTimeout);
            Assert.All(again.Results, r => Assert.Equal(DefinitionOutcome.Unchanged, r.Outcome));
            Assert.Equal(rows, Rows(db, settings));
        }
    }

    [Fact]
    public async Task A_batch_larger_than_max_batch_events_is_still_one_row_and_its_neighbours_get_rows_of_their_own()
    {
        // max-batch-events caps how many requests share a write; it does not split one decision.
        var config = TestConfigs.Sqlite(_dataDirectory, "orchestrator.max-batch-events = 10");
        var settings = OrchestratorSettings.FromConfig(config);
        var db = new JournalDatabase(settings.DatabasePath);
        await using var node = OrchestratorNode.Start(config, "batch-split");

        var agents = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        node.StateManager.Tell(new DefineTask("single-1", "agent-0", "tasks/s1.md"), agents[0]);
        node.StateManager.Tell(new DefineTasks(Definitions(50)), agents[1]);
        node.StateManager.Tell(new DefineTask("single-2", "agent-0", "tasks/s2.md"), agents[2]);

        Assert.False(agents[0].ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        Assert.All(agents[1].ExpectMsg<TasksDefined>().Results, r => Assert.Equal(DefinitionOutcome.Created, r.Outcome));
        Assert.False(agents[2].ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        // A row each: the batch's fifty events together, the definitions before and after it alone.
        Assert.Equal(["task-defined.v1", "event-batch.v1", "task-defined.v1"],
            db.Strings("SELECT manifest FROM journal WHERE persistence_id = 'state-manager-default' ORDER BY sequence_number"));
        Assert.Equal(52, db.EventCount(settings.PersistenceId));
    }

    private static long Rows(JournalDatabase db, OrchestratorSettings settings) =>
        db.Scalar("SELECT COUNT(*) FROM journal WHERE persistence_id = $p", ("$p", settings.PersistenceId));

    protected override void AfterAll()
    {
        base.AfterAll();
        TestConfigs.DeleteDataDirectory(_dataDirectory);
    }
}
