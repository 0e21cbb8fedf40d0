using System.Diagnostics;
using System.Text.Json;
using CsCheck;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;
using Xunit.Abstractions;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>
/// Generated bad input at the domain's door: every command and query of the protocol, with nasty
/// field values, decided on a state that holds tasks in every status, claims and documents. Deciding
/// never throws; a refusal names its field and why and journals nothing; what is accepted journals
/// events that read back and replay to the state the decision built.
/// </summary>
public sealed class DomainFuzzSpecs(ITestOutputHelper output)
{
    // Built once: a state with a bit of everything (Scenarios.Rich), its journal and its stable view.
    private static readonly Scenario Rich = Scenarios.Rich();
    private static readonly string RichView = View(Rich.State);

    private static readonly string[] KnownIds = [.. Rich.State.Tasks.Keys.Order(StringComparer.Ordinal)];
    private static readonly string[] KnownAgents = ["agent-a", "agent-b", "agent-c", "agent-z", "*"];
    private static readonly string[] KnownClaims = [.. Rich.State.Tasks.Values.Where(t => t.Claim is not null).Select(t => t.Claim!.ClaimId)];

    private static readonly Gen<string> Id = Gen.Frequency((2, Gen.OneOf(KnownIds)), (3, NastyInput.Text));
    private static readonly Gen<string> Agent = Gen.Frequency((2, Gen.OneOf(KnownAgents)), (3, NastyInput.Text));
    private static readonly Gen<string?> ClaimId = Gen.Frequency((2, Gen.OneOf(KnownClaims).Select(c => (string?)c)), (3, NastyInput.TextOrNull));
    private static readonly Gen<string?> JsonText = Gen.Frequency(
        (1, Gen.Const((string?)null)), (3, NastyInput.JsonValue.Select(j => (string?)j)), (1, NastyInput.TextOrNull), (1, NastyInput.DeepJson.Select(j => (string?)j)));
    private static readonly Gen<string> Namespace = Gen.Frequency((3, Gen.Const(Namespaces.Default)), (1, Gen.Const("team-a")), (1, NastyInput.Text));
    private static readonly Gen<TimeSpan?> Lease = NastyInput.Duration.Nullable(0.3);

    // Half the fields of a definition are taken from valid values, so that many get past the first
    // check and some are defined (and their dependencies, attempts and payload decided on).
    private static readonly Gen<DefineTask> Definition = Gen.Select(
            Id, Agent, OrValid(NastyInput.Text, "tasks/fuzz.md"), OrValid(NastyInput.TextOrNull, null, "high"), OrValid(NastyInput.List(Id, null!), null, ["root"]),
            OrValid(NastyInput.Int.Nullable(0.5), null, 2), OrValid(JsonText, null, "{}"), OrValid(NastyInput.TextOrNull, null, "alice"))
        .Select((id, agent, file, priority, dependsOn, maxAttempts, payload, by) =>
            new DefineTask(id, agent, file, priority, dependsOn, maxAttempts, payload, by));

    private static Gen<T> OrValid<T>(Gen<T> nasty, params T[] valid) => Gen.Frequency((1, nasty), (1, Gen.OneOf(valid)));

