using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.StateManager;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>Journal failures and exceptions: restart with backoff, never acknowledge a failed write, lose nothing acknowledged.</summary>
public sealed class SupervisionSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly OrchestratorSettings _settings;
    private readonly SwitchableClock _clock = new();
    private readonly IActorRef _stateManager;
    private readonly ITestJournal _journal;

    public SupervisionSpecs(ITestOutputHelper output) : base(TestConfigs.TestJournal("orchestrator.max-batch-events = 20\norchestrator.snapshots.every = 25"), "supervision-spec", output)
    {
        _settings = OrchestratorSettings.FromConfig(Sys.Settings.Config);
        _stateManager = Sys.ActorOf(StateManagerGateway.Props(_settings, _clock), StateManagerGateway.Name);
        _journal = TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor(null));
    }

    [Fact]
    public async Task A_failed_journal_write_is_not_acknowledged_and_the_state_manager_comes_back_after_its_backoff()
    {
        Define("before", TestActor);
        Assert.False(ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);

        await _journal.OnWrite.Fail();
        var sinceFailure = Stopwatch.StartNew();
        Define("failed", TestActor);
        Assert.IsType<OrchestratorUnavailable>(ExpectMsg<IOrchestratorReply>());

        await _journal.OnWrite.Pass();
        var later = CreateTestProbe();
        Define("after", later.Ref);
        // Held while the state manager waits out its backoff, then processed. The restart comes at
        // least min-backoff (300 ms, no random factor here) after the stop, which came after the
        // stopwatch started: a bound that load can only make looser, never break.
        Assert.False(later.ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        Assert.True(sinceFailure.Elapsed >= _settings.MinBackoff, $"answered after {sinceFailure.Elapsed}, before the backoff");

        AssertTask("before", exists: true);
        AssertTask("failed", exists: false);
        AssertTask("after", exists: true);
        _stateManager.Tell(GetStats.Instance, TestActor);
        Assert.Equal(2, ExpectMsg<StatsReport>().EventsJournaled);

        // A client that retries the unacknowledged command gets it defined now.
        Define("failed", TestActor);
        Assert.False(ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
    }

    [Fact]
    public async Task A_burst_caught_by_a_journal_failure_is_answered_in_full_and_only_acknowledged_writes_exist()
    {
        Define("warm-up", TestActor);
        ExpectMsg<TaskDefinitionAccepted>();
        await _journal.OnWrite.Fail();

        var asks = Enumerable.Range(0, 200)
            .Select(i => _stateManager.Ask<IOrchestratorReply>(new DefineTask($"burst-{i}", "agent", $"b/{i}.md"), TimeSpan.FromSeconds(20)))
            .ToList();
        await Task.WhenAny(asks);
        await _journal.OnWrite.Pass();
        await Task.WhenAll(asks.Select(a => a.ContinueWith(_ => { }, TaskScheduler.Default)));
        // Name every asker left without an answer, with what the others got, should one ever be.
        var unanswered = asks.Select((a, i) => (a, i)).Where(x => !x.a.IsCompletedSuccessfully).Select(x => x.i).ToList();
        Assert.True(unanswered.Count == 0,
            $"no answer for burst-{string.Join(", burst-", unanswered)}; the others got " +
            string.Join(", ", asks.Where(a => a.IsCompletedSuccessfully).GroupBy(a => a.Result.GetType().Name).Select(g => $"{g.Count()} {g.Key}")));
        var replies = asks.Select(a => a.Result).ToList();

        // Batches hold at most 20 events here, so the failure catches one batch in flight while the
        // rest are pending or still in the mailbox. Every asker has an answer: the failed batch is
        // answered as not acknowledged, the rest is held and written after the restart.
        var accepted = replies.Select((r, i) => (r, i)).Where(x => x.r is TaskDefinitionAccepted).Select(x => x.i).ToList();
        var unavailable = replies.Select((r, i) => (r, i)).Where(x => x.r is OrchestratorUnavailable).Select(x => x.i).ToList();
        Assert.Equal(200, accepted.Count + unavailable.Count);
        Assert.NotEmpty(unavailable);
        Assert.NotEmpty(accepted);

        foreach (var i in accepted) AssertTask($"burst-{i}", exists: true);
        foreach (var i in unavailable) AssertTask($"burst-{i}", exists: false);
        _stateManager.Tell(GetStats.Instance, TestActor);
        Assert.Equal(1 + accepted.Count, ExpectMsg<StatsReport>().EventsJournaled);
    }

    [Fact]
    public async Task A_change_held_past_its_within_while_the_state_manager_restarts_is_dropped_undone_and_one_still_awaited_is_done()
    {
        await _journal.OnWrite.Fail();
        Define("failed", TestActor);
        Assert.IsType<OrchestratorUnavailable>(ExpectMsg<IOrchestratorReply>());
        await _journal.OnWrite.Pass();

        // Both wait at least min-backoff (300 ms) for the next incarnation: one sender waits 50 ms.
        var impatient = CreateTestProbe();
        var patient = CreateTestProbe();
        _stateManager.Tell(new DefineTask("impatient", "*", "tasks/i.md") { Within = TimeSpan.FromMilliseconds(50) }, impatient.Ref);
        _stateManager.Tell(new DefineTask("patient", "*", "tasks/p.md") { Within = TimeSpan.FromMinutes(1) }, patient.Ref);

        // Before, the impatient one was defined after its sender had given up on it.
        Assert.StartsWith("expired: DefineTask waited", impatient.ExpectMsg<OrchestratorUnavailable>().Reason);
        Assert.False(patient.ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        AssertTask("impatient", exists: false);
    }

    [Fact]
    public async Task A_write_the_journal_rejects_is_not_acknowledged_and_the_state_manager_keeps_serving()
    {
        await _journal.OnWrite.Reject();
        Define("rejected", TestActor);
        Assert.IsType<OrchestratorUnavailable>(ExpectMsg<IOrchestratorReply>());

        await _journal.OnWrite.Pass();
        AssertTask("rejected", exists: false);
        Define("rejected", TestActor);
        Assert.False(ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);

        // The rejected write left a gap in the sequence numbers: stats count the events the journal
        // holds, and a new incarnation recovers across the gap.
        _stateManager.Tell(GetStats.Instance, TestActor);
        var stats = ExpectMsg<StatsReport>();
        _stateManager.Tell(Protocol.Commands.Shutdown.Instance, TestActor);
        ExpectMsg<ShutdownComplete>();
        var next = Sys.ActorOf(StateManagerGateway.Props(_settings, _clock), "state-manager-after-gap");
        next.Tell(GetStats.Instance, TestActor);
        var recovered = ExpectMsg<StatsReport>();
        Assert.Equal((1, 1L, 2L), (recovered.Tasks, recovered.EventsJournaled, recovered.JournalSequenceNr));
        Assert.Equal((stats.EventsJournaled, stats.JournalSequenceNr), (recovered.EventsJournaled, recovered.JournalSequenceNr));
    }

    [Fact]
    public void An_exception_inside_the_state_manager_answers_the_asker_and_the_restarted_actor_keeps_what_was_acknowledged()
    {
        Define("before", TestActor);
        ExpectMsg<TaskDefinitionAccepted>();

        _clock.FailNextRead();
        var sinceFailure = Stopwatch.StartNew();
        Define("boom", TestActor);
        Assert.Contains("internal error", ExpectMsg<OrchestratorUnavailable>().Reason);

        var later = CreateTestProbe();
        Define("after", later.Ref);
        Assert.False(later.ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        // Restarted with backoff, not at once (see the journal-failure spec for why this bound holds).
        Assert.True(sinceFailure.Elapsed >= _settings.MinBackoff, $"answered after {sinceFailure.Elapsed}, before the backoff");
        AssertTask("before", exists: true);
        AssertTask("boom", exists: false);
    }

    [Fact]
    public void Shutdown_answers_every_command_sent_before_it_then_stops_and_a_new_incarnation_recovers_them()
    {
        var agents = Enumerable.Range(0, 50).Select(_ => CreateTestProbe()).ToList();
        for (var i = 0; i < agents.Count; i++) Define($"s-{i}", agents[i].Ref);
        Watch(_stateManager);
        _stateManager.Tell(Protocol.Commands.Shutdown.Instance, TestActor);

        foreach (var agent in agents) Assert.False(agent.ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        ExpectMsg<ShutdownComplete>();
        ExpectTerminated(_stateManager);

        var next = Sys.ActorOf(StateManagerGateway.Props(_settings, _clock), "state-manager-again");
        next.Tell(new ListTasks(Limit: 1000), TestActor);
        Assert.Equal(50, ExpectMsg<TaskPage>().Total);
    }

    [Fact]
    public async Task Shutdown_sent_while_the_state_manager_is_still_recovering_waits_for_the_commands_held_before_it()
    {
        // One event to replay, and a slow replay: the commands below reach a gateway whose state
        // manager is still recovering, so they are held when Shutdown arrives.
        var settings = _settings with { Namespace = "slow" };
        var first = Sys.ActorOf(StateManagerGateway.Props(settings, _clock), "state-manager-slow-first");
        first.Tell(new DefineTask("slow-seed", "agent", "x.md"), TestActor);
        ExpectMsg<TaskDefinitionAccepted>();
        first.Tell(Protocol.Commands.Shutdown.Instance, TestActor);
        ExpectMsg<ShutdownComplete>();
        await _journal.OnRecovery.PassWithDelay(TimeSpan.FromMilliseconds(500));

        var slow = Sys.ActorOf(StateManagerGateway.Props(settings, _clock), "state-manager-slow");
        var agents = Enumerable.Range(0, 20).Select(_ => CreateTestProbe()).ToList();
        for (var i = 0; i < agents.Count; i++) slow.Tell(new DefineTask($"slow-{i}", "agent", "x.md"), agents[i].Ref);
        Watch(slow);
        slow.Tell(Protocol.Commands.Shutdown.Instance, TestActor);
        var late = CreateTestProbe();
        slow.Tell(new DefineTask("after-shutdown", "agent", "x.md"), late.Ref);

        Assert.Contains("shutting down", late.ExpectMsg<OrchestratorUnavailable>().Reason);
        foreach (var agent in agents) Assert.False(agent.ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        ExpectMsg<ShutdownComplete>();
        ExpectTerminated(slow);
    }

    private void Define(string id, IActorRef sender) => _stateManager.Tell(new DefineTask(id, "agent", $"{id}.md"), sender);

    private void AssertTask(string id, bool exists)
    {
        _stateManager.Tell(new GetTask(id), TestActor);
        var reply = ExpectMsg<IOrchestratorReply>();
        if (exists) Assert.IsType<TaskFound>(reply);
        else Assert.IsType<TaskNotFound>(reply);
    }

    /// <summary>The system clock, except that the next read can be made to throw (a bug inside the actor).</summary>
    private sealed class SwitchableClock : TimeProvider
    {
        private int _failNext;

        public void FailNextRead() => Interlocked.Exchange(ref _failNext, 1);

        public override DateTimeOffset GetUtcNow() =>
            Interlocked.Exchange(ref _failNext, 0) == 1
                ? throw new InvalidOperationException("clock failure injected by the test")
                : base.GetUtcNow();
    }
}