    private static readonly Gen<IStateManagerCommand> Command = Gen.OneOf<IStateManagerCommand>(
        Definition.Select(d => (IStateManagerCommand)d),
        Gen.Select(Definition.Null(0.1).Select(d => (DefineTask)d!), Namespace).Select((d, ns) => d is null ? null! : d with { Namespace = ns })
            .Array[0, 8].Select(items => (IReadOnlyList<DefineTask>)items)
            .Select(items => (IStateManagerCommand)new DefineTasks(items)),
        Gen.Select(Gen.OneOf("agent-a", "agent-b"), NastyInput.Text, NastyInput.Text, JsonText, NastyInput.Long.Nullable(0.5))
            .Select((owner, key, nastyKey, json, version) => (IStateManagerCommand)new SaveState(owner, key.Length % 2 == 0 ? "progress" : nastyKey, json!, version)),
        Gen.Select(Agent, Lease).Select((agent, lease) => (IStateManagerCommand)new ClaimTask(agent, lease)),
        Gen.Select(Id, Agent, ClaimId, Lease).Select((id, agent, claim, lease) => (IStateManagerCommand)new Heartbeat(id, agent, claim, lease)),
        Gen.Select(Id, Agent, ClaimId, JsonText).Select((id, agent, claim, result) => (IStateManagerCommand)new CompleteTask(id, agent, claim, result)),
        Gen.Select(Id, Agent, ClaimId, NastyInput.Text).Select((id, agent, claim, reason) => (IStateManagerCommand)new FailTask(id, agent, claim, reason!)),
        Gen.Select(Id, NastyInput.TextOrNull, NastyInput.TextOrNull).Select((id, reason, by) => (IStateManagerCommand)new CancelTask(id, reason!, by)),
        Gen.Select(Id, NastyInput.TextOrNull).Select((id, by) => (IStateManagerCommand)new RequeueDeadTask(id, by)),
        Gen.Select(Agent, NastyInput.List(NastyInput.Text, null!)).Select((agent, capabilities) => (IStateManagerCommand)new RegisterAgent(agent, capabilities)),
        // Issue 17's: schedules (cron, zones, intervals), purges, retention, limits with fairness.
        Gen.Select(OrValid(Id, "nightly"), OrValid(NastyInput.TextOrNull, null, "0 * * * *", "*/5 * * * *", "0 0 30 2 *", "@daily"),
                OrValid(NastyInput.TextOrNull, null, "Europe/Berlin", "Mars/Base"), OrValid(NastyInput.Duration.Nullable(0.5), null, TimeSpan.FromSeconds(1)),
                OrValid(NastyInput.TextOrNull, null, "one", "all", "none"))
            .Select((id, cron, zone, every, catchUp) => (IStateManagerCommand)new DefineSchedule(id, "*", "tasks/fuzz.md", cron, zone, every, CatchUp: catchUp)),
        Gen.Select(OrValid(Id, "nightly"), NastyInput.TextOrNull).Select((id, by) => (IStateManagerCommand)new RemoveSchedule(id, by)),
        Gen.Select(OrValid(NastyInput.TextOrNull, null, "COMPLETED", "READY"), OrValid(NastyInput.Duration.Nullable(0.5), null, TimeSpan.Zero), OrValid(NastyInput.Int, 1, 1000))
            .Select((status, age, limit) => (IStateManagerCommand)new PurgeTasks(new TaskFilter(Status: status), age, Limit: limit)),
        OrValid(NastyInput.Duration.Nullable(0.5), null, TimeSpan.FromMinutes(1)).Select(keep => (IStateManagerCommand)new SetRetention(keep)),
        OrValid(NastyInput.TextOrNull, null, "tenant=", "").Select(prefix => (IStateManagerCommand)new SetClaimLimits(FairBy: prefix)),
        Gen.Select(OrValid(NastyInput.TextOrNull!, "team:core", "x"), Gen.OneOf(0, 0.001, 0.5, 1, 3, 1e6, -1, 1e-9, double.NaN, double.MaxValue, double.Epsilon))
            .Select((tag, rate) => (IStateManagerCommand)new SetClaimLimits(MaxClaimsPerSecondPerTag: new Dictionary<string, double> { [tag ?? "x"] = rate })),
        Gen.Const<IStateManagerCommand>(SweepRetention.Instance),
        Gen.Select(Gen.Long[-5, 200], Gen.Int[-2, 10]).Select((from, scan) => (IStateManagerCommand)new SweepRetention(from, scan)),
        Gen.Const<IStateManagerCommand>(ProcessDeadlines.Instance))
        // Some under an idempotency key: none, one the rich state remembers, or anything.
        .Select(Gen.Frequency((3, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("agent-c-claim-1", "agent-c-save-1")), (1, NastyInput.TextOrNull)),
            (command, key) => key is not null && command is NamespacedRequest request ? (IStateManagerCommand)(request with { IdempotencyKey = key }) : command);

    private static readonly Gen<IStateManagerQuery> Query = Gen.OneOf<IStateManagerQuery>(
        Id.Select(id => (IStateManagerQuery)new GetTask(id!)),
        Id.Select(id => (IStateManagerQuery)new GetTaskHistory(id!)),
        Gen.Select(Agent.Null(0.4), NastyInput.TextOrNull, NastyInput.TextOrNull, NastyInput.Int, NastyInput.Int, Id.Null(0.5))
            .Select((agent, status, priority, offset, limit, prefix) => (IStateManagerQuery)new ListTasks(agent, status, priority, offset, limit, prefix)),
        Gen.Select(NastyInput.Int, NastyInput.Int).Select((offset, limit) => (IStateManagerQuery)new ListAgents(offset, limit)),
        Gen.Const<IStateManagerQuery>(GetStats.Instance),
        Gen.Select(NastyInput.Int, NastyInput.Int).Select((offset, limit) => (IStateManagerQuery)new ListSchedules(offset, limit)),
        Gen.Select(Gen.Frequency((2, Gen.OneOf("agent-a", "agent-b")), (1, NastyInput.Text)), Gen.Frequency((2, Gen.OneOf("progress", "notes")), (1, NastyInput.Text)))
            .Select((owner, key) => (IStateManagerQuery)new GetState(owner!, key!)));

    // Deadlines fall due 1.1 s after the scenario ends (a retry) and later (a lease): some cases are
    // decided after them, when the deadlines' own events lead every decision.
    private static readonly Gen<TimeSpan> Later = Gen.OneOf(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(3), TimeSpan.FromDays(2));

    [Fact]
    public void Any_generated_command_is_decided_without_throwing_and_a_refusal_names_its_field_and_changes_nothing()
    {
        var watch = Stopwatch.StartNew();
        var replies = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();

        Gen.Select(Command, Later).Sample((command, later) =>
        {
            var context = new DecisionContext(Rich.Now + later, Rich.Limits, Rich.Policy, Rich.Random);
            var deadlines = OrchestratorDomain.Decide(Rich.State, ProcessDeadlines.Instance, context).Events.Select(Json).ToList();

            var decision = OrchestratorDomain.Decide(Rich.State, command, context);

            Assert.NotNull(decision.Reply);
            replies.AddOrUpdate(decision.Reply.GetType().Name, 1, (_, n) => n + 1);
            var refused = decision.Reply is CommandRejected or TransitionRejected or StaleClaim or TaskNotFound or TaskDefinitionConflict or StateVersionConflict or IdempotencyKeyReused;
            if (decision.Reply is CommandRejected rejected) AssertClear(rejected);
            if (decision.Reply is TasksDefined batch)
            {
                Assert.Equal(((DefineTasks)command).Tasks.Count, batch.Results.Count);
                foreach (var result in batch.Results.Where(r => r.Outcome == DefinitionOutcome.Invalid)) AssertClear(result.Error!);
            }
            if (refused)
            {
                // Nothing of the command's own is journaled: only what fell due by now, if anything.
                Assert.Equal(deadlines, decision.Events.Select(Json).ToList());
                if (deadlines.Count == 0) Assert.Equal(RichView, View(decision.StateAfter(Rich.State)));
            }
            else
            {
                AssertJournaledAndReplayable(decision);
            }
        }, iter: NastyInput.Cases, print: c => $"{Print(c.Item1)} at +{c.Item2}");

        // The state the cases were decided on is as it was.
        Assert.Equal(RichView, View(Rich.State));
        output.WriteLine($"{NastyInput.Cases:N0} commands in {watch.Elapsed.TotalSeconds:F1} s: "
                         + string.Join(", ", replies.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value}")));
    }

    [Fact]
    public void Any_generated_query_is_answered_without_throwing_and_a_rejection_names_its_field()
    {
        var watch = Stopwatch.StartNew();

        Query.Sample(query =>
        {
            var reply = OrchestratorDomain.Answer(Rich.State, query, Rich.Limits, Rich.Now);

            Assert.NotNull(reply);
            if (reply is CommandRejected rejected) AssertClear(rejected);
            if (reply is TaskPage page) Assert.True(page.Tasks.Count <= Math.Max(0, page.Limit), $"a page of {page.Tasks.Count} for limit {page.Limit}");
        }, iter: NastyInput.Cases, print: Print);

        Assert.Equal(RichView, View(Rich.State));
        output.WriteLine($"{NastyInput.Cases:N0} queries in {watch.Elapsed.TotalSeconds:F1} s");
    }

    // A refusal people and programs can act on: the field it names, and why, in one line without
    // control characters, echoing a shortened value.
    private static void AssertClear(CommandRejected rejected)
    {
        Assert.False(string.IsNullOrWhiteSpace(rejected.Field), $"a rejection names no field: {rejected}");
        Assert.False(string.IsNullOrWhiteSpace(rejected.Reason), $"a rejection gives no reason: {rejected}");
        Assert.Contains(rejected.Field, rejected.Message);
        Assert.True(rejected.Value is null || (rejected.Value.Length <= 101 && !rejected.Value.Any(char.IsControl)),
            $"the echoed value is long or holds control characters: {rejected.Message}");
    }

    // What an accepted command journals reads back from its JSON, and replaying the whole journal
    // with it gives the state the decision built.
    private static void AssertJournaledAndReplayable(Decision decision)
    {
        var after = OrchestratorDomain.ApplyAll(Rich.State, decision.Events);
        AssertSameState(after, decision.StateAfter(Rich.State));
        var readBack = decision.Events.Select(e => (IOrchestratorEvent)JsonSerializer.Deserialize(
            JsonSerializer.Serialize(e, e.GetType(), OrchestratorJsonContext.Default), e.GetType(), OrchestratorJsonContext.Default)!).ToList();
        Assert.Equal(decision.Events.Select(Json), readBack.Select(Json));
        AssertSameState(after, OrchestratorDomain.ApplyAll(OrchestratorState.Empty, [.. Rich.Journal, .. readBack]));
    }

    // A case as its JSON, or as its record text where the JSON writer refuses it (a lone surrogate).
    private static string Print(object message)
    {
        try
        {
            return Json(message);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return message.ToString()!;
        }
    }

    // The state as its snapshot's JSON: every task, claim, history, document and agent, stably ordered.
    private static string View(OrchestratorState state) =>
        JsonSerializer.Serialize(Snapshots.ToSnapshot(state), OrchestratorJsonContext.Default.OrchestratorSnapshotV2);
}
